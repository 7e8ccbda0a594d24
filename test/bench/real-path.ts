/**
 * The product's real path for the benchmark scripts: a `BenchmarkRunner` whose `pipeline` mode runs
 * `createPipelineDriver` on `dataDir` (CloudEvents in → engine → outbox → PubAck, as
 * `synos-cc bench pipeline` runs it) against one server.
 */
import { BenchmarkRunner } from '../../main/bench/runner';
import { createPipelineDriver } from '../../main/bench/pipeline';
import { loadConfig } from '../../main/core/config';
import { silentLogger } from '../../main/core/logger';

export function realPathRunner(serverUrl: string, dataDir: string, synchronous: 'NORMAL' | 'FULL'): BenchmarkRunner {
  const config = loadConfig({ mode: 'cli', env: {}, overrides: { dataDir, servers: [serverUrl], embedded: false } });
  return new BenchmarkRunner({
    nats: config.nats,
    servers: [serverUrl],
    logger: silentLogger,
    appVersion: 'bench',
    pipeline: createPipelineDriver({ dataDir, synchronous, logger: silentLogger, config })
  });
}

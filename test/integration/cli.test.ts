import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../main/cli/program';
import { runCliSync, startServe } from '../harness/cli';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir } from '../harness/temp';

describe('synos-cc command line', () => {
  let nats: NatsServerHandle;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats.stop();
  });

  it('--help works on the program and on every command', () => {
    const top = runCliSync(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: synos-cc/);
    const commands = [...top.stdout.matchAll(/^ {2}([a-z][\w-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['serve', 'run']));
    // Every command's help, from the same program the binary builds (spawning ~25 processes is slow).
    const program = buildProgram();
    for (const command of commands) {
      const sub = program.commands.find((c) => c.name() === command);
      expect(sub, command).toBeDefined();
      expect(sub!.helpInformation(), command).toMatch(new RegExp(`Usage: synos-cc ${command}`));
    }
    // And one through the binary, end to end.
    const serveHelp = runCliSync(['serve', '--help']);
    expect(serveHelp.code).toBe(0);
    expect(serveHelp.stdout).toMatch(/Usage: synos-cc serve/);
  });

  it('unknown flags and bad values exit 2 with a clear message', () => {
    const unknown = runCliSync(['serve', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--bogus'/);
    const badPort = runCliSync(['serve', '--port', '99999']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/--port must be between 0 and 65535/);
    const unknownCommand = runCliSync(['frobnicate']);
    expect(unknownCommand.code).toBe(2);
  });

  it('a bad NATS_URL or config file is reported, exit 1', () => {
    const badEnv = runCliSync(['run', '--data', tempDir()], { env: { NATS_URL: 'http://nope' } });
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr).toMatch(/CONFIG_INVALID: NATS_URL/);
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'config.json'), '{"metricsPort": "x"}');
    const badFile = runCliSync(['run', '--data', dir]);
    expect(badFile.code).toBe(1);
    expect(badFile.stderr).toMatch(/config\.json: metricsPort/);
  });

  it('serve prints the URL with its token on its own line and answers /healthz; NATS_URL is honoured', async () => {
    const serve = await startServe(['--port', '0', '--data', tempDir()], { NATS_URL: nats.url });
    try {
      expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
      await expect
        .poll(async () => (await (await fetch(`${serve.origin}/healthz`)).json()) as { nats: string }, {
          timeout: 10_000
        })
        .toMatchObject({ status: 'ok', nats: 'connected' });
    } finally {
      await serve.stop();
    }
    expect(serve.child.exitCode).toBe(0);
  });
});

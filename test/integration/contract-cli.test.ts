/**
 * `synos-cc schema` and `synos-cc validate` as an operator runs them (the built CLI, no server):
 * the written documents equal the committed docs/, NDJSON is checked line by line with the
 * bridge's reasons and paths, config.json's bridge limits apply, bad usage exits 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleEnvelope, MESSAGE_TYPES } from '../../main/contract/messages';
import { runCliSync } from '../harness/cli';
import { dirWithConfig } from '../harness/config-file';
import { tempDir } from '../harness/temp';

const DOCS = path.resolve(__dirname, '../../docs');

function file(content: string | Buffer): string {
  const f = path.join(tempDir('synos-validate-'), 'input');
  fs.writeFileSync(f, content);
  return f;
}

describe('synos-cc schema', () => {
  it('--out writes exactly the committed documents; --format picks one', () => {
    const out = tempDir('synos-schema-');
    const data = tempDir();
    const r = runCliSync(['--data', data, 'schema', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote 20 files to /);
    expect(fs.readFileSync(path.join(out, 'asyncapi.yaml'), 'utf8')).toBe(
      fs.readFileSync(path.join(DOCS, 'asyncapi.yaml'), 'utf8')
    );
    for (const name of fs.readdirSync(path.join(DOCS, 'schemas'))) {
      expect(fs.readFileSync(path.join(out, 'schemas', name), 'utf8'), name).toBe(
        fs.readFileSync(path.join(DOCS, 'schemas', name), 'utf8')
      );
    }
    const yaml = runCliSync(['--data', data, 'schema']);
    expect(yaml.stdout).toBe(fs.readFileSync(path.join(DOCS, 'asyncapi.yaml'), 'utf8'));
    const schemas = runCliSync(['--data', data, 'schema', '--format', 'jsonschema']);
    expect(Object.keys(JSON.parse(schemas.stdout) as object)).toHaveLength(MESSAGE_TYPES.length + 1);
    expect(runCliSync(['--data', data, 'schema', '--format', 'openapi']).code).toBe(2);
  });

  it('describes the installation: a forward changed in config.json shows up; --defaults ignores it', () => {
    const data = dirWithConfig({
      bridge: { outboundMapping: { 'consciousness.decision_made': 'orchestrator.ops.decisions' } }
    });
    const own = runCliSync(['--data', data, 'schema']);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toContain('address: orchestrator.ops.decisions');
    expect(own.stdout).not.toContain('address: orchestrator.consciousness.decision\n');
    const defaults = runCliSync(['--data', data, 'schema', '--defaults']);
    expect(defaults.stdout).toBe(fs.readFileSync(path.join(DOCS, 'asyncapi.yaml'), 'utf8'));
  });
});

describe('synos-cc validate', () => {
  const good = exampleEnvelope('service.health.update', 0);

  it('a valid message: exit 0, its type and id', () => {
    const r = runCliSync(['validate', 'orchestrator.service.health', file(JSON.stringify(good, null, 2))]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`valid service.health.update (id ${good.id})\n`);
  });

  it('NDJSON from stdin: a verdict per line with the bridge’s reason and paths, a summary, exit 1', () => {
    const lines = [
      JSON.stringify(good),
      '{"specversion":"1.0"',
      JSON.stringify({ ...good, data: { status: 'on fire' } }),
      '',
      JSON.stringify({ ...good, type: 'service.lifecycle.started' })
    ].join('\n');
    const r = runCliSync(['validate', 'orchestrator.service.health', '-'], { input: lines });
    expect(r.code).toBe(1);
    const out = r.stdout.split('\n');
    expect(out[0]).toBe(`line 1: valid service.health.update (id ${good.id})`);
    expect(out[1]).toMatch(/^line 2: invalid \(not_json\): message on orchestrator\.service\.health is not JSON/);
    expect(out[2]).toMatch(
      /^line 3: invalid \(invalid_data\): service\.health\.update on orchestrator\.service\.health: /
    );
    expect(out).toContain('  data.service: Invalid input: expected string, received undefined');
    expect(out.some((l) => l.startsWith('  data.status: Invalid option'))).toBe(true);
    expect(out.find((l) => l.startsWith('line 5: '))).toMatch(/invalid \(wrong_type\)/);
    expect(r.stdout).toContain('4 messages: 1 valid, 3 invalid (not_json 1, invalid_data 1, wrong_type 1)');
    expect(r.stderr).toContain('the bridge would reject 3 of 4');

    const json = runCliSync(['validate', 'orchestrator.service.health', '--json', '-'], { input: lines });
    const verdicts = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; ok: boolean; reason?: string; issues?: Array<{ path: string }> });
    expect(verdicts.map((v) => [v.line, v.ok, v.reason])).toEqual([
      [1, true, undefined],
      [2, false, 'not_json'],
      [3, false, 'invalid_data'],
      [5, false, 'wrong_type']
    ]);
    expect(verdicts[2]!.issues!.map((i) => i.path).sort()).toEqual(['data.service', 'data.status']);
  });

  it('uses the bridge limits of config.json (bridge.maxMessageBytes)', () => {
    const data = dirWithConfig({ bridge: { maxMessageBytes: 1024 } });
    const big = { ...good, data: { ...good.data, detail: 'x'.repeat(1500) } };
    const r = runCliSync(['--data', data, 'validate', 'orchestrator.service.health', file(JSON.stringify(big))]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^invalid \(oversized\): message on orchestrator\.service\.health is \d+ bytes, more than the 1024-byte limit/
    );
    expect(
      runCliSync(['--data', data, 'validate', '--defaults', 'orchestrator.service.health', file(JSON.stringify(big))])
        .code
    ).toBe(0);
  });

  it('a subject the bridge does not consume is checked as a message of any known type, and says so', () => {
    const decision = exampleEnvelope('consciousness.decision_made', 0);
    const r = runCliSync(['validate', 'orchestrator.consciousness.decision', file(JSON.stringify(decision))]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('the bridge does not consume orchestrator.consciousness.decision');
    expect(r.stdout).toContain('valid consciousness.decision_made');
  });

  it('bad usage exits 2 with what to do', () => {
    const wildcard = runCliSync(['validate', 'orchestrator.>', file('{}')]);
    expect(wildcard.code).toBe(2);
    expect(wildcard.stderr).toContain('no wildcards');
    const missing = runCliSync(['validate', 'orchestrator.service.health', '/no/such/file']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read /no/such/file');
  });
});

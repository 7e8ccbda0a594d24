/**
 * docs/integrating.md is tested as written, against a real nats-server and a running control
 * center: every example envelope in it (one per type) validates with ajv against its JSON Schema
 * and with zod; the inbound ones, and the AsyncAPI document's inbound examples, are accepted by
 * the bridge when published; each invalid example prints what the doc says with `synos-cc
 * validate` and is rejected by the bridge with that reason and text, visible through the API and
 * `synos-cc invalid`; the shell line publishes an accepted message; the Go example is built
 * (Debian's golang-go and nats.go) and run until the engine's decision comes back; the Python
 * example is byte-compiled, and run when nats-py is installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundConsumerFor } from '../../main/bridge/inbound';
import { DEFAULT_BRIDGE_SETTINGS } from '../../main/bridge/settings';
import { validateForSubject } from '../../main/cli/commands/contract';
import { INVALID_REASONS, MESSAGE_TYPES, validateEnvelope, type MessageType } from '../../main/contract/messages';
import type { Core } from '../../main/app/create-core';
import { findOnPath } from '../../main/nats/embedded/embedded';
import { provision } from '../../main/nats/topology/provisioning';
import { asyncApiYaml, jsonSchemaFiles, messageSchemaOf } from '../../main/integration/asyncapi';
import { CLI, assertCliBuilt } from '../harness/cli';
import { createTestCore } from '../harness/core';
import { startNatsServer, type NatsServerHandle } from '../harness/nats-server';
import { tempDir, waitFor } from '../harness/temp';

const ROOT = path.resolve(__dirname, '../..');
const DOC = fs.readFileSync(path.join(ROOT, 'docs/integrating.md'), 'utf8');
const GO_MISSING =
  'go is not installed, and this test builds and runs the Go example. Install it with: sudo apt-get install -y golang-go golang-github-nats-io-go-nats-dev';
const PYTHON_MISSING = 'python3 is not installed. Install it with: sudo apt-get install -y python3';

/** The doc's `#### ` sections: heading line → body. */
function sections(): Array<{ heading: string; body: string }> {
  return DOC.split(/^#### /m)
    .slice(1)
    .map((s) => {
      const end = s.search(/^#{2,3} /m);
      const text = end >= 0 ? s.slice(0, end) : s;
      const nl = text.indexOf('\n');
      return { heading: text.slice(0, nl), body: text.slice(nl + 1) };
    });
}

function blocks(text: string, lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)\\n```', 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]!);
  return out;
}

interface DocExample {
  type: MessageType;
  subject: string;
  text: string;
  envelope: { id: string; type: string };
}

function docExamples(): DocExample[] {
  const out: DocExample[] = [];
  for (const s of sections()) {
    const m = /^`([a-z._]+)` on `([^`]+)`$/.exec(s.heading.trim());
    if (!m) continue;
    const [json] = blocks(s.body, 'json');
    expect(json, `a json block under ${s.heading}`).toBeDefined();
    out.push({
      type: m[1] as MessageType,
      subject: m[2]!,
      text: json!,
      envelope: JSON.parse(json!) as DocExample['envelope']
    });
  }
  return out;
}

interface InvalidExample {
  reason: string;
  command: string;
  producer: string;
  subject: string;
  expected: string;
}

function invalidExamples(): InvalidExample[] {
  const out: InvalidExample[] = [];
  for (const s of sections()) {
    const m = /^`([a-z_]+)`: /.exec(s.heading);
    if (!m || !(INVALID_REASONS as readonly string[]).includes(m[1]!)) continue;
    const [command] = blocks(s.body, 'sh');
    const [expected] = blocks(s.body, 'text');
    const parts = /^(.*) \| synos-cc validate (\S+) -$/.exec(command!);
    expect(parts, `a "… | synos-cc validate SUBJECT -" line under ${s.heading}`).not.toBeNull();
    out.push({ reason: m[1]!, command: command!, producer: parts![1]!, subject: parts![2]!, expected: expected! });
  }
  return out;
}

/** A bin directory with `synos-cc` (the built CLI) and `nats` (the CLI on the test server; natscli spellings). */
function binDir(natsUrl: string, dataDir: string): string {
  const dir = tempDir('synos-bin-');
  fs.writeFileSync(path.join(dir, 'synos-cc'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
    mode: 0o755
  });
  fs.writeFileSync(
    path.join(dir, 'nats'),
    `#!/bin/sh\nexec "${process.execPath}" "${CLI}" --nats "${natsUrl}" --data "${dataDir}" "$@"\n`,
    { mode: 0o755 }
  );
  return dir;
}

function bash(command: string, bin: string, input?: Buffer) {
  return spawnSync('bash', ['-c', command], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NATS_URL: '' },
    input,
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024
  });
}

/** Runs a program without blocking the event loop: the control center under test lives in this process. */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function ajvValidators() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const files = jsonSchemaFiles();
  return { ajv, compile: (type: MessageType) => ajv.compile(files[`${type}.schema.json`]!) };
}

const FAST = { active: true, tickIntervalMs: 50, heartbeatIntervalMs: 1000, metricsIntervalMs: 5000 };

describe('docs/integrating.md against a real nats-server and control center', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let core: Core;
  let bin: string;
  const dataDir = tempDir();

  beforeAll(async () => {
    assertCliBuilt();
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    await provision(nc);
    js = jetstream(nc);
    core = createTestCore({
      servers: [server.url],
      dataDir,
      bridge: FAST
    });
    await core.start();
    expect((await core.api.invoke('connection.connect', {})).state).toBe('connected');
    await waitFor(async () => (await core.api.invoke('bridge.status', {})).consumers.every((c) => c.bound), {
      timeoutMs: 20_000,
      message: 'all inbound consumers bound'
    });
    bin = binDir(server.url, tempDir());
  });
  afterAll(async () => {
    await core?.stop();
    await nc?.close();
    await server?.stop();
  });

  async function accepted(): Promise<{ accepted: number; invalid: number }> {
    const s = await core.api.invoke('bridge.status', {});
    return { accepted: s.inbound.accepted, invalid: s.inbound.invalid };
  }

  it('has a complete example for every message type, each valid for ajv (its JSON Schema) and zod', () => {
    const examples = docExamples();
    expect([...new Set(examples.map((e) => e.type))].sort()).toEqual([...MESSAGE_TYPES].sort());
    const { ajv, compile } = ajvValidators();
    for (const e of examples) {
      expect(e.envelope.type, e.subject).toBe(e.type);
      const validate = compile(e.type);
      expect(validate(e.envelope), `${e.type}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(messageSchemaOf(e.type).safeParse(e.envelope).success, e.type).toBe(true);
      expect(validateEnvelope(e.text).ok, e.type).toBe(true);
      const verdict = validateForSubject(e.subject, Buffer.from(e.text), DEFAULT_BRIDGE_SETTINGS).validation;
      expect(verdict.ok, `${e.type} on ${e.subject}: ${JSON.stringify(verdict)}`).toBe(true);
    }
  });

  it('the bridge accepts every inbound example of the doc and of the AsyncAPI document', async () => {
    const doc = YAML.parse(asyncApiYaml()) as {
      channels: Record<string, { address: string; messages: Record<string, unknown> }>;
      operations: Record<string, { action: string; channel: { $ref: string } }>;
      components: { messages: Record<string, { examples: Array<{ payload: { id: string } }> }> };
    };
    const toPublish: Array<{ subject: string; body: string; id: string }> = [];
    for (const e of docExamples()) {
      if (inboundConsumerFor(e.subject)) toPublish.push({ subject: e.subject, body: e.text, id: e.envelope.id });
    }
    for (const op of Object.values(doc.operations)) {
      const channel = doc.channels[op.channel.$ref.split('/').pop()!]!;
      if (op.action !== 'receive' || !inboundConsumerFor(channel.address)) continue;
      for (const type of Object.keys(channel.messages)) {
        for (const ex of doc.components.messages[type]!.examples) {
          toPublish.push({ subject: channel.address, body: JSON.stringify(ex.payload), id: ex.payload.id });
        }
      }
    }
    // Every type the bridge consumes is covered by both sources.
    expect(toPublish.length).toBeGreaterThanOrEqual(18);
    const before = await accepted();
    for (const m of toPublish) {
      const ack = await js.publish(m.subject, Buffer.from(m.body), { msgID: m.id });
      expect(ack.duplicate, m.id).toBe(false);
    }
    await waitFor(async () => (await accepted()).accepted - before.accepted === toPublish.length, {
      timeoutMs: 30_000,
      message: `${toPublish.length} examples accepted`
    });
    expect((await accepted()).invalid).toBe(before.invalid);

    // The heartbeat example on health.<service> reaches the Overview's service list.
    const heartbeat = docExamples().find((e) => e.type === 'health.heartbeat')!;
    nc.publish(heartbeat.subject, Buffer.from(heartbeat.text));
    await waitFor(
      async () => (await core.api.invoke('health.services', {})).some((s) => s.subject === heartbeat.subject),
      { message: `a heartbeat seen on ${heartbeat.subject}` }
    );
    // Publishing an example again within the duplicate window is acknowledged as a duplicate.
    const again = await js.publish(toPublish[0]!.subject, Buffer.from(toPublish[0]!.body), { msgID: toPublish[0]!.id });
    expect(again.duplicate).toBe(true);
  });

  it('each invalid example prints the documented verdict and is rejected by the bridge with that reason and text', async () => {
    const examples = invalidExamples();
    expect(examples.map((e) => e.reason).sort()).toEqual([...INVALID_REASONS].sort());
    for (const e of examples) {
      const run = bash(e.command, bin);
      expect(run.stdout.toString(), e.command).toBe(e.expected + '\n');
      expect(run.status, e.command).toBe(1);
      expect(run.stderr.toString()).toMatch(/the bridge would reject this message/);
      const bytes = bash(e.producer, bin).stdout;
      await js.publish(e.subject, bytes);
    }
    const items = await waitFor(
      async () => {
        const list = await core.api.invoke('bridge.invalidMessages', { limit: 100 });
        return list.items.length >= examples.length ? list.items : null;
      },
      { timeoutMs: 30_000, message: 'every invalid example kept' }
    );
    for (const e of examples) {
      const kept = items.find((i) => i.reason === e.reason);
      expect(kept, e.reason).toBeDefined();
      expect(kept!.subject).toBe(e.subject);
      expect(`invalid (${kept!.reason}): ${kept!.message}`).toBe(e.expected);
    }
    // Invalid records commit before their term (the bridge's transactional inbox): nothing to flush.
    const cli = bash(`synos-cc invalid --json --data '${dataDir}'`, bin);
    expect(cli.status, cli.stderr.toString()).toBe(0);
    const listed = JSON.parse(cli.stdout.toString()) as { counts: Record<string, number>; items: unknown[] };
    for (const reason of INVALID_REASONS) expect(listed.counts[reason], reason).toBe(1);
  });

  it('the shell line publishes a message the bridge accepts, with its Nats-Msg-Id', async () => {
    const shell = fs.readFileSync(path.join(ROOT, 'docs/examples/shell/publish.sh'), 'utf8').trimEnd();
    expect(DOC).toContain('```sh\n' + shell + '\n```');
    const before = await accepted();
    const published = bash(shell, bin);
    expect(published.status, published.stderr.toString()).toBe(0);
    await waitFor(async () => (await accepted()).accepted === before.accepted + 1, {
      message: 'the shell example accepted'
    });
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage('ORCHESTRATOR_EVENTS', { last_by_subj: 'orchestrator.service.health' });
    const id = stored!.json<{ id: string }>().id;
    expect(stored!.header?.get('Nats-Msg-Id')).toBe(id);
  });

  it('the Go example, as shown in the doc, builds and gets the engine’s decision back', async () => {
    const file = path.join(ROOT, 'docs/examples/go/publisher/main.go');
    expect(DOC).toContain('```go\n' + fs.readFileSync(file, 'utf8').trimEnd() + '\n```');
    const go = findOnPath('go');
    if (!go) throw new Error(GO_MISSING);
    const out = path.join(tempDir('synos-go-'), 'publisher');
    const build = await run(go, ['build', '-o', out, '.'], {
      cwd: path.dirname(file),
      env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '' },
      timeoutMs: 300_000
    });
    expect(build.status, `${build.stdout}\n${build.stderr}\n${GO_MISSING}`).toBe(0);
    const result = await run(out, ['-server', server.url, '-service', 'go-payments', '-wait', '30s'], {
      timeoutMs: 60_000
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(
      /published service\.lifecycle\.started on orchestrator\.service\.started: stream ORCHESTRATOR_EVENTS/
    );
    expect(result.stdout).toMatch(/decision for go-payments: restart_service \(confidence [0-9.]+\)/);
  }, 360_000);

  it('the Python example, as shown in the doc, byte-compiles (and runs where nats-py is installed)', async () => {
    const file = path.join(ROOT, 'docs/examples/python/publisher.py');
    expect(DOC).toContain('```python\n' + fs.readFileSync(file, 'utf8').trimEnd() + '\n```');
    const python = findOnPath('python3');
    if (!python) throw new Error(PYTHON_MISSING);
    const compiled = spawnSync(python, ['-m', 'py_compile', file], {
      env: { ...process.env, PYTHONPYCACHEPREFIX: tempDir('synos-pyc-') },
      encoding: 'utf8'
    });
    expect(compiled.status, compiled.stderr).toBe(0);
    const hasClient = spawnSync(python, ['-c', 'import nats'], { encoding: 'utf8' }).status === 0;
    if (!hasClient) {
      process.stderr.write(
        'nats-py is not installed (Debian does not package it): the Python example was only compiled\n'
      );
      return;
    }
    const result = await run(python, [file, '--server', server.url, '--target', 'py-payments'], {
      env: { ...process.env, PYTHONPYCACHEPREFIX: tempDir('synos-pyc-') },
      timeoutMs: 60_000
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/decision for py-payments: /);
  });
});

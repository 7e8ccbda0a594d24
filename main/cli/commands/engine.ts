/**
 * `synos-cc engine status [--json]` and `synos-cc engine step-down`: who runs the engine among the
 * cores sharing this NATS account, and asking it to yield. Both read and ask over NATS (the lease
 * bucket and the leader's step-down subject), so they work from any machine.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { DecisionWhy, LeadershipView } from '../../contract';
import { loadConfig } from '../../core/config';
import { createLogger } from '../../core/logger';
import { DATABASE_FILE } from '../../core/paths';
import { ProvenanceStore } from '../../engine/provenance';
import { whyOrThrow } from '../../engine/why';
import { OutboxStore } from '../../resilience/outbox-store';
import { openDatabase } from '../../store/database';
import { MIGRATIONS } from '../../store/migrations';
import { connectOrThrow, globalsOf, openCore, overridesFrom, withCore } from '../context';
import { printJson, printTable } from '../io';

function printStatus(v: LeadershipView): void {
  if (v.leader) {
    process.stdout.write(
      `leader: ${v.leader.instance} (host ${v.leader.host}, pid ${v.leader.pid}), epoch ${v.leader.epoch}, since ${v.leader.since}\n`
    );
  } else {
    process.stdout.write('leader: none — no instance holds the engine lease (is a run/serve/desktop core running?)\n');
  }
  if (v.instances.length === 0) {
    process.stdout.write('no instance has announced itself in this group\n');
    return;
  }
  printTable(
    ['INSTANCE', 'HOST', 'PID', 'ROLE', 'LAST SEEN'],
    v.instances.map((i) => [i.instance, i.host, i.pid, i.role, i.last_seen])
  );
}

function printWhy(w: DecisionWhy): void {
  const out: string[] = [];
  const d = w.decision;
  out.push(`decision ${w.decisionId} at ${w.decidedAt}: ${d.action} for ${d.kind}${d.target ? ` on ${d.target}` : ''}`);
  out.push(`  rationale: ${d.rationale}`);
  out.push(`  message: ${w.messageId}`);
  out.push('caused by:');
  for (const i of w.inputs)
    out.push(
      `  ${i.type} ${i.source}/${i.id} on ${i.subject}: ${i.stream} seq ${i.seq ?? '?'} (via ${i.durable}, delivery ${i.deliveryCount})`
    );
  const s = w.state.state;
  out.push('engine state then:');
  out.push(
    `  load ${s.load}, mode ${s.mode}, focus ${s.focus ?? 'none'}, valence ${s.valence}, arousal ${s.arousal}, confidence ${s.confidence}, open problems ${s.open_problems}, input rate ${w.state.inputRatePerSecond}/s`
  );
  if (w.state.attention.length > 0)
    out.push(`  attention: ${w.state.attention.map((a) => `${a.target} ${a.weight}`).join(', ')}`);
  out.push(
    `strategy: ${w.strategy.action} for ${w.strategy.kind}, learned weight ${w.strategy.weight.toFixed(3)}` +
      (w.strategy.alternatives.length > 0
        ? ` (over ${w.strategy.alternatives.map((a) => `${a.action} ${a.weight.toFixed(3)}`).join(', ')})`
        : '')
  );
  process.stdout.write(out.join('\n') + '\n\noutputs:\n');
  printTable(
    ['TYPE', 'SUBJECT', 'STATE', 'STREAM', 'SEQ', 'ID'],
    w.outputs.map((o) => [
      o.type.replace('consciousness.', ''),
      o.subject,
      o.state === 'dead' && o.lastError ? `dead: ${o.lastError}` : o.duplicate ? 'published (duplicate)' : o.state,
      o.stream,
      o.seq,
      o.id
    ])
  );
}

export function registerEngine(program: Command): void {
  const engine = program
    .command('engine')
    .description(
      'the engine: leader among the cores sharing this NATS account (status, step-down), why a decision was made'
    );

  engine
    .command('why')
    .description(
      'why a decision was made: the input message(s) with stream and seq, the engine state then, the strategy and its learned weight, and the outputs with their PubAck state; read from the data directory, also while a core runs on it'
    )
    .argument('<decision-id>', 'a problem id (p-…) or the id of its decision_made message')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }, command: Command) => {
      const globals = globalsOf(command);
      const config = loadConfig({ mode: 'cli', overrides: overridesFrom(globals) });
      const logger = createLogger({ level: globals.logLevel ?? 'warn', format: 'json' });
      const { db } = openDatabase(path.join(config.dataDir, DATABASE_FILE), {
        migrations: MIGRATIONS,
        logger,
        synchronous: config.database.synchronous
      });
      try {
        const why = whyOrThrow(new ProvenanceStore(db), id, new OutboxStore(db));
        if (opts.json) printJson(why);
        else printWhy(why);
      } finally {
        db.close();
      }
    });

  engine
    .command('status')
    .description('the lease holder (instance, host, pid, epoch, since) and every instance with its role')
    .option('--json', 'print JSON: { leader, instances }')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const core = openCore(globalsOf(command), { autoConnect: false, quiet: true, overrides: { provision: false } });
      await withCore(core, async (c) => {
        await connectOrThrow(c);
        const view = await c.api.invoke('engine.leadership', {});
        if (view.error) throw new Error(view.error);
        if (opts.json) printJson({ leader: view.leader, instances: view.instances });
        else printStatus(view);
      });
    });

  engine
    .command('step-down')
    .description('ask the active engine to yield its lease; a standby takes over within the lease TTL')
    .action(async (_opts: unknown, command: Command) => {
      const core = openCore(globalsOf(command), { autoConnect: false, quiet: true, overrides: { provision: false } });
      await withCore(core, async (c) => {
        await connectOrThrow(c);
        const result = await c.api.invoke('engine.stepDown', {});
        process.stdout.write(
          `${result.instance} stepped down (ended epoch ${result.epoch ?? '?'}); a standby takes over within the lease TTL\n`
        );
      });
    });
}

/** `--engine-role auto|observer` of run and serve (overrides engine.role of config.json). */
export function engineRoleOption(): Option {
  return new Option(
    '--engine-role <role>',
    'auto: contend to run the engine (one active per NATS account and engine.group); observer: never run it, only watch'
  ).choices(['auto', 'observer']);
}

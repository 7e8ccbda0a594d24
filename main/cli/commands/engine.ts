/**
 * `synos-cc engine status [--json]` and `synos-cc engine step-down`: who runs the engine among the
 * cores sharing this NATS account, and asking it to yield. Both read and ask over NATS (the lease
 * bucket and the leader's step-down subject), so they work from any machine.
 */
import { Option, type Command } from 'commander';
import type { LeadershipView } from '../../contract';
import { connectOrThrow, globalsOf, openCore, withCore } from '../context';
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

export function registerEngine(program: Command): void {
  const engine = program
    .command('engine')
    .description('the engine leader among the cores sharing this NATS account: status, step-down');

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

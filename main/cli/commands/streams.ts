/**
 * JetStream commands: `provision [--check]`, `streams`, `streams info NAME`, `streams purge`,
 * `streams rm-msg`, `consumers STREAM` and `view STREAM`. One-shot commands never provision on
 * connect: inspecting (or checking drift) must not change the server.
 */
import type { Command } from 'commander';
import { ContractError, type ProvisionReport } from '../../contract';
import type { Core } from '../../core/create-core';
import { describeReport } from '../../nats/provisioning';
import { connectOrThrow, globalsOf, openCore, parseIntOption, withCore } from '../context';
import { printJson, printTable } from '../io';

/** A started, connected core for a one-shot command; provisioning on connect is off. */
async function withConnectedCore<T>(command: Command, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = openCore(globalsOf(command), { autoConnect: false, quiet: true, overrides: { provision: false } });
  return withCore(core, async (c) => {
    await connectOrThrow(c);
    return fn(c);
  });
}

function printProvisionReport(report: ProvisionReport): void {
  if (report.mode === 'apply') {
    printTable(
      ['KIND', 'NAME', 'STATUS'],
      [...report.streams, ...report.consumers].map((i) => [i.kind, i.name, i.status])
    );
  }
  const lines = describeReport(report);
  for (const line of lines) process.stdout.write(`${line}\n`);
  const s = report.summary;
  const total = report.streams.length + report.consumers.length;
  if (report.mode === 'check') {
    process.stdout.write(
      report.inSync
        ? `no drift: ${report.streams.length} streams and ${report.consumers.length} consumers match\n`
        : `drift: ${total - s.unchanged} of ${total} differ (${s.missing} missing, ${s.drift} fixable, ${s.blocked} blocked, ${s.failed} failed)\n`
    );
  } else {
    process.stdout.write(
      `created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged}, blocked ${s.blocked}, failed ${s.failed}\n`
    );
  }
}

export function registerStreams(program: Command): void {
  program
    .command('provision')
    .description('create or update the Syn_OS streams and durable consumers (never deletes anything)')
    .option('--check', 'only compare with the server and print each difference; exit 1 on drift')
    .option('--replicas <n>', 'replicas of each stream (default: configured, else 1)', parseIntOption('--replicas', 1, 5))
    .option('--json', 'print the report as JSON')
    .action(async (opts: { check?: boolean; replicas?: number; json?: boolean }, command: Command) => {
      const report = await withConnectedCore(command, (core) => {
        const input = opts.replicas !== undefined ? { replicas: opts.replicas } : {};
        return opts.check ? core.api.invoke('streams.drift', input) : core.api.invoke('streams.provision', input);
      });
      if (opts.json) printJson(report);
      else printProvisionReport(report);
      if (!report.inSync) {
        const s = report.summary;
        throw new ContractError(
          'CONFLICT',
          opts.check
            ? `the server differs from the desired topology (${s.missing} missing, ${s.drift} fixable, ${s.blocked} blocked, ${s.failed} failed)`
            : `${s.blocked} blocked and ${s.failed} failed item(s) could not be applied`,
          {
            hint: opts.check
              ? 'Run synos-cc provision to apply the fixable differences; blocked ones need a manual migration.'
              : 'Blocked settings cannot be changed in place: migrate the stream yourself (back up, delete, re-create).'
          }
        );
      }
    });
}

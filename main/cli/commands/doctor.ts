/**
 * `synos-cc doctor [--json]`: is this machine and this server ready? One line per check, the fix
 * under each warn/fail, exit code 1 when any check fails.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { ContractError, toErrorShape } from '../../contract';
import { loadConfig } from '../../core/config';
import type { Core } from '../../app/create-core';
import { DATABASE_FILE } from '../../core/paths';
import { probeDatabaseWrite } from '../../store/write-probe';
import { globalsOf, openCore, overridesFrom } from '../context';
import {
  checkCredentials,
  checkDisk,
  checkFileModes,
  profileKeyChecks,
  serverChecks,
  type CheckResult
} from '../doctor';
import { printJson } from '../io';

function databaseCheck(core: Core): CheckResult {
  const ctx = core.context;
  const probe = probeDatabaseWrite(ctx.db, ctx.databasePath, { readOnly: ctx.databaseReadOnly ?? null });
  if (!probe.writable) {
    return {
      id: 'database',
      status: 'fail',
      summary: `${ctx.databasePath} cannot be written: ${probe.reason ?? 'unknown reason'}`,
      fix: `Free space on its disk (df -h ${path.dirname(ctx.databasePath)}) or move the data directory with --data DIR.`
    };
  }
  const recovered = ctx.databaseRecoveredFrom ? ` (a corrupt file was moved to ${ctx.databaseRecoveredFrom})` : '';
  return {
    id: 'database',
    status: 'pass',
    summary: `${ctx.databasePath} opens, migrates and takes writes${recovered}`,
    fix: null
  };
}

function printChecks(checks: CheckResult[]): void {
  const width = Math.max(...checks.map((c) => c.id.length));
  for (const c of checks) {
    process.stdout.write(`${c.status.toUpperCase().padEnd(4)}  ${c.id.padEnd(width)}  ${c.summary}\n`);
    for (const line of c.details ?? []) process.stdout.write(`${' '.repeat(width + 8)}${line}\n`);
    if (c.fix && c.status !== 'pass') process.stdout.write(`${' '.repeat(width + 8)}fix: ${c.fix}\n`);
  }
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check readiness: server, JetStream, topology drift, consumer lag, outbox, data directory modes, disk, TLS and credentials (never printed), clock skew'
    )
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const globals = globalsOf(command);
      const checks: CheckResult[] = [];
      let dataDir: string;
      let config;
      try {
        config = loadConfig({ mode: 'cli', overrides: overridesFrom(globals) });
        dataDir = config.dataDir;
        checks.push({
          id: 'config',
          status: 'pass',
          summary: `configuration read (data directory ${dataDir})`,
          fix: null
        });
      } catch (error) {
        const shape = toErrorShape(error);
        checks.push({ id: 'config', status: 'fail', summary: shape.message, fix: 'Fix or remove the value it names.' });
        config = null;
        dataDir = '';
      }
      if (config) {
        // Read before the core opens the directory: opening it tightens the modes.
        checks.push(checkFileModes(dataDir), checkDisk(dataDir));
        let core: Core | null = null;
        try {
          core = openCore(globals, { autoConnect: false, quiet: true, overrides: { provision: false } });
        } catch (error) {
          const shape = toErrorShape(error);
          const hint = (shape.details as { hint?: unknown } | undefined)?.hint;
          checks.push({
            id: 'database',
            status: 'fail',
            summary: `${path.join(dataDir, DATABASE_FILE)}: ${shape.code}: ${shape.message}`,
            fix: typeof hint === 'string' ? hint : 'See the message; then run synos-cc doctor again.'
          });
        }
        if (core) {
          const started = core;
          await started.start();
          try {
            checks.push(databaseCheck(started));
            const fromServer = await serverChecks(started);
            const status = started.context.nats.status();
            checks.push(...fromServer);
            checks.push(...checkCredentials(config, { profile: status.profile?.name ?? null, server: status.server }));
            checks.push(...(await profileKeyChecks(started)));
          } finally {
            await started.stop();
          }
        }
      }
      const failed = checks.filter((c) => c.status === 'fail');
      const warned = checks.filter((c) => c.status === 'warn');
      if (opts.json) printJson({ ok: failed.length === 0, checks });
      else {
        printChecks(checks);
        process.stdout.write(
          `\n${checks.length} checks: ${checks.length - failed.length - warned.length} pass, ${warned.length} warn, ${failed.length} fail\n`
        );
      }
      if (failed.length > 0) {
        throw new ContractError(
          'UNAVAILABLE',
          `doctor: ${failed.length} check(s) failed: ${failed.map((c) => c.id).join(', ')}`
        );
      }
    });
}

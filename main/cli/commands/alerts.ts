/**
 * `synos-cc alerts [--json] [--all]` and `synos-cc alerts ack ID`: read (and acknowledge) the alerts
 * in the data directory's database directly, without a NATS connection. Works while a core runs
 * on the same directory: SQLite in WAL mode lets this process read alongside it, and the core
 * notices an acknowledgement made here and publishes it.
 */
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Alert, AlertSeverity } from '../../contract';
import { AlertSeveritySchema } from '../../contract/messages';
import { loadConfig } from '../../core/config';
import { createLogger } from '../../core/logger';
import { DATABASE_FILE } from '../../core/paths';
import { AlertStore, type AlertFilter } from '../../monitoring/alert-store';
import { openDatabase, type Database } from '../../store/database';
import { MIGRATIONS } from '../../store/migrations';
import { globalsOf, overridesFrom, parseIntOption, type GlobalOptions } from '../context';
import { printJson, printTable } from '../io';

function openStore(globals: GlobalOptions): { store: AlertStore; db: Database } {
  const config = loadConfig({ mode: 'cli', overrides: overridesFrom(globals) });
  const logger = createLogger({ level: globals.logLevel ?? 'warn', format: 'json' });
  const { db } = openDatabase(path.join(config.dataDir, DATABASE_FILE), {
    migrations: MIGRATIONS,
    logger,
    synchronous: config.database.synchronous,
    // Listing alerts works on a full disk (read-only copy); acknowledging one then says DISK_FULL.
    readOnlyWhenFull: true
  });
  return { store: new AlertStore(db), db };
}

/** The row an operator reads: the columns of the table, snake_case in --json. */
function toRow(a: Alert): Record<string, unknown> {
  return {
    id: a.id,
    rule: a.rule,
    target: a.target,
    severity: a.severity,
    state: a.state,
    since: a.since,
    resolved_at: a.resolvedAt,
    acknowledged_at: a.acknowledgedAt,
    acknowledged_by: a.acknowledgedBy,
    value: a.value,
    threshold: a.threshold,
    message: a.message
  };
}

function parseSeverity(value: string, previous: AlertSeverity[] | undefined): AlertSeverity[] {
  const parsed = AlertSeveritySchema.safeParse(value.toUpperCase());
  if (!parsed.success) throw new InvalidArgumentError('--severity must be INFO, WARNING, ERROR or CRITICAL.');
  return [...(previous ?? []), parsed.data];
}

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('list alerts from the data directory (firing and acknowledged; --all adds resolved ones)')
    .option('--json', 'print JSON')
    .option('--all', 'include resolved alerts')
    .addOption(
      new Option('--state <state>', 'only alerts in this state').choices(['firing', 'acknowledged', 'resolved'])
    )
    .option('--severity <level>', 'only this severity (repeatable)', parseSeverity)
    .option('--limit <n>', 'at most this many, newest first', parseIntOption('--limit', 1, 5000), 500)
    .action(
      (
        opts: {
          json?: boolean;
          all?: boolean;
          state?: AlertFilter['state'];
          severity?: AlertSeverity[];
          limit: number;
        },
        command: Command
      ) => {
        const { store, db } = openStore(globalsOf(command));
        try {
          const filter: AlertFilter = { state: opts.state ?? (opts.all ? 'all' : 'active'), limit: opts.limit };
          if (opts.severity) filter.severity = opts.severity;
          const { alerts: list, total } = store.list(filter);
          if (opts.json) {
            printJson(list.map(toRow));
            return;
          }
          if (list.length === 0) {
            process.stdout.write(
              opts.all || opts.state ? 'no alerts\n' : 'no active alerts (--all shows resolved ones)\n'
            );
            return;
          }
          printTable(
            ['ID', 'RULE', 'TARGET', 'SEVERITY', 'STATE', 'SINCE', 'RESOLVED_AT', 'MESSAGE'],
            list.map((a) => [a.id, a.rule, a.target, a.severity, a.state, a.since, a.resolvedAt ?? '-', a.message])
          );
          if (total > list.length) process.stdout.write(`(${list.length} of ${total}; raise --limit to see more)\n`);
        } finally {
          db.close();
        }
      }
    );

  alerts
    .command('ack')
    .description('acknowledge a firing alert')
    .argument('<id>', 'alert id (from "synos-cc alerts")', parseIntOption('ID', 1, Number.MAX_SAFE_INTEGER))
    .option('--by <name>', 'who acknowledges (default: the user name)')
    .option('--json', 'print the alert as JSON')
    .action((id: number, opts: { by?: string; json?: boolean }, command: Command) => {
      const { store, db } = openStore(globalsOf(command));
      try {
        const by = opts.by?.trim() || process.env.USER || process.env.USERNAME || 'operator';
        const { alert, stored } = store.acknowledge(id, by.slice(0, 100), new Date().toISOString());
        // `alerts` has its own --json, and commander hands a flag after `ack` to the parent that defines it.
        const json = opts.json || Boolean(command.parent?.opts<{ json?: boolean }>().json);
        if (json) printJson(toRow(alert));
        else if (stored) process.stdout.write(`acknowledged alert ${id} (${alert.rule} ${alert.target}) as ${by}\n`);
        else
          process.stdout.write(
            `alert ${id} was already acknowledged by ${alert.acknowledgedBy ?? 'someone'} at ${alert.acknowledgedAt}\n`
          );
      } finally {
        db.close();
      }
    });
}

/**
 * Alerts in SQLite: one open row per rule + target (a partial unique index dedupes), every
 * transition stored with the id of the message that announces it on `alert.<severity>.<rule>`,
 * the operator's rule edits, and retention. Used by the running core and by `synos-cc alerts`
 * (another process on the same WAL database), so the database — not memory — is the truth.
 */
import {
  ContractError,
  type Alert,
  type AlertRuleId,
  type AlertSeverity,
  type AlertState,
  type AlertTransition,
  type AlertTransitionKind,
  type RuleValues
} from '../contract';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../store/database';
import { newMessageId } from '../core/message-id';

interface AlertRow {
  id: number;
  rule: string;
  target: string;
  severity: AlertSeverity;
  message: string;
  value: number | null;
  threshold: number | null;
  fired_at: string;
  resolved_at: string | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  updated_at: string;
}

interface TransitionRow {
  id: number;
  alert_id: number;
  kind: AlertTransitionKind;
  severity: AlertSeverity;
  at: string;
  value: number | null;
  message: string;
  message_id: string;
  published_at: string | null;
}

interface RuleSettingsRow {
  rule: string;
  enabled: number;
  threshold: number;
  critical_threshold: number | null;
  severity: AlertSeverity;
  for_seconds: number;
  updated_at: string;
}

/** A stored transition with its alert as it was right after it (what gets published and pushed). */
export interface StoredTransition {
  transition: AlertTransition;
  alert: Alert;
  /** Id of the outbound message (Nats-Msg-Id): the same on every retry. */
  messageId: string;
}

export interface AlertFilter {
  state: 'active' | 'firing' | 'acknowledged' | 'resolved' | 'all';
  severity?: readonly AlertSeverity[];
  rule?: AlertRuleId;
  target?: string;
  limit: number;
  beforeId?: number;
}

function toAlert(row: AlertRow): Alert {
  const state: AlertState = row.resolved_at ? 'resolved' : row.acknowledged_at ? 'acknowledged' : 'firing';
  return {
    id: row.id,
    rule: row.rule as AlertRuleId,
    target: row.target,
    severity: row.severity,
    state,
    message: row.message,
    value: row.value,
    threshold: row.threshold,
    since: row.fired_at,
    resolvedAt: row.resolved_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    updatedAt: row.updated_at
  };
}

function toTransition(row: TransitionRow): AlertTransition {
  return {
    id: row.id,
    alertId: row.alert_id,
    kind: row.kind,
    severity: row.severity,
    at: row.at,
    value: row.value,
    message: row.message,
    publishedAt: row.published_at
  };
}

const STATE_CLAUSE: Record<AlertFilter['state'], string> = {
  active: 'resolved_at IS NULL',
  firing: 'resolved_at IS NULL AND acknowledged_at IS NULL',
  acknowledged: 'resolved_at IS NULL AND acknowledged_at IS NOT NULL',
  resolved: 'resolved_at IS NOT NULL',
  all: '1 = 1'
};

export class AlertStore {
  private readonly stmts;
  private readonly listStatements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly db: Database) {
    this.stmts = {
      open: db.prepare<[], AlertRow>('SELECT * FROM alerts WHERE resolved_at IS NULL ORDER BY id'),
      get: db.prepare<[number], AlertRow>('SELECT * FROM alerts WHERE id = ?'),
      openFor: db.prepare<[string, string], AlertRow>(
        'SELECT * FROM alerts WHERE rule = ? AND target = ? AND resolved_at IS NULL'
      ),
      insertAlert: db.prepare(
        `INSERT INTO alerts (rule, target, severity, message, value, threshold, fired_at, updated_at)
         VALUES (@rule, @target, @severity, @message, @value, @threshold, @at, @at)`
      ),
      setSeverity: db.prepare(
        'UPDATE alerts SET severity = @severity, message = @message, value = @value, threshold = @threshold, updated_at = @at WHERE id = @id'
      ),
      resolve: db.prepare(
        // The alert keeps the message and value it fired with; the resolution's are on its transition.
        'UPDATE alerts SET resolved_at = @at, updated_at = @at WHERE id = @id AND resolved_at IS NULL'
      ),
      acknowledge: db.prepare(
        'UPDATE alerts SET acknowledged_at = @at, acknowledged_by = @by, updated_at = @at WHERE id = @id AND acknowledged_at IS NULL AND resolved_at IS NULL'
      ),
      insertTransition: db.prepare(
        `INSERT INTO alert_transitions (alert_id, kind, severity, at, value, message, message_id)
         VALUES (@alertId, @kind, @severity, @at, @value, @message, @messageId)`
      ),
      transitionsOf: db.prepare<[number], TransitionRow>(
        'SELECT * FROM alert_transitions WHERE alert_id = ? ORDER BY id'
      ),
      transition: db.prepare<[number], TransitionRow>('SELECT * FROM alert_transitions WHERE id = ?'),
      unpublished: db.prepare<[number], TransitionRow>(
        'SELECT * FROM alert_transitions WHERE published_at IS NULL ORDER BY id LIMIT ?'
      ),
      markPublished: db.prepare('UPDATE alert_transitions SET published_at = ? WHERE id = ?'),
      after: db.prepare<[number, number], TransitionRow>(
        'SELECT * FROM alert_transitions WHERE id > ? ORDER BY id LIMIT ?'
      ),
      lastTransitionId: db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM alert_transitions'),
      activeBySeverity: db.prepare<[], { severity: AlertSeverity; n: number }>(
        'SELECT severity, COUNT(*) AS n FROM alerts WHERE resolved_at IS NULL GROUP BY severity'
      ),
      settings: db.prepare<[], RuleSettingsRow>('SELECT * FROM alert_rule_settings'),
      upsertSettings: db.prepare(
        `INSERT INTO alert_rule_settings (rule, enabled, threshold, critical_threshold, severity, for_seconds, updated_at)
         VALUES (@rule, @enabled, @threshold, @criticalThreshold, @severity, @forSeconds, @at)
         ON CONFLICT (rule) DO UPDATE SET enabled = excluded.enabled, threshold = excluded.threshold,
           critical_threshold = excluded.critical_threshold, severity = excluded.severity,
           for_seconds = excluded.for_seconds, updated_at = excluded.updated_at`
      ),
      deleteSettings: db.prepare('DELETE FROM alert_rule_settings WHERE rule = ?'),
      pruneByAge: db.prepare('DELETE FROM alerts WHERE resolved_at IS NOT NULL AND resolved_at < ?'),
      pruneByCount: db.prepare(
        `DELETE FROM alerts WHERE resolved_at IS NOT NULL AND id NOT IN
           (SELECT id FROM alerts WHERE resolved_at IS NOT NULL ORDER BY id DESC LIMIT ?)`
      )
    };
  }

  /** Every alert not yet resolved. */
  openAlerts(): Alert[] {
    return this.stmts.open.all().map(toAlert);
  }

  get(id: number): Alert | null {
    const row = this.stmts.get.get(id);
    return row ? toAlert(row) : null;
  }

  private record(
    alertId: number,
    kind: AlertTransitionKind,
    severity: AlertSeverity,
    at: string,
    value: number | null,
    message: string
  ): StoredTransition {
    const messageId = newMessageId();
    const info = this.stmts.insertTransition.run({ alertId, kind, severity, at, value, message, messageId });
    const transition = toTransition(this.stmts.transition.get(Number(info.lastInsertRowid))!);
    return { transition, alert: toAlert(this.stmts.get.get(alertId)!), messageId };
  }

  /** Opens an alert for rule + target; null when one is already open (dedupe). */
  fire(input: {
    rule: AlertRuleId;
    target: string;
    severity: AlertSeverity;
    message: string;
    value: number | null;
    threshold: number | null;
    at: string;
  }): StoredTransition | null {
    return this.db
      .transaction(() => {
        if (this.stmts.openFor.get(input.rule, input.target)) return null;
        const info = this.stmts.insertAlert.run(input);
        return this.record(Number(info.lastInsertRowid), 'fired', input.severity, input.at, input.value, input.message);
      })
      .immediate();
  }

  /** Moves an open alert to another severity (escalated when higher). */
  changeSeverity(
    id: number,
    input: { severity: AlertSeverity; message: string; value: number | null; threshold: number | null; at: string },
    kind: 'escalated' | 'deescalated'
  ): StoredTransition {
    return this.db
      .transaction(() => {
        this.stmts.setSeverity.run({ id, ...input });
        return this.record(id, kind, input.severity, input.at, input.value, input.message);
      })
      .immediate();
  }

  /** Resolves an open alert; null when it was already resolved (e.g. by another process). */
  resolve(id: number, input: { message: string; value: number | null; at: string }): StoredTransition | null {
    return this.db
      .transaction(() => {
        const changed = this.stmts.resolve.run({ id, at: input.at }).changes;
        if (changed === 0) return null;
        const alert = this.stmts.get.get(id)!;
        return this.record(id, 'resolved', alert.severity, input.at, input.value, input.message);
      })
      .immediate();
  }

  /**
   * Records an operator's acknowledgement. Idempotent: an already acknowledged alert comes back
   * unchanged (transition null). NOT_FOUND for an unknown id, CONFLICT for a resolved alert.
   */
  acknowledge(id: number, by: string, at: string): { alert: Alert; stored: StoredTransition | null } {
    return this.db
      .transaction(() => {
        const row = this.stmts.get.get(id);
        if (!row)
          throw new ContractError('NOT_FOUND', `no alert with id ${id}; list them with "synos-cc alerts --all"`, {
            id
          });
        if (row.resolved_at) {
          throw new ContractError(
            'CONFLICT',
            `alert ${id} already resolved at ${row.resolved_at}; nothing to acknowledge`,
            { id }
          );
        }
        if (row.acknowledged_at) return { alert: toAlert(row), stored: null };
        this.stmts.acknowledge.run({ id, by, at });
        const stored = this.record(id, 'acknowledged', row.severity, at, row.value, `acknowledged by ${by}`);
        return { alert: stored.alert, stored };
      })
      .immediate();
  }

  /** Filter combinations are few (state × optional clauses): each statement is prepared once. */
  private prepared(sql: string): BetterSqlite3.Statement {
    let stmt = this.listStatements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.listStatements.set(sql, stmt);
    }
    return stmt;
  }

  list(filter: AlertFilter): { alerts: Alert[]; total: number } {
    const where: string[] = [STATE_CLAUSE[filter.state]];
    const params: Record<string, unknown> = {};
    if (filter.severity && filter.severity.length > 0) {
      where.push(`severity IN (${filter.severity.map((_, i) => `@sev${i}`).join(', ')})`);
      filter.severity.forEach((s, i) => (params[`sev${i}`] = s));
    }
    if (filter.rule) {
      where.push('rule = @rule');
      params.rule = filter.rule;
    }
    if (filter.target) {
      where.push('target = @target');
      params.target = filter.target;
    }
    const clause = where.join(' AND ');
    const total = (this.prepared(`SELECT COUNT(*) AS n FROM alerts WHERE ${clause}`).get(params) as { n: number }).n;
    const paging = filter.beforeId !== undefined ? ' AND id < @beforeId' : '';
    if (filter.beforeId !== undefined) params.beforeId = filter.beforeId;
    const rows = this.prepared(`SELECT * FROM alerts WHERE ${clause}${paging} ORDER BY id DESC LIMIT @limit`).all({
      ...params,
      limit: filter.limit
    }) as AlertRow[];
    return { alerts: rows.map(toAlert), total };
  }

  history(id: number): { alert: Alert; transitions: AlertTransition[] } {
    const row = this.stmts.get.get(id);
    if (!row) throw new ContractError('NOT_FOUND', `no alert with id ${id}`, { id });
    return { alert: toAlert(row), transitions: this.stmts.transitionsOf.all(id).map(toTransition) };
  }

  private stored(row: TransitionRow): StoredTransition {
    return {
      transition: toTransition(row),
      alert: toAlert(this.stmts.get.get(row.alert_id)!),
      messageId: row.message_id
    };
  }

  /** Transitions not yet handed to the publisher, oldest first. */
  unpublished(limit: number): StoredTransition[] {
    return this.stmts.unpublished.all(limit).map((row) => this.stored(row));
  }

  markPublished(transitionIds: readonly number[], at: string): void {
    this.db.transaction(() => {
      for (const id of transitionIds) this.stmts.markPublished.run(at, id);
    })();
  }

  /** Transitions with an id above `afterId` (to notice those another process recorded). */
  transitionsAfter(afterId: number, limit: number): StoredTransition[] {
    return this.stmts.after.all(afterId, limit).map((row) => this.stored(row));
  }

  lastTransitionId(): number {
    return this.stmts.lastTransitionId.get()?.id ?? 0;
  }

  activeBySeverity(): Record<AlertSeverity, number> {
    const out: Record<AlertSeverity, number> = { INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 };
    for (const row of this.stmts.activeBySeverity.all()) out[row.severity] = row.n;
    return out;
  }

  /** The operator's edits, by rule (rules without an edit are absent). */
  ruleSettings(): Map<string, RuleValues & { updatedAt: string }> {
    const out = new Map<string, RuleValues & { updatedAt: string }>();
    for (const row of this.stmts.settings.all()) {
      out.set(row.rule, {
        enabled: row.enabled === 1,
        threshold: row.threshold,
        criticalThreshold: row.critical_threshold,
        severity: row.severity,
        forSeconds: row.for_seconds,
        updatedAt: row.updated_at
      });
    }
    return out;
  }

  saveRuleSettings(rule: AlertRuleId, values: RuleValues, at: string): void {
    this.stmts.upsertSettings.run({
      rule,
      enabled: values.enabled ? 1 : 0,
      threshold: values.threshold,
      criticalThreshold: values.criticalThreshold,
      severity: values.severity,
      forSeconds: values.forSeconds,
      at
    });
  }

  deleteRuleSettings(rule: AlertRuleId): void {
    this.stmts.deleteSettings.run(rule);
  }

  /** Deletes resolved alerts (and their transitions) older than maxAgeMs, and beyond the newest maxResolved. */
  cleanup({
    maxAgeMs,
    maxResolved,
    now = Date.now()
  }: {
    maxAgeMs: number;
    maxResolved: number;
    now?: number;
  }): number {
    return this.db
      .transaction(() => {
        const cutoff = new Date(now - maxAgeMs).toISOString();
        return this.stmts.pruneByAge.run(cutoff).changes + this.stmts.pruneByCount.run(maxResolved).changes;
      })
      .immediate();
  }
}

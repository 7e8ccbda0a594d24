import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateEnvelope } from '../../main/contract/messages';
import { silentLogger } from '../../main/core/logger';
import { AlertEngine } from '../../main/monitoring/alert-engine';
import { AlertStore, type StoredTransition } from '../../main/monitoring/alert-store';
import type { AlertInputs } from '../../main/monitoring/inputs';
import { alertMessage } from '../../main/monitoring/module';
import { migrate, type Database } from '../../main/store/database';
import { MIGRATIONS } from '../../main/store/migrations';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function healthy(now: number): AlertInputs {
  return {
    now,
    connection: { state: 'connected', offlineSince: null },
    outbox: { pending: 0, processing: 0, retrying: 0, dead: 0, completed: 0, oldestPendingAgeSeconds: null },
    breakers: [{ name: 'publish', state: 'closed' }],
    emergency: false,
    consumers: [],
    streams: [{ stream: 'S', messages: 0, bytes: 0, maxMsgs: 100, maxBytes: -1 }],
    publishP99Seconds: null,
    invalidPerMinute: 0,
    engine: { load: 0.1, valence: 0 },
    servers: null
  };
}

describe('alert engine lifecycle (in-memory SQLite)', () => {
  let db: Database;
  let store: AlertStore;
  let engine: AlertEngine;
  let inputs: AlertInputs;
  let seen: StoredTransition[];
  const set = (patch: Partial<AlertInputs>): void => {
    inputs = { ...inputs, ...patch };
  };
  const at = (ms: number): void => {
    inputs = { ...inputs, now: T0 + ms };
  };

  beforeEach(() => {
    db = new BetterSqlite3(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, silentLogger);
    store = new AlertStore(db);
    inputs = healthy(T0);
    seen = [];
    engine = new AlertEngine({ store, read: () => inputs, logger: silentLogger, onTransition: (t) => seen.push(t) });
  });
  afterEach(() => db.close());

  it('fires once per rule + target, escalates, de-escalates and resolves, storing every transition', () => {
    expect(engine.evaluate()).toEqual([]);
    set({ streams: [{ stream: 'S', messages: 85, bytes: 0, maxMsgs: 100, maxBytes: -1 }] });
    const [fired] = engine.evaluate();
    expect(fired).toMatchObject({
      transition: { kind: 'fired', severity: 'WARNING' },
      alert: { rule: 'stream.usage', target: 'S', state: 'firing' }
    });
    // dedupe: the same condition again changes nothing
    at(1000);
    expect(engine.evaluate()).toEqual([]);
    expect(store.openAlerts()).toHaveLength(1);

    set({ streams: [{ stream: 'S', messages: 96, bytes: 0, maxMsgs: 100, maxBytes: -1 }] });
    expect(engine.evaluate().map((t) => [t.transition.kind, t.transition.severity])).toEqual([
      ['escalated', 'CRITICAL']
    ]);
    set({ streams: [{ stream: 'S', messages: 90, bytes: 0, maxMsgs: 100, maxBytes: -1 }] });
    expect(engine.evaluate().map((t) => [t.transition.kind, t.transition.severity])).toEqual([
      ['deescalated', 'WARNING']
    ]);
    at(5000);
    set({ streams: [{ stream: 'S', messages: 10, bytes: 0, maxMsgs: 100, maxBytes: -1 }] });
    const [resolved] = engine.evaluate();
    expect(resolved).toMatchObject({
      transition: { kind: 'resolved' },
      alert: { state: 'resolved', resolvedAt: '2026-01-01T00:00:05.000Z', since: '2026-01-01T00:00:00.000Z' }
    });

    const history = store.history(fired!.alert.id);
    expect(history.transitions.map((t) => t.kind)).toEqual(['fired', 'escalated', 'deescalated', 'resolved']);
    expect(seen).toHaveLength(4);
    // a new occurrence is a new alert
    set({ streams: [{ stream: 'S', messages: 99, bytes: 0, maxMsgs: 100, maxBytes: -1 }] });
    const [again] = engine.evaluate();
    expect(again!.alert.id).not.toBe(fired!.alert.id);
    expect(again!.alert.severity).toBe('CRITICAL');
  });

  it('waits forSeconds before firing a sustained condition and starts over when it clears', () => {
    set({ engine: { load: 0.95, valence: 0 } });
    expect(engine.evaluate()).toEqual([]);
    at(20_000);
    expect(engine.evaluate()).toEqual([]);
    at(25_000);
    set({ engine: { load: 0.5, valence: 0 } });
    expect(engine.evaluate()).toEqual([]);
    at(30_000);
    set({ engine: { load: 0.95, valence: 0 } });
    expect(engine.evaluate()).toEqual([]);
    at(60_000);
    expect(engine.evaluate().map((t) => t.alert.rule)).toEqual(['engine.overload']);
  });

  it('keeps alerts as they are when the source goes away (no data), resolves targets no longer reported', () => {
    set({
      breakers: [
        { name: 'publish', state: 'open' },
        { name: 'connect', state: 'open' }
      ]
    });
    expect(
      engine
        .evaluate()
        .map((t) => t.alert.target)
        .sort()
    ).toEqual(['connect', 'publish']);
    set({ breakers: null });
    expect(engine.evaluate()).toEqual([]);
    expect(store.openAlerts()).toHaveLength(2);
    set({ breakers: [{ name: 'publish', state: 'open' }] });
    const out = engine.evaluate();
    expect(out.map((t) => [t.transition.kind, t.alert.target])).toEqual([['resolved', 'connect']]);
  });

  it('acknowledges idempotently; refuses unknown and resolved alerts with typed errors', () => {
    set({ outbox: { pending: 0, processing: 0, retrying: 0, dead: 3, completed: 0, oldestPendingAgeSeconds: null } });
    const [fired] = engine.evaluate();
    const acked = engine.acknowledge(fired!.alert.id, 'alice', T0 + 1000);
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'alice' });
    expect(seen.at(-1)!.transition.kind).toBe('acknowledged');
    const count = seen.length;
    expect(engine.acknowledge(fired!.alert.id, 'bob').acknowledgedBy).toBe('alice');
    expect(seen).toHaveLength(count);
    expect(() => engine.acknowledge(9999, 'x')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    set({ outbox: { pending: 0, processing: 0, retrying: 0, dead: 0, completed: 0, oldestPendingAgeSeconds: null } });
    const [resolved] = engine.evaluate();
    expect(resolved!.alert.state).toBe('resolved');
    expect(() => engine.acknowledge(fired!.alert.id, 'x')).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(store.list({ state: 'active', limit: 10 }).alerts).toEqual([]);
    expect(store.list({ state: 'all', limit: 10 }).total).toBe(1);
  });

  it('persists rule edits; a disabled rule resolves its alerts; reset restores the defaults', () => {
    set({ outbox: { pending: 50, processing: 0, retrying: 0, dead: 0, completed: 0, oldestPendingAgeSeconds: 3 } });
    expect(engine.evaluate()).toEqual([]);
    const edited = engine.setRule({ rule: 'outbox.backlog', threshold: 10, severity: 'ERROR' });
    expect(edited).toMatchObject({ threshold: 10, severity: 'ERROR', defaults: { threshold: 1000 } });
    expect(edited.updatedAt).not.toBeNull();
    // a second engine on the same database sees the edit
    const other = new AlertEngine({
      store: new AlertStore(db),
      read: () => inputs,
      logger: silentLogger,
      onTransition: () => undefined
    });
    expect(other.setting('outbox.backlog').threshold).toBe(10);
    expect(engine.evaluate().map((t) => [t.alert.rule, t.transition.severity])).toEqual([['outbox.backlog', 'ERROR']]);
    engine.setRule({ rule: 'outbox.backlog', enabled: false });
    expect(engine.evaluate().map((t) => t.transition.kind)).toEqual(['resolved']);
    expect(engine.resetRule('outbox.backlog')).toMatchObject({ enabled: true, threshold: 1000, updatedAt: null });
    expect(() => engine.setRule({ rule: 'stream.usage', threshold: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' })
    );
  });

  it('publishes each transition as a valid alert.notification on alert.<severity>.<rule>', () => {
    set({ connection: { state: 'reconnecting', offlineSince: new Date(T0 - 30_000).toISOString() } });
    const [fired] = engine.evaluate();
    const message = alertMessage(fired!, 'test');
    expect(message.subject).toBe('alert.error.nats.disconnected');
    expect(message.id).toBe(fired!.messageId);
    expect(message.priority).toBe('high');
    const checked = validateEnvelope(message.payload);
    expect(checked.ok).toBe(true);
    if (checked.ok) {
      expect(checked.type).toBe('alert.notification');
      expect(checked.envelope.data).toMatchObject({
        rule: 'nats.disconnected',
        state: 'firing',
        severity: 'ERROR',
        target: 'connection',
        threshold: 10
      });
    }
    expect(store.unpublished(10).map((t) => t.transition.id)).toEqual([fired!.transition.id]);
    store.markPublished([fired!.transition.id], new Date().toISOString());
    expect(store.unpublished(10)).toEqual([]);
  });

  it('retention deletes old resolved alerts with their transitions and keeps open ones', () => {
    for (let i = 0; i < 5; i++) {
      at(i * 1000);
      set({ emergency: true });
      engine.evaluate();
      at(i * 1000 + 500);
      set({ emergency: false });
      engine.evaluate();
    }
    set({ emergency: true });
    engine.evaluate();
    expect(store.list({ state: 'all', limit: 100 }).total).toBe(6);
    expect(store.cleanup({ maxAgeMs: 60_000, maxResolved: 2, now: T0 + 10_000 })).toBe(3);
    expect(store.list({ state: 'resolved', limit: 100 }).total).toBe(2);
    expect(store.cleanup({ maxAgeMs: 1000, maxResolved: 100, now: T0 + 10_000 })).toBe(2);
    expect(store.openAlerts()).toHaveLength(1);
    const orphans = db
      .prepare('SELECT COUNT(*) AS n FROM alert_transitions WHERE alert_id NOT IN (SELECT id FROM alerts)')
      .get() as { n: number };
    expect(orphans.n).toBe(0);
  });
});

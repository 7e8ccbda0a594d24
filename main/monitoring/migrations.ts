/**
 * Monitoring schema (ids 0400–0499): alerts (one open row per rule + target), every transition
 * they went through (with the outbound message id and when it was handed to the publisher), and
 * the operator's edits of rule settings.
 */
import type { Migration } from '../store/database';

export const MONITORING_MIGRATIONS: Migration[] = [
  {
    id: '0400',
    description: 'alerts, their transitions and rule settings',
    sql: `CREATE TABLE alerts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            rule TEXT NOT NULL,
            target TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('INFO', 'WARNING', 'ERROR', 'CRITICAL')),
            message TEXT NOT NULL,
            value REAL,
            threshold REAL,
            fired_at TEXT NOT NULL,
            resolved_at TEXT,
            acknowledged_at TEXT,
            acknowledged_by TEXT,
            updated_at TEXT NOT NULL
          );
          CREATE UNIQUE INDEX alerts_open_by_rule_target ON alerts (rule, target) WHERE resolved_at IS NULL;
          CREATE INDEX alerts_resolved_at ON alerts (resolved_at) WHERE resolved_at IS NOT NULL;
          CREATE TABLE alert_transitions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('fired', 'escalated', 'deescalated', 'acknowledged', 'resolved')),
            severity TEXT NOT NULL,
            at TEXT NOT NULL,
            value REAL,
            message TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            published_at TEXT
          );
          CREATE INDEX alert_transitions_by_alert ON alert_transitions (alert_id);
          CREATE INDEX alert_transitions_unpublished ON alert_transitions (id) WHERE published_at IS NULL;
          CREATE TABLE alert_rule_settings (
            rule TEXT PRIMARY KEY,
            enabled INTEGER NOT NULL,
            threshold REAL NOT NULL,
            critical_threshold REAL,
            severity TEXT NOT NULL,
            for_seconds REAL NOT NULL,
            updated_at TEXT NOT NULL
          );`
  }
];

/**
 * Evaluates the alert rules against one reading of the inputs and moves alerts through their
 * lifecycle: a condition over its threshold for `forSeconds` fires (one alert per rule + target),
 * a change of level escalates or de-escalates it, the condition clearing resolves it. A rule with
 * no data leaves its alerts as they are. Every transition is stored first, then handed to
 * `onTransition` (push to the UI, desktop notification, publish).
 */
import {
  ALERT_SEVERITIES,
  ContractError,
  type Alert,
  type AlertRuleId,
  type AlertSeverity,
  type RuleSetInput,
  type RuleSetting,
  type RuleValues
} from '../contract';
import type { Logger } from '../core/logger';
import { ALERT_RULES, applyRuleEdit, ruleDefinition, severityFor, type RuleDefinition } from './alert-rules';
import type { AlertStore, StoredTransition } from './alert-store';
import type { AlertInputs } from './inputs';

export interface AlertEngineOptions {
  store: AlertStore;
  read: () => AlertInputs;
  logger: Logger;
  onTransition: (stored: StoredTransition) => void;
  rules?: readonly RuleDefinition[];
  /** Values from the configuration, applied over the defaults and under the operator's stored edits. */
  configured?: Partial<Record<AlertRuleId, Partial<RuleValues>>>;
}

const RANK = new Map<AlertSeverity, number>(ALERT_SEVERITIES.map((s, i) => [s, i]));

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class AlertEngine {
  private readonly store: AlertStore;
  private readonly rules: readonly RuleDefinition[];
  private readonly logger: Logger;
  /** rule|target → when its condition was first seen over the threshold (for forSeconds). */
  private readonly overSince = new Map<string, number>();

  constructor(private readonly options: AlertEngineOptions) {
    this.store = options.store;
    this.rules = options.rules ?? ALERT_RULES;
    this.logger = options.logger.child({ part: 'alerts' });
  }

  private baseValues(rule: RuleDefinition): RuleValues {
    return { ...rule.defaults, ...(this.options.configured?.[rule.id] ?? {}) };
  }

  /** Every rule with its effective settings (defaults < configuration < the operator's stored edits). */
  settings(): RuleSetting[] {
    const stored = this.store.ruleSettings();
    return this.rules.map((rule) => {
      const edit = stored.get(rule.id);
      const base = this.baseValues(rule);
      const values: RuleValues = edit
        ? {
            enabled: edit.enabled,
            threshold: edit.threshold,
            criticalThreshold: edit.criticalThreshold,
            severity: edit.severity,
            forSeconds: edit.forSeconds
          }
        : base;
      return {
        rule: rule.id,
        title: rule.title,
        description: rule.description,
        unit: rule.unit,
        ...values,
        defaults: base,
        updatedAt: edit?.updatedAt ?? null
      };
    });
  }

  setting(id: AlertRuleId): RuleSetting {
    const found = this.settings().find((s) => s.rule === id);
    if (!found) throw new ContractError('NOT_FOUND', `alert rule "${id}" is not evaluated by this core`, { rule: id });
    return found;
  }

  /** Applies and persists an operator's edit; takes effect at the next evaluation. */
  setRule(input: RuleSetInput, now = Date.now()): RuleSetting {
    const rule = this.rules.find((r) => r.id === input.rule) ?? ruleDefinition(input.rule);
    const current = this.setting(rule.id);
    const { rule: _id, ...edit } = input;
    const next = applyRuleEdit(rule, current, edit);
    this.store.saveRuleSettings(rule.id, next, iso(now));
    this.logger.info('alert rule changed', { rule: rule.id, ...next });
    return this.setting(rule.id);
  }

  /** Drops the operator's edit: back to the configured/default values. */
  resetRule(id: AlertRuleId): RuleSetting {
    this.store.deleteRuleSettings(id);
    return this.setting(id);
  }

  /** Records an operator's acknowledgement (idempotent) and reports the transition. */
  acknowledge(id: number, by: string, now = Date.now()): Alert {
    const { alert, stored } = this.store.acknowledge(id, by, iso(now));
    if (stored) this.options.onTransition(stored);
    return alert;
  }

  /** One evaluation of every enabled rule. Returns the transitions it recorded. */
  evaluate(): StoredTransition[] {
    const inputs = this.options.read();
    const now = inputs.now;
    const at = iso(now);
    const open = new Map<string, Alert>();
    for (const alert of this.store.openAlerts()) open.set(`${alert.rule}|${alert.target}`, alert);
    const settings = new Map(this.settings().map((s) => [s.rule, s]));
    const out: StoredTransition[] = [];
    const emit = (stored: StoredTransition | null): void => {
      if (!stored) return;
      out.push(stored);
      this.options.onTransition(stored);
    };

    for (const rule of this.rules) {
      const values = settings.get(rule.id)!;
      const openForRule = [...open.values()].filter((a) => a.rule === rule.id);
      const clearPending = (keep: Set<string>): void => {
        for (const key of this.overSince.keys()) {
          if (key.startsWith(`${rule.id}|`) && !keep.has(key)) this.overSince.delete(key);
        }
      };
      if (!values.enabled) {
        clearPending(new Set());
        for (const alert of openForRule) {
          emit(this.store.resolve(alert.id, { message: `rule ${rule.id} was disabled`, value: null, at }));
        }
        continue;
      }
      let findings;
      try {
        findings = rule.evaluate(inputs, values);
      } catch (error) {
        this.logger.error('alert rule failed to evaluate; treated as no data', { rule: rule.id, error });
        findings = null;
      }
      if (findings === null) {
        // No data: nothing fires, nothing resolves, and a "sustained" condition must start over.
        clearPending(new Set());
        continue;
      }
      const stillOver = new Set<string>();
      const byTarget = new Map(findings.map((f) => [f.target, f]));
      for (const f of findings) {
        if (!f.over) continue;
        const key = `${rule.id}|${f.target}`;
        stillOver.add(key);
        const severity = severityFor(f, values);
        const existing = open.get(key);
        if (existing) {
          if (existing.severity !== severity) {
            const kind = (RANK.get(severity) ?? 0) > (RANK.get(existing.severity) ?? 0) ? 'escalated' : 'deescalated';
            emit(
              this.store.changeSeverity(
                existing.id,
                { severity, message: f.message, value: f.value, threshold: values.threshold, at },
                kind
              )
            );
          }
          continue;
        }
        const since = this.overSince.get(key) ?? now;
        this.overSince.set(key, since);
        if (now - since >= values.forSeconds * 1000) {
          emit(
            this.store.fire({
              rule: rule.id,
              target: f.target,
              severity,
              message: f.message,
              value: f.value,
              threshold: values.threshold,
              at
            })
          );
        }
      }
      clearPending(stillOver);
      for (const alert of openForRule) {
        if (stillOver.has(`${rule.id}|${alert.target}`)) continue;
        const f = byTarget.get(alert.target);
        emit(
          this.store.resolve(alert.id, {
            message: f ? `resolved: ${f.message}` : `resolved: ${alert.target} is no longer reported`,
            value: f?.value ?? null,
            at
          })
        );
      }
    }
    if (out.length > 0) {
      this.logger.info('alert transitions', {
        transitions: out.map((t) => `${t.transition.kind} ${t.alert.rule} ${t.alert.target} ${t.transition.severity}`)
      });
    }
    return out;
  }
}

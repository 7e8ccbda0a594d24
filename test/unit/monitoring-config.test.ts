/**
 * The `monitoring` section of config.json (JetStream and metrics sampling intervals) and the alert
 * evaluation interval next to it: absent → the long-standing defaults; partial values merged onto
 * them; every kind of bad value a CONFIG_INVALID error naming the file, the field and the bound.
 */
import { describe, expect, it } from 'vitest';
import type { ContractError } from '../../main/contract';
import { ConfigFileSchema } from '../../main/core/config';
import { DEFAULT_MONITORING_OPTIONS } from '../../main/monitoring/module';
import { DEFAULT_MONITORING_SETTINGS } from '../../main/monitoring/settings';
import { SAMPLE_INTERVAL_MS } from '../../main/nats/operations-module';
import { loadWithConfig as load, rejectedConfig as invalid } from '../harness/config-file';

/** The dotted paths of the issues in the error's details. */
function fields(error: ContractError): string[] {
  const issues = (error.details as { issues: Array<{ path: PropertyKey[] }> }).issues;
  return issues.map((i) => i.path.map(String).join('.'));
}

describe('monitoring section of config.json', () => {
  it('absent: a JetStream sample every 15 s, a metrics sample every 2 s, the default alert evaluation', () => {
    const config = load({});
    expect(config.monitoring).toEqual({
      jetstreamSampleIntervalMs: 15_000,
      metricsSampleIntervalMs: 2000,
      serverMonitorUrl: null,
      serverSampleIntervalMs: 10_000
    });
    expect(config.alerts.evaluateIntervalMs).toBeNull();
    // One default for the sampler's owner and for the monitoring area, so neither pulls the other.
    expect(SAMPLE_INTERVAL_MS).toBe(DEFAULT_MONITORING_SETTINGS.jetstreamSampleIntervalMs);
    expect(DEFAULT_MONITORING_OPTIONS.snapshotIntervalMs).toBe(DEFAULT_MONITORING_SETTINGS.jetstreamSampleIntervalMs);
    expect(DEFAULT_MONITORING_OPTIONS.sampleIntervalMs).toBe(DEFAULT_MONITORING_SETTINGS.metricsSampleIntervalMs);
  });

  it('serverMonitorUrl takes an http(s) URL without credentials; serverSampleIntervalMs has bounds', () => {
    expect(load({ monitoring: { serverMonitorUrl: 'http://127.0.0.1:8222' } }).monitoring.serverMonitorUrl).toBe(
      'http://127.0.0.1:8222'
    );
    for (const bad of ['ftp://host:8222', 'http://user:secret@host:8222', 'not a url']) {
      expect(() => load({ monitoring: { serverMonitorUrl: bad } }), bad).toThrow(/monitoring\.serverMonitorUrl/);
    }
    expect(() => load({ monitoring: { serverSampleIntervalMs: 10 } })).toThrow(/monitoring\.serverSampleIntervalMs/);
  });

  it('partial values are merged onto the defaults; the bounds themselves are accepted', () => {
    expect(load({ monitoring: { jetstreamSampleIntervalMs: 1000 } }).monitoring).toEqual({
      jetstreamSampleIntervalMs: 1000,
      metricsSampleIntervalMs: 2000,
      serverMonitorUrl: null,
      serverSampleIntervalMs: 10_000
    });
    expect(
      load({ monitoring: { jetstreamSampleIntervalMs: 600_000, metricsSampleIntervalMs: 500 } }).monitoring
    ).toEqual({
      jetstreamSampleIntervalMs: 600_000,
      metricsSampleIntervalMs: 500,
      serverMonitorUrl: null,
      serverSampleIntervalMs: 10_000
    });
    expect(load({ monitoring: { metricsSampleIntervalMs: 60_000 } }).monitoring.metricsSampleIntervalMs).toBe(60_000);
    const both = load({ monitoring: { jetstreamSampleIntervalMs: 60_000 }, alerts: { evaluateIntervalMs: 30_000 } });
    expect(both.monitoring.jetstreamSampleIntervalMs).toBe(60_000);
    expect(both.alerts.evaluateIntervalMs).toBe(30_000);
  });

  it('a JetStream interval below 1 s or above 10 min is named, with its bound and why', () => {
    const fast = invalid({ monitoring: { jetstreamSampleIntervalMs: 999 } });
    expect(fields(fast)).toEqual(['monitoring.jetstreamSampleIntervalMs']);
    expect(fast.message).toMatch(
      /monitoring\.jetstreamSampleIntervalMs: must be at least 1000 ms: each sample lists every stream/
    );

    const slow = invalid({ monitoring: { jetstreamSampleIntervalMs: 600_001 } });
    expect(fields(slow)).toEqual(['monitoring.jetstreamSampleIntervalMs']);
    expect(slow.message).toMatch(/monitoring\.jetstreamSampleIntervalMs: must be at most 600000 ms: the Streams view/);
  });

  it('a value that is not a whole number of ms is named', () => {
    expect(invalid({ monitoring: { jetstreamSampleIntervalMs: 1500.5 } }).message).toMatch(
      /monitoring\.jetstreamSampleIntervalMs: must be a whole number of milliseconds/
    );
    expect(invalid({ monitoring: { jetstreamSampleIntervalMs: '15000' } }).message).toMatch(
      /monitoring\.jetstreamSampleIntervalMs: must be a number of milliseconds/
    );
    expect(invalid({ monitoring: { metricsSampleIntervalMs: null } }).message).toMatch(
      /monitoring\.metricsSampleIntervalMs: must be a number of milliseconds/
    );
    expect(invalid({ monitoring: 15000 }).message).toMatch(/monitoring: /);
  });

  it('a metrics interval out of bounds is named', () => {
    const fast = invalid({ monitoring: { metricsSampleIntervalMs: 499 } });
    expect(fields(fast)).toEqual(['monitoring.metricsSampleIntervalMs']);
    expect(fast.message).toMatch(/monitoring\.metricsSampleIntervalMs: must be at least 500 ms/);
    expect(invalid({ monitoring: { metricsSampleIntervalMs: 60_001 } }).message).toMatch(
      /monitoring\.metricsSampleIntervalMs: must be at most 60000 ms/
    );
  });

  it('every bad field is reported at once, not only the first', () => {
    const error = invalid({ monitoring: { jetstreamSampleIntervalMs: 0, metricsSampleIntervalMs: 10 } });
    expect(fields(error).sort()).toEqual([
      'monitoring.jetstreamSampleIntervalMs',
      'monitoring.metricsSampleIntervalMs'
    ]);
  });

  it('an unknown key (a typo, or the evaluation interval in the wrong section) is named, not ignored', () => {
    const typo = invalid({ monitoring: { sampleIntervalMs: 1000 } });
    expect(typo.message).toMatch(/monitoring: .*"sampleIntervalMs"/);
    const misplaced = invalid({ monitoring: { evaluateIntervalMs: 1000 } });
    expect(misplaced.message).toMatch(/monitoring: .*"evaluateIntervalMs"/);
  });

  it('the alert evaluation interval (alerts.evaluateIntervalMs) is validated and named too', () => {
    expect(invalid({ alerts: { evaluateIntervalMs: 50 } }).message).toMatch(/alerts\.evaluateIntervalMs: /);
    expect(invalid({ alerts: { evaluateIntervalMs: 3_600_001 } }).message).toMatch(/alerts\.evaluateIntervalMs: /);
  });

  it('the Settings save path checks the section with the same schema', () => {
    // settings.setStartup validates the whole file with ConfigFileSchema before writing it.
    expect(ConfigFileSchema.safeParse({ monitoring: { jetstreamSampleIntervalMs: 5000 } }).success).toBe(true);
    expect(ConfigFileSchema.safeParse({ monitoring: { jetstreamSampleIntervalMs: 500 } }).success).toBe(false);
  });
});

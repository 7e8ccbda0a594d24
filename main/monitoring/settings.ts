/**
 * The sampling intervals an operator may tune (the `monitoring` section of config.json): how often
 * JetStream's streams and consumers are read for the whole core, and how often the Metrics view's
 * sample is taken. A server with thousands of consumers wants a slower JetStream sample (each one
 * costs a consumer list per stream); a dev box wants a faster one. The alert rules' evaluation
 * interval stays where it has always been, `alerts.evaluateIntervalMs`, next to the rule values.
 * Defaults live here once; the config loader merges the file's partial section onto them.
 */
import { z } from 'zod';
import { JETSTREAM_SAMPLE_INTERVAL_BOUNDS } from '../contract/system';

/** What an operator may set for sampling; every field has a default in {@link DEFAULT_MONITORING_SETTINGS}. */
export interface MonitoringSettings {
  /**
   * How often the core's one JetStream sampler reads streams and consumers (ms). The same sample
   * feeds the Streams view's snapshot cache, the consumer/stream alert rules and their gauges.
   */
  jetstreamSampleIntervalMs: number;
  /** How often a metrics sample is taken and pushed to the Metrics view (ms); it keeps 900 samples. */
  metricsSampleIntervalMs: number;
  /**
   * The monitoring HTTP port of one nats-server (`http://host:8222`, started with `-m`), used for
   * the Servers view when the connection is not a system account user; null for none.
   */
  serverMonitorUrl: string | null;
  /** How often every server is sampled for the Servers view and its history (ms). */
  serverSampleIntervalMs: number;
}

/** The long-standing values: a JetStream sample every 15 s, a metrics sample every 2 s (900 × 2 s = 30 minutes). */
export const DEFAULT_MONITORING_SETTINGS: Readonly<MonitoringSettings> = Object.freeze({
  jetstreamSampleIntervalMs: 15_000,
  metricsSampleIntervalMs: 2000,
  serverMonitorUrl: null,
  serverSampleIntervalMs: 10_000
});

/** Bounds of {@link MonitoringSettings.serverSampleIntervalMs}. */
export const SERVER_SAMPLE_INTERVAL_BOUNDS = { min: 1000, max: 600_000 } as const;

/** An http(s) URL of a monitoring port: no credentials in it, no other scheme. */
export const MonitorUrlSchema = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL of the nats-server monitoring port, such as http://127.0.0.1:8222');

/** Bounds of {@link MonitoringSettings.metricsSampleIntervalMs}. */
export const METRICS_SAMPLE_INTERVAL_BOUNDS = { min: 500, max: 60_000 } as const;

/** An integer number of ms within bounds; each message says why the bound exists, so the fix is obvious. */
function intervalMs(bounds: { min: number; max: number }, tooFast: string, tooSlow: string) {
  return z
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(bounds.min, `must be at least ${bounds.min} ms: ${tooFast}`)
    .max(bounds.max, `must be at most ${bounds.max} ms: ${tooSlow}`);
}

/** The `monitoring` section of config.json: any subset of the settings. Unknown keys are errors. */
export const MonitoringSettingsFileSchema = z
  .object({
    jetstreamSampleIntervalMs: intervalMs(
      JETSTREAM_SAMPLE_INTERVAL_BOUNDS,
      'each sample lists every stream and the consumers of each, a load on the server',
      'the Streams view and the consumer/stream alerts would go stale for longer (10 min)'
    ).optional(),
    metricsSampleIntervalMs: intervalMs(
      METRICS_SAMPLE_INTERVAL_BOUNDS,
      'each sample is pushed to every open Metrics view',
      'the Metrics view would chart less than one point a minute'
    ).optional(),
    serverMonitorUrl: MonitorUrlSchema.nullable().optional(),
    serverSampleIntervalMs: intervalMs(
      SERVER_SAMPLE_INTERVAL_BOUNDS,
      'each sample asks every server for VARZ, HEALTHZ, JSZ, ROUTEZ and LEAFZ',
      'the Servers view and its history would go stale for longer (10 min)'
    ).optional()
  })
  .strict();
export type MonitoringSettingsFile = z.infer<typeof MonitoringSettingsFileSchema>;

/** The defaults with the file's section merged on. */
export function resolveMonitoringSettings(file: MonitoringSettingsFile = {}): MonitoringSettings {
  const d = DEFAULT_MONITORING_SETTINGS;
  return {
    jetstreamSampleIntervalMs: file.jetstreamSampleIntervalMs ?? d.jetstreamSampleIntervalMs,
    metricsSampleIntervalMs: file.metricsSampleIntervalMs ?? d.metricsSampleIntervalMs,
    serverMonitorUrl: file.serverMonitorUrl ?? d.serverMonitorUrl,
    serverSampleIntervalMs: file.serverSampleIntervalMs ?? d.serverSampleIntervalMs
  };
}

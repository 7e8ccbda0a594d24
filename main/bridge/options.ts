/**
 * The bridge's constructor options (the operator's bridge settings plus what tests and the
 * pipeline benchmark override), what it needs from the rest of the core, and the start-time check
 * that every subject it publishes on is captured by a stream.
 */
import os from 'node:os';
import { DEFAULT_INBOUND_MAPPING, type EngineInputType } from '../contract/messages';
import type { OutboundPublisher } from '../core/outbound';
import type { DeepPartial, EngineConfig } from '../engine/config';
import { DEFAULT_INBOUND_CONSUMERS, type InboundConsumerSpec } from './inbound';
import type { CoreContext } from '../core/module';
import { desiredStreams } from '../nats/topology';
import { DEFAULT_BRIDGE_SETTINGS, subjectsWithoutStream, type BridgeSettings } from './settings';
import type { BridgeStoreOptions } from './store';

export interface BridgeOptions extends Omit<BridgeSettings, 'outboundMapping' | 'store'> {
  /**
   * Whether this core runs the engine and binds the inbound durables. Default: the core's
   * autoConnect setting — long-running cores (run, serve, desktop) do; one-shot CLI commands
   * (autoConnect off) must not compete with them for the bridge's durable consumers.
   */
  active?: boolean;
  /** Merged onto the core's `engine` config. */
  engine: DeepPartial<EngineConfig>;
  /** Engine event type → orchestrator subject; null: not forwarded. */
  outboundMapping: Record<string, string | null>;
  /** Orchestrator subject → engine input type. */
  inboundMapping: Record<string, EngineInputType>;
  consumers: readonly InboundConsumerSpec[];
  /** Put before every output subject (the pipeline benchmark keeps its outputs in its own stream); '' in the product. */
  outputSubjectPrefix: string;
  instance: string;
  store: Partial<BridgeStoreOptions>;
  clock: () => number;
  /** How often acks held for the shared state are reported in progress (./held-acks.ts); tests shorten it. */
  heldAckProgressMs?: number;
}

/** Options from the operator's bridge settings (defaults when none are given). */
export function defaultBridgeOptions(settings: Readonly<BridgeSettings> = DEFAULT_BRIDGE_SETTINGS): BridgeOptions {
  return {
    ...settings,
    engine: {},
    outboundMapping: { ...settings.outboundMapping },
    inboundMapping: { ...DEFAULT_INBOUND_MAPPING },
    consumers: DEFAULT_INBOUND_CONSUMERS,
    outputSubjectPrefix: '',
    instance: `${os.hostname()}-${process.pid}`,
    store: { ...settings.store },
    clock: Date.now
  };
}

/** What the bridge needs from the rest of the core, as constructor parameters. */
export interface BridgeDeps {
  /** Where every output goes: the core's SQLite outbox (writes inside the bridge's commit). */
  publisher: OutboundPublisher;
  /** Awaited before the inbound durables are bound; null where the streams are made elsewhere. */
  provisioning: { ensure(): Promise<unknown> } | null;
}

/** A configured subject no provisioned stream captures would dead-letter every message sent there: say so at start. */
export function warnSubjectsWithoutStream(ctx: CoreContext, options: BridgeOptions): void {
  const { replicas, duplicateWindowMs } = ctx.config.topology;
  const streamSubjects = desiredStreams({ replicas, duplicateWindowMs }).flatMap((s) => s.subjects);
  const unstored = subjectsWithoutStream(options, streamSubjects);
  if (unstored.length === 0) return;
  ctx.notices.add(
    'warning',
    'BRIDGE_SUBJECT_NOT_STORED',
    `No Syn_OS stream captures ${unstored.join(', ')} (config.json bridge section): JetStream will refuse those publishes and the outbox will retry them until they are dead letters. Create a stream for them or pick subjects under consciousness.>, orchestrator.>, health.>, metrics.>, priority.>, critical.> or alert.>.`,
    { subjects: unstored }
  );
}

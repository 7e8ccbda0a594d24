/**
 * Which durables the bridge reads its inbound families from, and the handover between the two shapes.
 *
 * nats-server 2.9 has no multi-filter consumers: one durable per family
 * (consciousness_bridge_service / _system / _user). From 2.10 on, the seed's single durable
 * `consciousness_bridge` lists every family in `filter_subjects`. A core that finds the
 * per-family durables on a ≥ 2.10 server (an upgraded server, or a store from an older version of
 * this app) hands over from them without losing or repeating a message:
 *
 * 1. For each family, the first stream sequence its durable has not settled: the first message on
 *    the family's subjects after the durable's ack floor (every message up to the floor is settled,
 *    and the first one after it cannot be, or the floor would have moved past it).
 * 2. `consciousness_bridge` is created with deliver_policy by_start_sequence at the lowest of
 *    those sequences; each family's own first sequence goes into the consumer's metadata
 *    (`synos.handover.first.<filter>`), so whichever core binds it later knows them.
 * 3. Only once it exists are the per-family durables deleted.
 *
 * The new durable delivers again what lies between the lowest sequence and a family's own: a
 * message below its family's first unsettled sequence was settled by the old durable and is acked
 * without reaching the engine ({@link settledBeforeHandover}); a message above it that the old
 * durable acknowledged out of order has its id in the bridge's inbox (the inbox key keeps the
 * per-family durable's name, see inboxScope), so it is acked without stepping the engine again.
 *
 * Safe to repeat and to interrupt: nothing is changed until the new durable exists; a second core
 * racing to create it gets "already exists" and carries on with the one that won; a core killed
 * after creating it finds it on its next start and only deletes the per-family durables left.
 * Only the lease leader calls this (the bridge binds only while leading). Durables of other
 * services (orchestrator_service, security_dashboard, …) are never touched.
 */
import {
  DeliverPolicy,
  JetStreamApiError,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StoredMsg
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger';
import { supports, unsupportedMessage, type ServerCapabilities } from '../nats/connection';
import {
  MANAGED_METADATA,
  consumerConfigFor,
  BRIDGE_FILTERS,
  bridgeConsumers,
  bridgeDurableName,
  bridgeFilteredDurableName,
  type DesiredConsumer
} from '../nats/topology';
import type { InboundConsumerSpec } from './inbound';

/** Metadata key of a family's first unsettled sequence at the handover. */
export const HANDOVER_FIRST_PREFIX = 'synos.handover.first.';
/** Metadata key listing the per-family durables a filtered durable replaced. */
export const HANDOVER_FROM_KEY = 'synos.handover.from';

export type InboundShape = 'per-family' | 'filtered';

export interface InboundPlan {
  consumers: InboundConsumerSpec[];
  shape: InboundShape;
  /** For the log and status: which shape and why. */
  reason: string;
  /** Per-family durables deleted by this call (the handover finished here). */
  retired: string[];
  /** The filtered durable was created by this call at this stream sequence. */
  handedOverAt: number | null;
}

/** The handover stopped because this core no longer leads; nothing half-done is left unsafe. */
export class HandoverAborted extends Error {}

const isPerFamilyBridge = (spec: InboundConsumerSpec): boolean =>
  spec.family === 'orchestrator' &&
  !spec.filters &&
  BRIDGE_FILTERS.some((f) => f === spec.filter && bridgeDurableName(f) === spec.durable);

function apiCode(error: unknown): number | null {
  return error instanceof JetStreamApiError ? error.code : null;
}

async function consumerInfo(jsm: JetStreamManager, stream: string, durable: string): Promise<ConsumerInfo | null> {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (error) {
    // 10014: consumer not found
    if (apiCode(error) === 10014) return null;
    throw error;
  }
}

/** The family filters a consumer reads. */
function filtersOf(config: ConsumerConfig): string[] {
  if (config.filter_subjects?.length) return config.filter_subjects;
  return config.filter_subject ? [config.filter_subject] : ['>'];
}

/** The handover positions recorded on a filtered durable, by family filter. */
export function handoverPositions(info: ConsumerInfo): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(info.config.metadata ?? {})) {
    if (!key.startsWith(HANDOVER_FIRST_PREFIX)) continue;
    const seq = Number(value);
    if (Number.isSafeInteger(seq) && seq > 0) out[key.slice(HANDOVER_FIRST_PREFIX.length)] = seq;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The first stream sequence at or after `from` carrying a message on `filter`; null when there is none. */
async function nextOnSubject(
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  from: number
): Promise<number | null> {
  // STREAM.MSG.GET answers next_by_subj (wildcards allowed) on every server with multi-filter consumers.
  const query = { seq: from, next_by_subj: filter } as unknown as { seq: number };
  const msg: StoredMsg | null = await jsm.streams.getMessage(stream, query);
  return msg ? msg.seq : null;
}

/** The filtered durable's desired configuration for `stream` reading `filters`. */
function filteredDesired(stream: string, families: readonly InboundConsumerSpec[]): DesiredConsumer {
  const base = bridgeConsumers({ multiFilter: true })[0] as DesiredConsumer;
  const filters = families.map((f) => f.filter);
  return {
    ...base,
    stream,
    durable_name: bridgeFilteredDurableName(stream),
    filter_subject: filters[0] as string,
    filter_subjects: filters,
    replaces: families.map((f) => f.durable),
    description: `consciousness_bridge: ${filters.join(', ')} into the engine`
  };
}

export interface HandoverOptions {
  server: ServerCapabilities;
  /** Checked before every change: false stops the handover (this core lost the lease). */
  stillLeading: () => boolean;
  logger?: Logger;
}

/**
 * Step 1 and 2: creates the filtered durable at the lowest unsettled sequence of the per-family
 * durables (or returns the one that exists). Null when neither it nor any per-family durable
 * exists: nothing to hand over (provisioning creates it from the stream's start).
 */
export async function createHandoverDurable(
  jsm: JetStreamManager,
  stream: string,
  families: readonly InboundConsumerSpec[],
  options: HandoverOptions
): Promise<{ info: ConsumerInfo; createdAt: number | null } | null> {
  const desired = filteredDesired(stream, families);
  const existing = await consumerInfo(jsm, stream, desired.durable_name);
  if (existing) return { info: existing, createdAt: null };
  const old = await Promise.all(families.map((f) => consumerInfo(jsm, stream, f.durable)));
  if (old.every((o) => o === null)) return null;
  // Anything published from here on has a higher sequence than this, so it is covered.
  const last = (await jsm.streams.info(stream)).state.last_seq;
  const first: Record<string, number> = {};
  for (const [i, family] of families.entries()) {
    const o = old[i];
    // A missing family durable (deleted by hand) would have been re-created from the stream's start.
    const from = o ? o.ack_floor.stream_seq + 1 : 1;
    first[family.filter] = (await nextOnSubject(jsm, stream, family.filter, from)) ?? last + 1;
  }
  const start = Math.min(...Object.values(first));
  const config: Partial<ConsumerConfig> & { durable_name: string } = {
    ...consumerConfigFor(desired, options.server),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start,
    metadata: {
      ...MANAGED_METADATA,
      [HANDOVER_FROM_KEY]: families.map((f) => f.durable).join(','),
      ...Object.fromEntries(
        Object.entries(first).map(([filter, seq]) => [`${HANDOVER_FIRST_PREFIX}${filter}`, String(seq)])
      )
    }
  };
  if (!options.stillLeading()) throw new HandoverAborted('the lease was lost before the handover');
  try {
    const info = await jsm.consumers.add(stream, config);
    options.logger?.info('handed the inbound families over to one filtered durable', {
      stream,
      durable: desired.durable_name,
      startSequence: start,
      firstUnsettled: first
    });
    return { info, createdAt: start };
  } catch (error) {
    // Another core created it first (10148: consumer already exists with a different configuration).
    const winner = await consumerInfo(jsm, stream, desired.durable_name);
    if (winner) return { info: winner, createdAt: null };
    throw error;
  }
}

/** Step 3: deletes the per-family durables the filtered one replaced. Returns the names deleted. */
export async function retireFamilyDurables(
  jsm: JetStreamManager,
  stream: string,
  families: readonly InboundConsumerSpec[],
  options: HandoverOptions
): Promise<string[]> {
  const retired: string[] = [];
  for (const family of families) {
    if (!options.stillLeading()) throw new HandoverAborted('the lease was lost during the handover');
    try {
      await jsm.consumers.delete(stream, family.durable);
      retired.push(family.durable);
    } catch (error) {
      if (apiCode(error) !== 10014) throw error;
    }
  }
  return retired;
}

/**
 * The durables to bind on this connection: on ≥ 2.10 the bridge's per-family durables in `specs`
 * become one filtered durable per stream (handing over when the per-family ones exist); every
 * other spec (security_dashboard, a benchmark's own durable) is returned as it is.
 */
export async function planInboundConsumers(
  nc: NatsConnection,
  specs: readonly InboundConsumerSpec[],
  options: Omit<HandoverOptions, 'server'>
): Promise<InboundPlan> {
  const server: ServerCapabilities = { version: nc.info?.version ?? null, apiLevel: null };
  const families = specs.filter(isPerFamilyBridge);
  if (families.length === 0) {
    return {
      consumers: [...specs],
      shape: 'per-family',
      reason: 'no bridge families',
      retired: [],
      handedOverAt: null
    };
  }
  if (!supports(server, 'multiFilter')) {
    return {
      consumers: [...specs],
      shape: 'per-family',
      reason: `one durable per inbound family: ${unsupportedMessage(server, 'multiFilter')}`,
      retired: [],
      handedOverAt: null
    };
  }
  const jsm = await jetstreamManager(nc);
  const full = { ...options, server };
  const byStream = new Map<string, InboundConsumerSpec[]>();
  for (const f of families) byStream.set(f.stream, [...(byStream.get(f.stream) ?? []), f]);
  const out: InboundConsumerSpec[] = specs.filter((s) => !isPerFamilyBridge(s));
  const retired: string[] = [];
  let handedOverAt: number | null = null;
  for (const [stream, group] of byStream) {
    const made = await createHandoverDurable(jsm, stream, group, full);
    const durable = bridgeFilteredDurableName(stream);
    if (made) {
      const have = filtersOf(made.info.config);
      const missing = group.filter((g) => !have.includes(g.filter)).map((g) => g.filter);
      if (missing.length > 0) {
        // Not ours to delete the per-family durables for: it would leave those families unread.
        throw new Error(
          `${stream}/${durable} exists but does not read ${missing.join(', ')} (it reads ${have.join(', ')}); run synos-cc provision to fix its filter_subjects`
        );
      }
      retired.push(...(await retireFamilyDurables(jsm, stream, group, full)));
      if (made.createdAt !== null) handedOverAt = made.createdAt;
      const handover = handoverPositions(made.info);
      out.push({
        stream,
        durable,
        family: 'orchestrator',
        filter: group[0]?.filter as string,
        filters: group.map((g) => g.filter),
        ...(handover ? { handover } : {})
      });
    } else {
      // Neither shape exists yet (provisioning is off or failed): bind the filtered durable once
      // provisioning creates it; the bridge retries binding until then.
      out.push({
        stream,
        durable,
        family: 'orchestrator',
        filter: group[0]?.filter as string,
        filters: group.map((g) => g.filter)
      });
    }
  }
  return {
    consumers: out,
    shape: 'filtered',
    reason: `one filtered durable per stream (${[...byStream.keys()].map(bridgeFilteredDurableName).join(', ')}): nats-server ${server.version} has consumers with several filter subjects (≥ 2.10)`,
    retired,
    handedOverAt
  };
}

/**
 * Plans once per connection and server version: the shape and the handover change only with the
 * server, and a re-bind on the same server (a lease regained, provisioning run again) should not
 * spend JetStream API calls while the consumers are unbound.
 */
export class InboundPlanner {
  private readonly plans = new WeakMap<NatsConnection, { version: string | null; plan: InboundPlan }>();

  /**
   * {@link planInboundConsumers}, retried every `retryMs` while this core still leads (the server
   * not answering, a handover step refused); logs the shape and why. Null once it no longer leads.
   */
  async plan(
    nc: NatsConnection,
    specs: readonly InboundConsumerSpec[],
    options: Omit<HandoverOptions, 'server'> & { retryMs: number }
  ): Promise<InboundPlan | null> {
    const version = nc.info?.version ?? null;
    const known = this.plans.get(nc);
    if (known && known.version === version) return known.plan;
    const plan = await planUntilDone(nc, specs, options);
    if (plan) this.plans.set(nc, { version, plan: { ...plan, retired: [], handedOverAt: null } });
    return plan;
  }
}

async function planUntilDone(
  nc: NatsConnection,
  specs: readonly InboundConsumerSpec[],
  options: Omit<HandoverOptions, 'server'> & { retryMs: number }
): Promise<InboundPlan | null> {
  let warned = false;
  while (options.stillLeading()) {
    try {
      const plan = await planInboundConsumers(nc, specs, options);
      options.logger?.info(`inbound durables: ${plan.reason}`, { shape: plan.shape, retired: plan.retired });
      return plan;
    } catch (error) {
      if (!warned) {
        warned = true;
        options.logger?.warn('cannot pick or hand over the inbound durables; retrying', { error });
      }
      await new Promise((r) => setTimeout(r, options.retryMs).unref());
    }
  }
  return null;
}

/**
 * The leadership area as a core module: long-running cores (run, serve, desktop) contend for the
 * engine lease (or only watch, `engine.role: observer`); any core, one-shot ones included, can read
 * who leads and ask the leader to step down. Offers the lease as the gate the bridge follows (the
 * composition root links them), and puts its metrics on the monitoring registry.
 */
import os from 'node:os';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { ContractError, type LeadershipView } from '../contract';
import type { CoreContext, CoreModule } from '../core/module';
import { classifyNatsError } from '../nats/connection';
import type { BridgeLeadershipLink } from '../bridge/leadership-gate';
import type { ConsciousnessBridge } from '../bridge/bridge';
import { linkBridgeToLeadership } from './bridge-link';
import { EngineLease } from './lease';
import { encodeJson, keySafe, stepDownSubject, type StepDownReply, type StepDownRequest } from './lease-record';
import { readLeadershipStatus } from './status';
import { SharedEngineStateStore } from './shared-state';

const decoder = new TextDecoder();

let coresInProcess = 0;

/**
 * This core's instance id: host and pid, as the bridge's heartbeats name it, made safe for a KV
 * key; a second core in the same process (tests, tools) gets a suffix so the two never share one.
 */
export function instanceId(ordinal = 1): string {
  const base = keySafe(`${os.hostname()}-${process.pid}`);
  return ordinal > 1 ? `${base}-${ordinal}` : base;
}

function registerMetrics(registry: Registry, lease: EngineLease): void {
  const registers = [registry];
  const renew = new Histogram({
    name: 'synos_engine_lease_renew_seconds',
    help: 'Time one renewal (compare-and-set) of the engine lease took',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers
  });
  let counted = 0;
  new Gauge({
    name: 'synos_engine_leader',
    help: '1 while this core holds the engine lease (runs the engine), else 0',
    registers,
    collect() {
      this.set(lease.isActive() ? 1 : 0);
      for (const ms of lease.takeRenewSamples()) renew.observe(ms / 1000);
    }
  });
  new Counter({
    name: 'synos_engine_failovers_total',
    help: 'Terms this core started by taking the engine lease over (its first acquisition included)',
    registers,
    collect() {
      const now = lease.metrics.acquired;
      if (now > counted) this.inc(now - counted);
      counted = now;
    }
  });
  new Counter({
    name: 'synos_engine_lease_lost_total',
    help: 'Terms this core lost because the lease could not be renewed in time (self-fenced)',
    registers,
    collect() {
      this.reset();
      this.inc(lease.metrics.lost);
    }
  });
}

/** What the leadership area needs from the areas built before it. */
export interface LeadershipDeps {
  /** The lease's gauges and counters go on the monitoring area's registry. */
  metrics: { registry: Registry };
}

/** The leadership area's public face. */
export interface LeadershipModule extends CoreModule {
  /** The engine lease; null in one-shot commands, which only read and ask. */
  lease: EngineLease | null;
  /** Puts a bridge behind the lease (null when this core has no lease or the bridge is inactive). */
  linkBridge(bridge: ConsciousnessBridge): BridgeLeadershipLink | null;
}

export function createLeadershipModule(ctx: CoreContext, deps: LeadershipDeps): LeadershipModule {
  const cfg = ctx.config.leadership;
  const logger = ctx.logger.child({ part: 'leadership' });
  const instance = ctx.config.autoConnect ? instanceId(++coresInProcess) : instanceId();
  // One-shot commands (autoConnect off) never take part; they only read and ask.
  const lease = ctx.config.autoConnect
    ? new EngineLease(ctx.nats, {
        group: cfg.group,
        ttlMs: cfg.ttlMs,
        preference: cfg.role,
        replicas: ctx.config.topology.replicas,
        instance,
        host: os.hostname(),
        pid: process.pid,
        logger
      })
    : null;
  const shared = lease
    ? new SharedEngineStateStore(ctx.nats, lease, { group: cfg.group, replicas: ctx.config.topology.replicas, logger })
    : null;
  if (lease) registerMetrics(deps.metrics.registry, lease);

  let last: LeadershipView | null = null;

  const selfView = (): LeadershipView['self'] =>
    lease
      ? {
          instance,
          role: lease.currentRole(),
          preference: cfg.role,
          epoch: lease.epoch(),
          group: cfg.group,
          ttlMs: lease.effectiveTtlMs
        }
      : null;

  async function view(): Promise<LeadershipView> {
    const nc = ctx.nats.connection();
    if (!nc) {
      const known = lease?.knownLeader() ?? null;
      return {
        leader: known,
        instances: last?.instances ?? [],
        self: selfView(),
        error: 'not connected to NATS: the leader and the instances are this core’s last knowledge'
      };
    }
    try {
      const status = await readLeadershipStatus(nc, cfg.group, {
        ttlMs: lease?.effectiveTtlMs ?? cfg.ttlMs,
        replicas: ctx.config.topology.replicas
      });
      last = { ...status, self: selfView(), error: null };
      return last;
    } catch (error) {
      const known = lease?.knownLeader() ?? null;
      return {
        leader: known,
        instances: last?.instances ?? [],
        self: selfView(),
        error: `cannot read the lease bucket: ${error instanceof Error ? error.message : String(error)}`
      };
    }
  }

  async function askLeader(request: StepDownRequest): Promise<StepDownReply> {
    const nc = ctx.nats.connection();
    if (!nc) throw new ContractError('NOT_CONNECTED', 'not connected to NATS; connect first, then ask again');
    try {
      const reply = await nc.request(stepDownSubject(cfg.group), encodeJson(request), { timeout: 5000 });
      return JSON.parse(decoder.decode(reply.data)) as StepDownReply;
    } catch (error) {
      const shape = classifyNatsError(error);
      if (shape.code === 'NO_RESPONDERS')
        throw new ContractError(
          'UNAVAILABLE',
          `no engine holds the lease of group "${cfg.group}" right now, so there is nothing to step down; synos-cc engine status shows the instances`,
          { group: cfg.group }
        );
      throw new ContractError(shape.code, shape.message, shape.details);
    }
  }

  let pushTimer: NodeJS.Timeout | null = null;
  const push = (): void => {
    if (!ctx.events.hasListeners('engine.leadership')) return;
    void view().then((v) => ctx.events.emit('engine.leadership', v));
  };

  return {
    name: 'leadership',
    lease,
    linkBridge: (bridge) => linkBridgeToLeadership(ctx, bridge, { gate: lease, shared }),
    start() {
      if (!lease) return;
      lease.onChange(push);
      lease.start();
      // Other instances' changes (a takeover elsewhere) reach the UI header within a TTL.
      pushTimer = setInterval(push, Math.max(1000, cfg.ttlMs));
      pushTimer.unref();
    },
    async stop() {
      if (pushTimer) clearInterval(pushTimer);
      await lease?.stop();
    },
    handlers: {
      'engine.leadership': () => view(),
      'engine.stepDown': async () => {
        const reply = await askLeader({ requestedBy: lease ? instance : `cli-${instanceId()}` });
        if (!reply.ok)
          throw new ContractError('CONFLICT', `the leader ${reply.instance} did not step down: ${reply.message ?? ''}`);
        return { instance: reply.instance, epoch: reply.epoch };
      },
      'engine.takeOver': async () => {
        if (!lease)
          throw new ContractError(
            'UNAVAILABLE',
            'only a running core (run, serve, the desktop app) can take the engine over'
          );
        if (cfg.role === 'observer')
          throw new ContractError(
            'CONFLICT',
            'this core is an observer (engine.role / --engine-role observer) and never runs the engine'
          );
        if (lease.isActive()) return { instance, epoch: lease.epoch() };
        const reply = await askLeader({ requestedBy: instance, to: instance });
        if (!reply.ok)
          throw new ContractError('CONFLICT', `the leader ${reply.instance} did not hand over: ${reply.message ?? ''}`);
        lease.contendNow();
        return { instance: reply.instance, epoch: reply.epoch };
      }
    }
  };
}

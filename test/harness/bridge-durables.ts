/**
 * The bridge's inbound durables on the server under test: one per family on nats-server 2.9, the
 * one filtered `consciousness_bridge` on ≥ 2.10 (main/bridge/inbound-consumers.ts).
 */
import { versionAtLeast } from '../../main/nats/connection/features';
import { BRIDGE_DURABLE, BRIDGE_FILTERS, bridgeDurableName } from '../../main/nats/topology/topology';
import { subjectMatchesFilter } from '../../main/bridge/settings';
import { natsServerVersion } from './nats-server';

/** True when the server under test has multi-filter consumers. */
export function serverHasMultiFilter(): boolean {
  return versionAtLeast(natsServerVersion(), '2.10.0');
}

/** Every inbound durable of the bridge on ORCHESTRATOR_EVENTS. */
export function bridgeInboundDurables(): string[] {
  return serverHasMultiFilter() ? [BRIDGE_DURABLE] : BRIDGE_FILTERS.map(bridgeDurableName);
}

/** The bridge durable that reads `subject` on ORCHESTRATOR_EVENTS. */
export function bridgeDurableFor(subject: string): string {
  if (serverHasMultiFilter()) return BRIDGE_DURABLE;
  const family = BRIDGE_FILTERS.find((f) => subjectMatchesFilter(subject, f));
  if (!family) throw new Error(`the bridge reads no durable for ${subject}`);
  return bridgeDurableName(family);
}

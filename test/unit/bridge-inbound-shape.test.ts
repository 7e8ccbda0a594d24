/**
 * The pure parts of the bridge's two inbound shapes: which topology each server gets, how drift
 * judges the filtered durable, and how a handed-over durable recognises what its per-family
 * predecessors had settled (positions in its metadata, inbox keys unchanged).
 */
import type { ConsumerConfig, ConsumerInfo } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_INBOUND_CONSUMERS,
  inboundConsumerFor,
  inboxScope,
  settledBeforeHandover
} from '../../main/bridge/inbound';
import { HANDOVER_FIRST_PREFIX, handoverPositions } from '../../main/bridge/inbound-consumers';
import { consumerConfigFor, consumerDifferences } from '../../main/nats/topology/provisioning';
import {
  BRIDGE_DURABLE,
  BRIDGE_FILTERS,
  bridgeFilteredDurableName,
  desiredConsumers
} from '../../main/nats/topology/topology';

const filtered = {
  stream: 'ORCHESTRATOR_EVENTS',
  durable: BRIDGE_DURABLE,
  family: 'orchestrator' as const,
  filter: BRIDGE_FILTERS[0],
  filters: [...BRIDGE_FILTERS],
  handover: { 'orchestrator.service.>': 47, 'orchestrator.system.>': 50, 'orchestrator.user.>': 48 }
};

describe('the bridge inbound shapes', () => {
  it('2.9 gets one durable per family, >= 2.10 one filtered durable that replaces them; other durables are the same', () => {
    const perFamily = desiredConsumers();
    const multi = desiredConsumers({ multiFilter: true });
    expect(perFamily.map((c) => c.durable_name).slice(0, 3)).toEqual([
      'consciousness_bridge_service',
      'consciousness_bridge_system',
      'consciousness_bridge_user'
    ]);
    const bridge = multi[0]!;
    expect(bridge).toMatchObject({ durable_name: 'consciousness_bridge', stream: 'ORCHESTRATOR_EVENTS' });
    expect(bridge.filter_subjects).toEqual([...BRIDGE_FILTERS]);
    expect(bridge.replaces).toEqual(perFamily.slice(0, 3).map((c) => c.durable_name));
    expect(multi.slice(1)).toEqual(perFamily.slice(3));
    expect(bridgeFilteredDurableName('ORCHESTRATOR_EVENTS')).toBe('consciousness_bridge');
    expect(bridgeFilteredDurableName('OTHER_EVENTS')).toBe('consciousness_bridge_other_events');
    const config = consumerConfigFor(bridge);
    expect(config.filter_subjects).toEqual([...BRIDGE_FILTERS]);
    expect(config.filter_subject).toBeUndefined();
  });

  it('drift: filter_subjects compared as a set; by_start_sequence accepted only for the handed-over durable', () => {
    const bridge = desiredConsumers({ multiFilter: true })[0]!;
    const have = {
      ...consumerConfigFor(bridge),
      filter_subjects: [...BRIDGE_FILTERS].reverse(),
      deliver_policy: 'by_start_sequence',
      opt_start_seq: 47
    } as unknown as ConsumerConfig;
    expect(consumerDifferences(bridge, have)).toEqual([]);
    const narrower = { ...have, filter_subjects: BRIDGE_FILTERS.slice(0, 2) } as ConsumerConfig;
    expect(consumerDifferences(bridge, narrower).map((d) => d.field)).toEqual(['filter_subjects']);
    const external = desiredConsumers()[3]!;
    const startSeq = {
      ...consumerConfigFor(external),
      deliver_policy: 'by_start_sequence'
    } as unknown as ConsumerConfig;
    expect(consumerDifferences(external, startSeq).map((d) => [d.field, d.blocked])).toEqual([
      ['deliver_policy', true]
    ]);
    // A per-family desired durable that has several filters on the server is drift, not "in sync".
    const family = desiredConsumers()[0]!;
    const several = { ...consumerConfigFor(family), filter_subject: undefined, filter_subjects: [...BRIDGE_FILTERS] };
    expect(consumerDifferences(family, several as ConsumerConfig).map((d) => d.field)).toEqual(['filter_subject']);
  });

  it('a handed-over durable acks what the per-family durables settled, and keeps their inbox keys', () => {
    expect(settledBeforeHandover(filtered, 'orchestrator.service.health', 46)).toBe(true);
    expect(settledBeforeHandover(filtered, 'orchestrator.service.health', 47)).toBe(false);
    expect(settledBeforeHandover(filtered, 'orchestrator.system.resource', 49)).toBe(true);
    expect(settledBeforeHandover(filtered, 'orchestrator.user.request', 48)).toBe(false);
    expect(settledBeforeHandover(filtered, 'orchestrator.user.request', undefined)).toBe(false);
    const { handover: _none, ...fresh } = filtered;
    expect(settledBeforeHandover(fresh, 'orchestrator.service.health', 1)).toBe(false);

    expect(inboxScope(filtered, 'orchestrator.service.health')).toBe('consciousness_bridge_service');
    expect(inboxScope(filtered, 'orchestrator.user.request')).toBe('consciousness_bridge_user');
    const perFamily = DEFAULT_INBOUND_CONSUMERS[1]!;
    expect(inboxScope(perFamily, 'orchestrator.system.resource')).toBe(perFamily.durable);
    expect(inboundConsumerFor('orchestrator.system.resource', [filtered])?.durable).toBe(BRIDGE_DURABLE);

    const info = {
      config: {
        metadata: {
          'synos.managed-by': 'synos-control-center',
          [`${HANDOVER_FIRST_PREFIX}orchestrator.service.>`]: '47',
          [`${HANDOVER_FIRST_PREFIX}orchestrator.user.>`]: 'not a number'
        }
      }
    } as unknown as ConsumerInfo;
    expect(handoverPositions(info)).toEqual({ 'orchestrator.service.>': 47 });
    expect(handoverPositions({ config: {} } as unknown as ConsumerInfo)).toBeUndefined();
  });
});

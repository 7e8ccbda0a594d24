/**
 * Inspection: streams, consumers and accounts read from JetStream, their offline snapshots, and the
 * JetStream sampler. This index is the area's public face: code outside main/nats/inspection/ imports
 * from here only (enforced by eslint.config.js).
 */
export {
  type JetStreamSample,
  JetStreamSampler,
  type JetStreamSamplerService,
  type SampledConsumer,
  type SampledStream
} from './sampler';
export { StreamInspector, type StreamRecord, toJetStreamError } from './inspector';
export { SNAPSHOT_MIGRATIONS, SnapshotStore } from './snapshots';

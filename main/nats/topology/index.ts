/**
 * Topology and provisioning: the declared streams and consumers and the idempotent provisioner with
 * its drift check. This index is the area's public face: code outside main/nats/topology/ imports from
 * here only (enforced by eslint.config.js).
 */
export {
  BRIDGE_DURABLE,
  BRIDGE_FILTERS,
  bridgeConsumers,
  bridgeDurableName,
  bridgeFilteredDurableName,
  type DesiredConsumer,
  DEFAULT_DUPLICATE_WINDOW_MS,
  desiredConsumers,
  desiredStreams
} from './topology';
export {
  consumerConfigFor,
  describeReport,
  formatDuration,
  MANAGED_METADATA,
  provision,
  type ProvisionOptions
} from './provisioning';

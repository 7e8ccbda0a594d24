/**
 * Connection and auth: the NATS connection manager (TLS, creds, nkeys, reconnect), error
 * classification, saved profiles, natscli contexts and the server-capability table. This index is the
 * area's public face: code outside main/nats/connection/ imports from here only (enforced by
 * eslint.config.js).
 */
export { buildConnectOptions } from './connect-options';
export { ConnectionManager } from './connection';
export { classifyNatsError, toNatsContractError } from './errors';
export { contextOverrides, importNatsContexts, natsConfigDir } from './natscli-contexts';
export {
  featureTable,
  requireFeature,
  type ServerCapabilities,
  supports,
  unsupportedMessage,
  userMetadata
} from './features';
export { testConnection } from './health';
export { ProfileStore } from './profiles';
export { PROFILE_MIGRATIONS } from './profile-migrations';
export { keyFileName } from './profile-keys';

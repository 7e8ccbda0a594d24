/**
 * The embedded nats-server: finding the binary on PATH and running a local server for first runs and
 * tests. This index is the area's public face: code outside main/nats/embedded/ imports from here only
 * (enforced by eslint.config.js).
 */
export { type EmbeddedServer, findOnPath, INSTALL_HINT, startEmbeddedServer } from './embedded';

/**
 * Browse, tail and publish: the message browser, live tail, publish/request, payload previews and the
 * async JetStream publisher. This index is the area's public face: code outside main/nats/messages/
 * imports from here only (enforced by eslint.config.js).
 */
export { MessageBrowser } from './browser';
export { detectFormat } from './message-format';
export { headersOf } from './payload';
export { MessagingService, renderTemplate } from './messaging';
export { TailService } from './tail';
export { AsyncJetStreamPublisher, type PubAckCallback, type PubAckInfo } from './async-publisher';

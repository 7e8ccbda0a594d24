/**
 * The application messages of Syn_OS on NATS (docs/architecture.md §2), in three parts: the
 * envelope and the schema of each event type, their examples, and the validation of raw messages.
 */
export * from './message-schemas';
export * from './message-examples';
export * from './message-validation';

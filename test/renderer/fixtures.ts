/** Canned answers shaped by the contract's types (the compiler checks every field). */
import type { ConnectionStatus, OutputOf, StreamSummary } from '../../main/contract';
import { ContractError } from '../../main/contract/errors';

export const NOW = '2026-12-06T12:00:00.000Z';

export const connected: ConnectionStatus = {
  state: 'connected',
  servers: ['nats://127.0.0.1:4222'],
  profile: null,
  server: 'nats://127.0.0.1:4222',
  serverInfo: null,
  since: NOW,
  offlineSince: null,
  rttMs: 1,
  attempts: 0,
  lastError: null,
  hint: null,
  embedded: null
};

export const disconnected: ConnectionStatus = {
  ...connected,
  state: 'disconnected',
  server: null,
  offlineSince: NOW,
  lastError: { code: 'NATS_UNREACHABLE', message: 'connection refused' },
  hint: 'Start nats-server or check the URL'
};

/** The error every "error state" test expects to see in full: code, message and the next step. */
export function unreachable(): ContractError {
  return new ContractError('NATS_UNREACHABLE', 'NATS at nats://127.0.0.1:4222 refused the connection', {
    hint: 'Start nats-server, or pick another connection profile in Settings'
  });
}

export function stream(name: string, over: Partial<StreamSummary> = {}): StreamSummary {
  return {
    name,
    description: null,
    subjects: [`${name.toLowerCase()}.>`],
    storage: 'file',
    retention: 'limits',
    replicas: 1,
    messages: 10,
    bytes: 2048,
    firstSeq: 1,
    lastSeq: 10,
    firstTime: NOW,
    lastTime: NOW,
    consumerCount: 0,
    maxMsgs: -1,
    maxBytes: -1,
    maxAgeMs: 0,
    usageMsgs: null,
    usageBytes: null,
    created: NOW,
    leader: null,
    ...over
  };
}

export function streamList(streams: StreamSummary[], cached = false): OutputOf<'streams.list'> {
  return { cached, snapshotTime: NOW, streams };
}

export const inSync: OutputOf<'streams.drift'> = {
  mode: 'check',
  time: NOW,
  serverVersion: '2.11.0',
  replicas: 1,
  duplicateWindowMs: 120_000,
  streams: [],
  consumers: [],
  summary: { created: 0, updated: 0, unchanged: 0, blocked: 0, missing: 0, drift: 0, failed: 0 },
  inSync: true
};

/**
 * The contract: every request/response procedure and every pushed event, each with a zod schema.
 * The renderer, the preload and both transports derive their types from here.
 * This folder imports nothing from Node or Electron.
 *
 * To add an area: write `main/contract/<area>.ts` exporting `<area>Procedures` / `<area>Events`
 * and spread them below.
 */
import { z } from 'zod';
import { benchEvents, benchProcedures } from './bench';
import { connectionEvents, connectionProcedures } from './connection';
import { event, procedure } from './define';
import { recordingsEvents, recordingsProcedures } from './recordings';
import { durabilityEvents, durabilityProcedures } from './durability';
import { engineEvents, engineProcedures } from './engine';
import { leadershipEvents, leadershipProcedures } from './leadership';
import { kvEvents, kvProcedures } from './kv';
import { objectsEvents, objectsProcedures } from './objects';
import { overviewEvents, overviewProcedures } from './overview';
import { messagingEvents, messagingProcedures } from './messaging';
import { profilesProcedures } from './profiles';
import { monitoringEvents, monitoringProcedures } from './monitoring';
import { streamsEvents, streamsProcedures } from './streams';
import { serversEvents, serversProcedures } from './servers';
import { systemEvents, systemProcedures } from './system';

const eventRegistry = {
  ...systemEvents,
  ...connectionEvents,
  ...streamsEvents,
  ...monitoringEvents,
  ...durabilityEvents,
  ...messagingEvents,
  ...engineEvents,
  ...leadershipEvents,
  ...benchEvents,
  ...recordingsEvents,
  ...serversEvents,
  ...kvEvents,
  ...objectsEvents,
  ...overviewEvents
} as const;

export type EventChannel = keyof typeof eventRegistry;
export const EVENT_CHANNELS = Object.keys(eventRegistry) as [EventChannel, ...EventChannel[]];
const EventChannelSchema = z.enum(EVENT_CHANNELS);

/** Procedures handled by each transport session itself (subscriptions are per client). */
const sessionProcedures = {
  'events.subscribe': procedure(
    z.object({ channels: z.array(EventChannelSchema).min(1) }).strict(),
    z.object({ channels: z.array(EventChannelSchema) }),
    'Start receiving pushed events on these channels'
  ),
  'events.unsubscribe': procedure(
    z.object({ channels: z.array(EventChannelSchema).min(1) }).strict(),
    z.object({ channels: z.array(EventChannelSchema) }),
    'Stop receiving pushed events on these channels'
  )
} as const;

export const procedures = {
  ...sessionProcedures,
  ...systemProcedures,
  ...connectionProcedures,
  ...streamsProcedures,
  ...monitoringProcedures,
  ...durabilityProcedures,
  ...profilesProcedures,
  ...messagingProcedures,
  ...engineProcedures,
  ...leadershipProcedures,
  ...benchProcedures,
  ...recordingsProcedures,
  ...serversProcedures,
  ...kvProcedures,
  ...objectsProcedures,
  ...overviewProcedures
} as const;

export const events = eventRegistry;

export type Procedures = typeof procedures;
export type Method = keyof Procedures;
export type SessionMethod = keyof typeof sessionProcedures;
export type CoreMethod = Exclude<Method, SessionMethod>;
export const SESSION_METHODS = Object.keys(sessionProcedures) as SessionMethod[];

export type InputOf<M extends Method> = z.input<Procedures[M]['input']>;
export type ParsedInputOf<M extends Method> = z.output<Procedures[M]['input']>;
export type OutputOf<M extends Method> = z.output<Procedures[M]['output']>;
export type PayloadOf<C extends EventChannel> = z.output<(typeof events)[C]['payload']>;

export function isMethod(name: string): name is Method {
  return Object.prototype.hasOwnProperty.call(procedures, name);
}

export function isEventChannel(name: string): name is EventChannel {
  return Object.prototype.hasOwnProperty.call(events, name);
}

export { event, procedure };
export * from './errors';
export * from './wire';
export * from './schemas';
export * from './system';
export * from './connection';
export * from './streams';
export * from './monitoring';
export * from './durability';
export * from './profiles';
export * from './messaging';
export * from './engine';
export * from './leadership';
export * from './messages';
export * from './bench';
export * from './recordings';
export * from './servers';
export * from './urls';
export * from './kv';
export * from './objects';
export * from './overview';

/** How the engine emits: every output event with its priority, time and cause, counted. */
import type { EngineOutputType, MessageData, Priority } from '../contract/messages';
import type { EngineCounters, EngineEvent } from './types';

export const PRIORITY: Record<EngineOutputType, Priority> = {
  'consciousness.state_change': 'low',
  'consciousness.attention_shift': 'normal',
  'consciousness.memory_update': 'low',
  'consciousness.decision_made': 'high',
  'consciousness.learning_event': 'normal',
  'consciousness.error': 'high'
};

/** Appends one output event to `out` and counts it. */
export function emitEvent<T extends EngineOutputType>(
  counters: EngineCounters,
  out: EngineEvent[],
  type: T,
  data: MessageData<T>,
  t: number,
  cause: string | undefined
): void {
  const event: EngineEvent<T> = { type, data, priority: PRIORITY[type], time: t };
  if (cause !== undefined) event.correlationid = cause;
  out.push(event as unknown as EngineEvent);
  counters.events++;
}

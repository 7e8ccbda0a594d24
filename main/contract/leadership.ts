/**
 * Which core runs the engine when several share one NATS account: the lease holder, every
 * announced instance with its role, and the step-down / take-over controls.
 */
import { z } from 'zod';
import { event, procedure } from './define';
import { IsoTime } from './schemas';

const Empty = z.object({}).strict();

export const EngineRoleSchema = z.enum(['active', 'standby', 'observer']);
export type EngineRoleName = z.infer<typeof EngineRoleSchema>;

export const LeaderSchema = z.object({
  instance: z.string(),
  host: z.string(),
  pid: z.number().int(),
  /** The term's fencing token: every engine output of the term carries it (synosepoch / Synos-Epoch). */
  epoch: z.number().int(),
  since: IsoTime
});

export const EngineInstanceSchema = z.object({
  instance: z.string(),
  host: z.string(),
  pid: z.number().int(),
  role: EngineRoleSchema,
  last_seen: IsoTime
});

/** What `synos-cc engine status --json` prints (the first two fields) plus this core's own view. */
export const LeadershipViewSchema = z.object({
  leader: LeaderSchema.nullable(),
  instances: z.array(EngineInstanceSchema),
  /** This core, when it takes part (run, serve, desktop); null for a one-shot command. */
  self: z
    .object({
      instance: z.string(),
      role: EngineRoleSchema,
      preference: z.enum(['auto', 'observer']),
      epoch: z.number().int().nullable(),
      group: z.string(),
      ttlMs: z.number().int()
    })
    .nullable(),
  /** Set when the lease bucket could not be read (not connected …); the lists are then this core's last knowledge. */
  error: z.string().nullable()
});
export type LeadershipView = z.infer<typeof LeadershipViewSchema>;

export const StepDownResultSchema = z.object({
  /** The instance that gave up the lease and the epoch of the term it ended. */
  instance: z.string(),
  epoch: z.number().int().nullable()
});

export const leadershipProcedures = {
  'engine.leadership': procedure(Empty, LeadershipViewSchema, 'Who runs the engine, and every instance with its role'),
  'engine.stepDown': procedure(Empty, StepDownResultSchema, 'Ask the active engine to yield its lease'),
  'engine.takeOver': procedure(Empty, StepDownResultSchema, 'Ask the active engine to hand its lease to this instance')
} as const;

export const leadershipEvents = {
  'engine.leadership': event(LeadershipViewSchema, 'This core’s role or the leader changed', {
    latestOnly: true,
    maxQueued: 5
  })
} as const;

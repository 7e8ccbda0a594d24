/**
 * Connection profiles: named sets of servers, credentials and TLS files, kept in SQLite with their
 * secrets (token, password, inline nkey seed) encrypted at rest (docs/architecture.md §7). Secrets go in through
 * `profiles.save` and never come back out: views say `hasPassword: true` instead.
 */
import { z } from 'zod';
import { procedure } from './define';
import { ErrorShapeSchema, IsoTime, NatsUrlSchema } from './schemas';
import { ServerInfoSchema } from './system';

const FilePath = z.string().trim().min(1).max(4096);
const Secret = z.string().min(1).max(65_536);

/** Files for TLS. A CA alone verifies the server; cert + key add client authentication. */
export const ProfileTlsSchema = z
  .object({
    caFile: FilePath.optional(),
    certFile: FilePath.optional(),
    keyFile: FilePath.optional()
  })
  .strict()
  .refine((tls) => Boolean(tls.certFile) === Boolean(tls.keyFile), {
    message: 'a client certificate needs its key and the key its certificate (give both certFile and keyFile)'
  });
export type ProfileTls = z.infer<typeof ProfileTlsSchema>;

/**
 * How a profile authenticates, as the operator enters it. On an update a secret left out keeps
 * the stored one (the UI never has it to send back).
 */
export const ProfileAuthInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('token'), token: Secret.optional() }).strict(),
  z.object({ kind: z.literal('user'), user: z.string().min(1).max(1024), password: Secret.optional() }).strict(),
  z
    .object({
      kind: z.literal('nkey'),
      /** Path of a seed file (SU…), read at connect time. */
      seedFile: FilePath.optional(),
      /** The seed itself, stored encrypted, for operators who paste it. */
      seed: z
        .string()
        .trim()
        .regex(/^SU[A-Z2-7]{56}$/, 'must be a user nkey seed (SU… , 58 characters)')
        .optional()
    })
    .strict()
    .refine((a) => !(a.seedFile && a.seed), { message: 'give either seedFile or seed, not both' }),
  z.object({ kind: z.literal('creds'), credsFile: FilePath }).strict()
]);
export type ProfileAuthInput = z.infer<typeof ProfileAuthInputSchema>;

/** How a profile authenticates, as the UI sees it: secrets only as presence flags. */
export const ProfileAuthViewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('token'), hasToken: z.boolean() }),
  z.object({ kind: z.literal('user'), user: z.string(), hasPassword: z.boolean() }),
  z.object({ kind: z.literal('nkey'), seedFile: z.string().nullable(), hasSeed: z.boolean() }),
  z.object({ kind: z.literal('creds'), credsFile: z.string() })
]);
export type ProfileAuthView = z.infer<typeof ProfileAuthViewSchema>;

export const ProfileIdSchema = z.string().trim().min(1).max(100);
export const ProfileNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\s/\\][^/\\]*$/, 'must not contain slashes or start with a space');

/** A profile as entered (create: no id; update: with id). */
export const ProfileInputSchema = z
  .object({
    id: ProfileIdSchema.optional(),
    name: ProfileNameSchema,
    /** Several servers form a cluster seed list; the client fails over between them. */
    servers: z.array(NatsUrlSchema).min(1).max(32),
    auth: ProfileAuthInputSchema,
    tls: ProfileTlsSchema.nullable().default(null),
    description: z.string().max(1000).optional()
  })
  .strict();
export type ProfileInput = z.input<typeof ProfileInputSchema>;

export const ProfileSourceSchema = z.enum(['manual', 'natscli']);

export const ProfileViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  servers: z.array(z.string()),
  auth: ProfileAuthViewSchema,
  tls: z
    .object({ caFile: z.string().nullable(), certFile: z.string().nullable(), keyFile: z.string().nullable() })
    .nullable(),
  /** Where it came from: entered here, or imported from a natscli context of this name. */
  source: ProfileSourceSchema,
  /** The profile the app connects with when nothing else is given (persists across restarts). */
  active: z.boolean(),
  createdAt: IsoTime,
  updatedAt: IsoTime
});
export type ProfileView = z.infer<typeof ProfileViewSchema>;

/** Outcome of trying a profile: never hangs; a failure carries NATS_AUTH / NATS_TLS / NATS_UNREACHABLE. */
export const ProfileTestResultSchema = z.object({
  ok: z.boolean(),
  /** The server that answered, when one did. */
  server: z.string().nullable(),
  serverInfo: ServerInfoSchema.nullable(),
  rttMs: z.number().nullable(),
  durationMs: z.number(),
  error: ErrorShapeSchema.nullable(),
  hint: z.string().nullable()
});
export type ProfileTestResult = z.infer<typeof ProfileTestResultSchema>;

export const ImportedContextSchema = z.object({
  /** The natscli context name (also the profile name). */
  name: z.string(),
  profileId: z.string().nullable(),
  outcome: z.enum(['created', 'updated', 'skipped']),
  /** Why it was skipped, or what was left out (e.g. an nsc:// URL, a socks proxy). */
  note: z.string().nullable(),
  /** Named in natscli's context.txt. */
  selected: z.boolean()
});

export const profilesProcedures = {
  'profiles.list': procedure(
    z.object({}).strict(),
    z.object({ profiles: z.array(ProfileViewSchema), activeProfileId: z.string().nullable() }),
    'Connection profiles (secrets only as presence flags) and which one is active'
  ),
  'profiles.get': procedure(z.object({ id: ProfileIdSchema }).strict(), ProfileViewSchema, 'One connection profile'),
  'profiles.save': procedure(
    ProfileInputSchema,
    ProfileViewSchema,
    'Create a profile (no id) or update one (with id); secrets left out keep their stored value'
  ),
  'profiles.delete': procedure(
    z.object({ id: ProfileIdSchema }).strict(),
    z.object({ deleted: z.boolean() }),
    'Delete a profile (the active one too: the app then uses its configured servers)'
  ),
  'profiles.setActive': procedure(
    z.object({ id: ProfileIdSchema.nullable() }).strict(),
    z.object({ activeProfileId: z.string().nullable() }),
    'Choose the profile used at the next start (null: the configured servers); does not reconnect'
  ),
  'profiles.test': procedure(
    z
      .object({
        /** A saved profile … */
        id: ProfileIdSchema.optional(),
        /** … or an unsaved draft (its secrets as typed; for an edited profile, missing ones come from id). */
        profile: ProfileInputSchema.optional(),
        timeoutMs: z.number().int().min(200).max(30_000).default(3000)
      })
      .strict()
      .refine((v) => v.id !== undefined || v.profile !== undefined, { message: 'give id or profile' }),
    ProfileTestResultSchema,
    'Try to connect with a profile (own short-lived connection, bounded by timeoutMs)'
  ),
  'profiles.importContexts': procedure(
    z
      .object({
        /** natscli's configuration directory (holds context/ and context.txt); default ~/.config/nats. */
        configDir: z.string().trim().min(1).max(4096).optional(),
        /** Make the context selected in natscli the active profile. */
        activateSelected: z.boolean().default(false)
      })
      .strict(),
    z.object({
      configDir: z.string(),
      contexts: z.array(ImportedContextSchema),
      activeProfileId: z.string().nullable()
    }),
    'Import natscli contexts as profiles (same name: updated)'
  )
} as const;

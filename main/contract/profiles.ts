/**
 * Connection profiles: named sets of servers, credentials and TLS key files, kept in SQLite with their
 * secrets (token, password, nkey seed, the content of picked key files) encrypted at rest
 * (docs/architecture.md §7). Secrets go in through `profiles.save` and never come back out: views
 * say `hasPassword: true`, and show a key file's name, size, SHA-256 and when it was picked.
 */
import { z } from 'zod';
import { procedure } from './define';
import { ErrorShapeSchema, IsoTime, NatsUrlSchema } from './schemas';
import { ServerInfoSchema } from './system';

const Secret = z.string().min(1).max(65_536);

/**
 * The kinds of key file a profile holds: a NATS .creds file (user JWT + seed), an nkey seed file,
 * and the TLS CA, client certificate and client key (PEM).
 */
export const KeyKindSchema = z.enum(['creds', 'seed', 'ca', 'cert', 'key']);
export type KeyKind = z.infer<typeof KeyKindSchema>;

/**
 * A key file the user has just picked (desktop dialog, web upload, a path on the command line),
 * read once then and held by the core until the profile is saved: an opaque id, never a path.
 */
export const KeyPickIdSchema = z
  .string()
  .regex(/^kp_[A-Za-z0-9_-]{16,64}$/, 'a picked key file (from profiles.pickKeyFile or a key upload), not a path');

/** A slot of a profile being saved: a newly picked file, or `keep` the one stored. */
export const KeyRefSchema = z.union([z.literal('keep'), KeyPickIdSchema]);

/** What is shown of a stored key file: its metadata, never its content. */
export const KeyFileViewSchema = z.object({
  kind: KeyKindSchema,
  /** `missing`: a path saved by an older version could not be read when it was imported; pick it again. */
  state: z.enum(['stored', 'missing']),
  /** The picked file's base name (no folder). */
  fileName: z.string(),
  bytes: z.number().int().nullable(),
  /** SHA-256 of the content, hex: compare it with `sha256sum FILE`. */
  sha256: z.string().nullable(),
  pickedAt: IsoTime.nullable(),
  /** Why it is missing and what to do; null when stored. */
  note: z.string().nullable()
});
export type KeyFileView = z.infer<typeof KeyFileViewSchema>;

/** A picked (not yet saved) key file: its id for profiles.save / profiles.test and its metadata. */
export const KeyPickSchema = z.object({
  pick: z.string(),
  kind: KeyKindSchema,
  fileName: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  pickedAt: IsoTime
});
export type KeyPick = z.infer<typeof KeyPickSchema>;

/**
 * TLS key files: a CA alone verifies the server; cert + key add client authentication. A slot left
 * out has no file (a stored one is removed); `keep` keeps the stored one.
 */
export const ProfileTlsSchema = z
  .object({
    ca: KeyRefSchema.optional(),
    cert: KeyRefSchema.optional(),
    key: KeyRefSchema.optional()
  })
  .strict()
  .refine((tls) => Boolean(tls.cert) === Boolean(tls.key), {
    message: 'a client certificate needs its key and the key its certificate (give both cert and key)'
  });
export type ProfileTls = z.infer<typeof ProfileTlsSchema>;

/**
 * How a profile authenticates, as the operator enters it. On an update a secret or key file left
 * out keeps the stored one (the UI never has it to send back). Key files come as picks, never as
 * paths: no procedure reads a file named by the renderer or a socket.
 */
export const ProfileAuthInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('token'), token: Secret.optional() }).strict(),
  z.object({ kind: z.literal('user'), user: z.string().min(1).max(1024), password: Secret.optional() }).strict(),
  z
    .object({
      kind: z.literal('nkey'),
      /** A picked seed file (SU…); left out with no seed, the stored one is kept. */
      seedKey: KeyRefSchema.optional(),
      /** The seed itself, stored encrypted, for operators who paste it. */
      seed: z
        .string()
        .trim()
        .regex(/^SU[A-Z2-7]{56}$/, 'must be a user nkey seed (SU… , 58 characters)')
        .optional()
    })
    .strict()
    .refine((a) => !(a.seedKey && a.seed), { message: 'give either seedKey or seed, not both' }),
  /** A picked .creds file; left out, the stored one is kept. */
  z.object({ kind: z.literal('creds'), creds: KeyRefSchema.optional() }).strict()
]);
export type ProfileAuthInput = z.infer<typeof ProfileAuthInputSchema>;

/** How a profile authenticates, as the UI sees it: secrets only as presence flags, key files as metadata. */
export const ProfileAuthViewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('token'), hasToken: z.boolean() }),
  z.object({ kind: z.literal('user'), user: z.string(), hasPassword: z.boolean() }),
  z.object({ kind: z.literal('nkey'), seedKey: KeyFileViewSchema.nullable(), hasSeed: z.boolean() }),
  z.object({ kind: z.literal('creds'), creds: KeyFileViewSchema.nullable() })
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
    .object({ ca: KeyFileViewSchema.nullable(), cert: KeyFileViewSchema.nullable(), key: KeyFileViewSchema.nullable() })
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
  'profiles.pickKeyFile': procedure(
    z.object({ kind: KeyKindSchema }).strict(),
    z.object({ cancelled: z.boolean(), key: KeyPickSchema.nullable() }),
    'Desktop: choose a key file with the native dialog; it is read and checked now and held until profiles.save. UNAVAILABLE in web mode and the CLI'
  ),
  'profiles.keyUpload': procedure(
    z.object({ kind: KeyKindSchema }).strict(),
    z.object({ path: z.string(), expiresAt: IsoTime }),
    'Web mode: a one-time path to PUT a key file to (?name=FILE); it answers {key} with the pick for profiles.save'
  ),
  'profiles.importContexts': procedure(
    z
      .object({
        /** natscli's configuration directory (holds context/ and context.txt); default ~/.config/nats. CLI only: refused over IPC/WebSocket. */
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
    'Import natscli contexts as profiles (same name: updated); the creds, nkey and TLS files they name are read now into the secret store'
  )
} as const;

/**
 * What a profile input means before it is stored or tried: the auth columns it becomes, the key
 * file each slot takes (picked now, kept, or none), and credentials typed into a server URL moved
 * into the auth fields. Everything here validates; nothing touches the database.
 */
import {
  ContractError,
  splitUrlCredentials,
  type KeyKind,
  type KeyPick,
  type ProfileInputSchema,
  type ProfileView
} from '../../contract';
import type { z } from 'zod';
import { registerSecret } from '../../core/redact';
import { KEY_LABEL, type KeyPicks } from './profile-keys';

/** A profile as validated by the contract (defaults applied). */
export type ParsedProfileInput = z.output<typeof ProfileInputSchema>;
export type ProfileSource = ProfileView['source'];

/** The columns a profile input becomes (the secret still plain: sealed by the caller). */
export interface AuthColumns {
  kind: ParsedProfileInput['auth']['kind'];
  user: string | null;
  /** Plain secret given now; undefined keeps the stored one when the kind is unchanged. */
  secret: string | undefined;
}

export function authColumns(auth: ParsedProfileInput['auth']): AuthColumns {
  switch (auth.kind) {
    case 'none':
      return { kind: 'none', user: null, secret: undefined };
    case 'token':
      return { kind: 'token', user: null, secret: auth.token };
    case 'user':
      return { kind: 'user', user: auth.user, secret: auth.password };
    case 'nkey':
      return { kind: 'nkey', user: null, secret: auth.seed };
    case 'creds':
      return { kind: 'creds', user: null, secret: undefined };
  }
}

/** Where a key slot's content comes from when a profile is saved or tried: picked now, stored, or nothing. */
type SlotSource = { pick: string } | { keep: true } | null;

/** The key files an input names, slot by slot (a slot not named has none). */
function slotSources(input: ParsedProfileInput): Map<KeyKind, SlotSource> {
  const ref = (value: string | undefined, keepWhenAbsent: boolean): SlotSource =>
    value === undefined
      ? keepWhenAbsent
        ? { keep: true }
        : null
      : value === 'keep'
        ? { keep: true }
        : { pick: value };
  const out = new Map<KeyKind, SlotSource>();
  const a = input.auth;
  out.set('creds', a.kind === 'creds' ? ref(a.creds, true) : null);
  out.set('seed', a.kind === 'nkey' && a.seed === undefined ? ref(a.seedKey, true) : null);
  out.set('ca', ref(input.tls?.ca, false));
  out.set('cert', ref(input.tls?.cert, false));
  out.set('key', ref(input.tls?.key, false));
  return out;
}

/**
 * Takes userinfo out of a profile's server URLs. With no auth chosen it becomes the profile's
 * user/password (or token) auth; next to another auth kind it is refused, since two sets of
 * credentials for one connection is a mistake the operator should settle.
 */
export function moveUrlCredentials(input: ParsedProfileInput): ParsedProfileInput {
  const split = input.servers.map(splitUrlCredentials);
  const withCreds = split.filter((s) => s.credentials !== null);
  if (withCreds.length === 0) return input;
  const creds = withCreds[0]?.credentials ?? {};
  const differ = withCreds.some(
    (s) =>
      s.credentials?.user !== creds.user ||
      s.credentials?.password !== creds.password ||
      s.credentials?.token !== creds.token
  );
  registerSecret(creds.password);
  registerSecret(creds.token);
  if (differ || input.auth.kind !== 'none') {
    throw new ContractError(
      'INVALID_INPUT',
      `profile "${input.name}": a server URL holds credentials (user:password@ or token@); remove them from the URL and enter them in the profile's authentication fields`,
      {
        hint: 'URLs are shown and logged; credentials belong in the authentication fields, which are stored encrypted.'
      }
    );
  }
  const auth: ParsedProfileInput['auth'] =
    creds.token !== undefined
      ? { kind: 'token', token: creds.token }
      : { kind: 'user', user: creds.user ?? '', ...(creds.password ? { password: creds.password } : {}) };
  return { ...input, servers: split.map((s) => s.url), auth };
}

/** What becomes of one key slot on save: a pick's checked content to store, `keep` the stored file, or null (none). */
export type KeySlotStep = { meta: KeyPick; content: Buffer } | 'keep' | null;

/**
 * What becomes of each key slot when `input` is saved over a profile whose stored key files are
 * `stored` (empty for a new one). Keeping what is not stored is INVALID_INPUT, except for an nkey
 * seed left out, which falls back to a stored pasted seed. A pick unknown, expired or of another
 * kind fails as KeyPicks.get says.
 */
export function planKeySlots(
  input: ParsedProfileInput,
  stored: ReadonlyMap<KeyKind, unknown>,
  picks: KeyPicks
): Map<KeyKind, KeySlotStep> {
  const plan = new Map<KeyKind, KeySlotStep>();
  for (const [kind, source] of slotSources(input)) {
    if (source === null) plan.set(kind, null);
    else if ('pick' in source) plan.set(kind, picks.get(source.pick, kind));
    else if (stored.has(kind)) plan.set(kind, 'keep');
    else if (kind === 'seed' && input.auth.kind === 'nkey' && input.auth.seedKey !== 'keep') plan.set(kind, null);
    else {
      throw new ContractError(
        'INVALID_INPUT',
        `profile "${input.name}" has no stored ${KEY_LABEL[kind]} to keep: pick the file`,
        { kind }
      );
    }
  }
  return plan;
}

/**
 * The NATS credential files as nsc writes them: an nkey seed file (bare or armoured) and a .creds
 * file (user JWT then seed). Parsed before connecting, so a wrong file is reported as such and not
 * later as an authorization violation; no error quotes the content.
 */
import { ContractError } from '../../contract';

/**
 * The seed in an nkey file: a bare `SU…` line, or the armoured form nsc writes
 * (`-----BEGIN USER NKEY SEED-----`). CONFIG_INVALID when there is none, so a wrong file is
 * reported as such and not as an authorization failure.
 */
export function parseSeedFile(text: string, file: string): string {
  const seed = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => /^S[A-Z][A-Z2-7]{50,}$/.test(line));
  if (!seed) {
    throw new ContractError('CONFIG_INVALID', `nkey seed file ${file} holds no nkey seed (a line starting with SU)`, {
      file,
      hint: 'Point --nkey at the seed file (SU…), not at the public key (U…); generate one with: nsc generate nkey --user'
    });
  }
  return seed;
}

/** The two parts of a NATS .creds file. */
export interface NatsCredentials {
  /** The user JWT (header.payload.signature). */
  jwt: string;
  /** The user nkey seed (SU…) that signs the server's nonce. */
  seed: string;
}

const ARMOURED_BLOCK = /-{3,}[^\n]*BEGIN[^\n]*-{3,}\r?\n\s*([\w\-.=]+)\s*\r?\n\s*-{3,}[^\n]*END[^\n]*-{3,}/g;

/**
 * Parses a .creds file as nsc writes it: a `BEGIN NATS USER JWT` block, then a
 * `BEGIN USER NKEY SEED` block. CONFIG_INVALID says which part is missing or malformed.
 */
export function parseCredsFile(text: string, file: string): NatsCredentials {
  const blocks = [...text.matchAll(ARMOURED_BLOCK)].map((m) => m[1] as string);
  const hint =
    'A creds file holds a user JWT and its nkey seed; create one with: nsc generate creds -a ACCOUNT -n USER';
  const jwt = blocks[0];
  const seed = blocks[1];
  if (!jwt || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jwt)) {
    throw new ContractError('CONFIG_INVALID', `creds file ${file} holds no user JWT block`, { file, hint });
  }
  if (!seed || !/^SU[A-Z2-7]{50,}$/.test(seed)) {
    throw new ContractError('CONFIG_INVALID', `creds file ${file} holds no user nkey seed block after the JWT`, {
      file,
      hint
    });
  }
  return { jwt, seed };
}

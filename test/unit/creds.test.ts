import { createAccount, createUser } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../main/contract';
import { parseCredsFile, parseSeedFile } from '../../main/nats/connection/credentials';
import { credsText, signJwt } from '../harness/nats-auth';

function userCreds(): { text: string; jwt: string; seed: string } {
  const account = createAccount();
  const user = createUser();
  const jwt = signJwt(
    { iss: account.getPublicKey(), sub: user.getPublicKey(), nats: { type: 'user', version: 2 } },
    account
  );
  const seed = new TextDecoder().decode(user.getSeed());
  return { text: credsText(jwt, seed), jwt, seed };
}

function configError(fn: () => unknown): ContractError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).code).toBe('CONFIG_INVALID');
    return error as ContractError;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

describe('parseCredsFile', () => {
  it('reads the JWT and the seed of an nsc creds file (LF and CRLF)', () => {
    const { text, jwt, seed } = userCreds();
    expect(parseCredsFile(text, 'u.creds')).toEqual({ jwt, seed });
    expect(parseCredsFile(text.replace(/\n/g, '\r\n'), 'u.creds')).toEqual({ jwt, seed });
  });

  it('says which part is missing, with a hint', () => {
    const { jwt, seed } = userCreds();
    expect(configError(() => parseCredsFile('', 'empty.creds')).message).toMatch(/empty.creds holds no user JWT/);
    expect(configError(() => parseCredsFile(seed + '\n', 'seed-only')).message).toMatch(/no user JWT/);
    const jwtOnly = `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n`;
    const error = configError(() => parseCredsFile(jwtOnly, 'jwt-only.creds'));
    expect(error.message).toMatch(/no user nkey seed block/);
    expect((error.details as { hint: string }).hint).toMatch(/nsc generate creds/);
    const notAJwt = credsText('not-a-jwt', seed);
    expect(configError(() => parseCredsFile(notAJwt, 'x')).message).toMatch(/no user JWT/);
    const accountSeed = credsText(jwt, new TextDecoder().decode(createAccount().getSeed()));
    expect(configError(() => parseCredsFile(accountSeed, 'x')).message).toMatch(/no user nkey seed/);
  });
});

describe('parseSeedFile', () => {
  it('accepts a bare seed and the armoured form', () => {
    const seed = new TextDecoder().decode(createUser().getSeed());
    expect(parseSeedFile(`${seed}\n`, 'u.nk')).toBe(seed);
    expect(parseSeedFile(`-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`, 'u.nk')).toBe(
      seed
    );
  });

  it('rejects a public key or an empty file as CONFIG_INVALID, not as an auth failure', () => {
    const kp = createUser();
    expect(configError(() => parseSeedFile(kp.getPublicKey(), 'pub.nk')).message).toMatch(/holds no nkey seed/);
    expect(configError(() => parseSeedFile('', 'empty.nk')).message).toMatch(/empty.nk/);
  });
});

/**
 * Credentials for auth tests, made in the test: nkey users, a decentralised (operator mode)
 * operator/account/user chain with a .creds file, and a TLS CA with a server certificate for
 * 127.0.0.1 made with openssl.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';

function b64url(data: Uint8Array | string): string {
  return Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64url');
}

/** Signs NATS JWT claims (alg ed25519-nkey) with an nkey. */
export function signJwt(claims: Record<string, unknown>, signer: KeyPair): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const body = b64url(
    JSON.stringify({
      jti: `J${Date.now()}${Math.random().toString(36).slice(2)}`.toUpperCase(),
      iat: Math.floor(Date.now() / 1000),
      ...claims
    })
  );
  const sig = signer.sign(new TextEncoder().encode(`${header}.${body}`));
  return `${header}.${body}.${b64url(sig)}`;
}

/** The .creds file text nsc writes. */
export function credsText(jwt: string, seed: string): string {
  return `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n\n*************************************************************\n`;
}

export interface OperatorSetup {
  /** nats-server config text for operator mode with a memory resolver. */
  serverConfig: string;
  /** Path of a valid .creds file for a user of the account. */
  credsFile: string;
  /** Path of a .creds file whose user is signed by a different account (rejected). */
  foreignCredsFile: string;
}

/** Operator → account → user, JWTs signed with nkeys made here, written under dir. */
export function makeOperatorSetup(dir: string): OperatorSetup {
  const operator = createOperator();
  const account = createAccount();
  const stranger = createAccount();
  const opJwt = signJwt(
    {
      iss: operator.getPublicKey(),
      sub: operator.getPublicKey(),
      name: 'test-op',
      nats: { type: 'operator', version: 2 }
    },
    operator
  );
  const limits = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const accJwt = signJwt(
    {
      iss: operator.getPublicKey(),
      sub: account.getPublicKey(),
      name: 'test-acc',
      nats: { limits, default_permissions: { pub: {}, sub: {} }, type: 'account', version: 2 }
    },
    operator
  );
  const userCreds = (signer: KeyPair, file: string): string => {
    const user = createUser();
    const jwt = signJwt(
      {
        iss: signer.getPublicKey(),
        sub: user.getPublicKey(),
        name: 'test-user',
        nats: { pub: {}, sub: {}, subs: -1, data: -1, payload: -1, type: 'user', version: 2 }
      },
      signer
    );
    const target = path.join(dir, file);
    fs.writeFileSync(target, credsText(jwt, new TextDecoder().decode(user.getSeed())), { mode: 0o600 });
    return target;
  };
  return {
    serverConfig: `operator: ${opJwt}\nresolver: MEMORY\nresolver_preload: {\n  ${account.getPublicKey()}: ${accJwt}\n}\n`,
    credsFile: userCreds(account, 'user.creds'),
    foreignCredsFile: userCreds(stranger, 'foreign.creds')
  };
}

/** A user nkey: the public key for the server config and a seed file for the client. */
export function makeNkeyUser(dir: string, name = 'user.nk'): { publicKey: string; seed: string; seedFile: string } {
  const kp = createUser();
  const seed = new TextDecoder().decode(kp.getSeed());
  const seedFile = path.join(dir, name);
  fs.writeFileSync(seedFile, seed + '\n', { mode: 0o600 });
  return { publicKey: kp.getPublicKey(), seed, seedFile };
}

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A CA that did not sign the server certificate. */
  otherCaFile: string;
  /** A client certificate and key signed by the CA (mutual TLS). */
  clientCertFile: string;
  clientKeyFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate signed by it (EC P-256, one day). */
export function makeTlsFiles(dir: string): TlsFiles {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Synos Test CA'],
    dir
  );
  openssl(
    ['req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '1', '-subj', '/CN=Other CA'],
    dir
  );
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '1',
      '-extfile',
      'ext.cnf'
    ],
    dir
  );
  // A client certificate for mutual TLS, signed by the same CA.
  openssl(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=synos-client'], dir);
  fs.writeFileSync(path.join(dir, 'client-ext.cnf'), 'extendedKeyUsage=clientAuth\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'client.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'client.pem',
      '-days',
      '1',
      '-extfile',
      'client-ext.cnf'
    ],
    dir
  );
  return {
    clientCertFile: path.join(dir, 'client.pem'),
    clientKeyFile: path.join(dir, 'client.key'),
    caFile: path.join(dir, 'ca.pem'),
    certFile: path.join(dir, 'server.pem'),
    keyFile: path.join(dir, 'server.key'),
    otherCaFile: path.join(dir, 'other-ca.pem')
  };
}

/**
 * `profiles`: saved connections (servers, credentials, TLS), natscli context import, and which
 * one the app uses. A profile is described with the same global flags a one-off command takes:
 * `synos-cc profiles add prod --nats nats://a:4222,nats://b:4222 --user ops --password …`.
 */
import type { Command } from 'commander';
import { ContractError, type KeyFileView, type KeyKind, type ProfileInput, type ProfileView } from '../../contract';
import { parseServerList } from '../../core/config';
import type { Core } from '../../app/create-core';
import type { ProfileStore } from '../../nats/connection';
import { globalsOf, openCore, overridesFrom, withCore, type GlobalOptions } from '../context';
import { UsageError, printJson, printTable } from '../io';
import { durationOption } from './messaging';

function authText(p: ProfileView): string {
  switch (p.auth.kind) {
    case 'none':
      return 'none';
    case 'token':
      return p.auth.hasToken ? 'token (stored)' : 'token (missing)';
    case 'user':
      return `user ${p.auth.user}${p.auth.hasPassword ? ' + password (stored)' : ''}`;
    case 'nkey':
      return p.auth.seedKey ? `nkey ${keyText(p.auth.seedKey)}` : 'nkey seed (stored)';
    case 'creds':
      return p.auth.creds ? `creds ${keyText(p.auth.creds)}` : 'creds (missing: pick the file)';
  }
}

/** A stored key file in one line: name, size, short fingerprint, or that it must be picked again. */
export function keyText(k: KeyFileView | null | undefined): string | undefined {
  if (!k) return undefined;
  if (k.state === 'missing') return `${k.fileName} (${k.note ?? 'missing: pick it again'})`;
  return `${k.fileName} (${k.bytes ?? '?'} bytes, sha256 ${k.sha256?.slice(0, 16) ?? '?'}…, picked ${k.pickedAt ?? '?'})`;
}

/** The core's profile store: the CLI reads key files named on its command line through it (trusted). */
function profileStoreOf(core: Core): ProfileStore {
  return core.app.connection.profiles;
}

/**
 * The profile the global connection flags (and --context) describe. Key files named by --creds,
 * --nkey and --tls-* (or the context) are explicit paths on the command line: `pick` reads each now,
 * once, and the profile keeps the content, not the path.
 */
export function profileFromFlags(
  name: string,
  globals: GlobalOptions,
  pick: (kind: KeyKind, file: string) => string,
  description?: string
): ProfileInput {
  const o = overridesFrom({ ...globals, data: undefined });
  if (!o.servers || o.servers.length === 0) {
    throw new UsageError('give the servers with --nats URL (repeat or comma-separate for a cluster) or --context NAME');
  }
  const servers = o.servers.flatMap((s) => parseServerList(s, '--nats'));
  const kinds = [o.credsFile && 'creds', o.nkeyFile && 'nkey', o.user && 'user', o.token && 'token'].filter(Boolean);
  if (kinds.length > 1) throw new UsageError(`give one kind of credentials, not ${kinds.join(' and ')}`);
  if (o.password !== undefined && !o.user) throw new UsageError('--password needs --user');
  let auth: ProfileInput['auth'] = { kind: 'none' };
  if (o.credsFile) auth = { kind: 'creds', creds: pick('creds', o.credsFile) };
  else if (o.nkeyFile) auth = { kind: 'nkey', seedKey: pick('seed', o.nkeyFile) };
  else if (o.user) auth = { kind: 'user', user: o.user, ...(o.password !== undefined ? { password: o.password } : {}) };
  else if (o.token) auth = { kind: 'token', token: o.token };
  const tls =
    o.tlsCa || o.tlsCert || o.tlsKey
      ? {
          ...(o.tlsCa ? { ca: pick('ca', o.tlsCa) } : {}),
          ...(o.tlsCert ? { cert: pick('cert', o.tlsCert) } : {}),
          ...(o.tlsKey ? { key: pick('key', o.tlsKey) } : {})
        }
      : null;
  return { name, servers, auth, tls, ...(description ? { description } : {}) };
}

/** A core that only touches the data directory: the connection flags describe a profile here. */
function openStoreCore(command: Command) {
  const globals = globalsOf(command);
  return openCore(
    { ...(globals.data ? { data: globals.data } : {}), ...(globals.logLevel ? { logLevel: globals.logLevel } : {}) },
    {
      quiet: true,
      autoConnect: false
    }
  );
}

async function findProfile(core: ReturnType<typeof openCore>, ref: string): Promise<ProfileView> {
  const { profiles } = await core.api.invoke('profiles.list', {});
  const found = profiles.find((p) => p.id === ref) ?? profiles.find((p) => p.name.toLowerCase() === ref.toLowerCase());
  if (!found) {
    throw new ContractError('NOT_FOUND', `no connection profile "${ref}"`, {
      hint:
        profiles.length > 0
          ? `Known profiles: ${profiles.map((p) => p.name).join(', ')}`
          : 'Add one with: synos-cc profiles add NAME --nats URL'
    });
  }
  return found;
}

/** Adds `profiles list|show|add|remove|use|test|import-contexts` to the program. */
export function registerProfiles(program: Command): void {
  const profiles = program.command('profiles').description('saved connection profiles (servers, credentials, TLS)');

  profiles
    .command('list', { isDefault: true })
    .description('list the profiles; * marks the active one')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const core = openStoreCore(command);
      await withCore(core, async () => {
        const result = await core.api.invoke('profiles.list', {});
        if (opts.json) return printJson(result);
        printTable(
          ['', 'NAME', 'SERVERS', 'AUTH', 'TLS', 'SOURCE'],
          result.profiles.map((p) => [
            p.active ? '*' : '',
            p.name,
            p.servers.join(','),
            authText(p),
            p.tls ? 'yes' : '',
            p.source
          ])
        );
      });
    });

  profiles
    .command('show')
    .description('show one profile (secrets only as "stored")')
    .argument('<name>', 'profile name or id')
    .option('--json', 'print as JSON')
    .action(async (ref: string, opts: { json?: boolean }, command: Command) => {
      const core = openStoreCore(command);
      await withCore(core, async () => {
        const p = await findProfile(core, ref);
        if (opts.json) return printJson(p);
        printTable(
          ['FIELD', 'VALUE'],
          [
            ['name', p.name],
            ['id', p.id],
            ['active', p.active ? 'yes' : 'no'],
            ['servers', p.servers.join(', ')],
            ['auth', authText(p)],
            ['tls ca', keyText(p.tls?.ca)],
            ['tls cert', keyText(p.tls?.cert)],
            ['tls key', keyText(p.tls?.key)],
            ['source', p.source],
            ['description', p.description],
            ['updated', p.updatedAt]
          ]
        );
      });
    });

  profiles
    .command('add')
    .description(
      'save a profile from the connection flags (--nats, --user/--password, --token, --nkey, --creds, --tls-*, --context); key files are read now and stored encrypted, not read again'
    )
    .argument('<name>', 'profile name')
    .option('--description <text>', 'what this connection is')
    .option('--replace', 'update the profile of that name if it exists (secrets not given are kept)')
    .option('--use', 'make it the active profile')
    .option('--json', 'print the saved profile as JSON')
    .action(
      async (
        name: string,
        opts: { description?: string; replace?: boolean; use?: boolean; json?: boolean },
        command: Command
      ) => {
        const core = openStoreCore(command);
        await withCore(core, async () => {
          const store = profileStoreOf(core);
          const input = profileFromFlags(
            name,
            globalsOf(command),
            (kind, file) => store.pickKeyFile(kind, file),
            opts.description
          );
          if (opts.replace) {
            const { profiles: all } = await core.api.invoke('profiles.list', {});
            const existing = all.find((p) => p.name.toLowerCase() === name.toLowerCase());
            if (existing) input.id = existing.id;
          }
          const saved = await core.api.invoke('profiles.save', input);
          if (opts.use) await core.api.invoke('profiles.setActive', { id: saved.id });
          if (opts.json) return printJson({ ...saved, active: opts.use ? true : saved.active });
          process.stdout.write(
            `Saved profile "${saved.name}" (${saved.servers.join(', ')}, auth: ${authText(saved)})${opts.use ? ', now active' : ''}\n`
          );
        });
      }
    );

  profiles
    .command('remove')
    .alias('rm')
    .description('delete a profile')
    .argument('<name>', 'profile name or id')
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const core = openStoreCore(command);
      await withCore(core, async () => {
        const p = await findProfile(core, ref);
        await core.api.invoke('profiles.delete', { id: p.id });
        process.stdout.write(`Deleted profile "${p.name}"\n`);
      });
    });

  profiles
    .command('use')
    .description('make a profile the active one (used when no server or credential flag is given)')
    .argument('[name]', 'profile name or id')
    .option('--none', 'use the configured servers again (NATS_URL, config file)')
    .action(async (ref: string | undefined, opts: { none?: boolean }, command: Command) => {
      if (!ref && !opts.none) throw new UsageError('give a profile name, or --none');
      const core = openStoreCore(command);
      await withCore(core, async () => {
        if (opts.none) {
          await core.api.invoke('profiles.setActive', { id: null });
          process.stdout.write('No active profile: the configured servers are used\n');
          return;
        }
        const p = await findProfile(core, ref as string);
        await core.api.invoke('profiles.setActive', { id: p.id });
        process.stdout.write(`Active profile: ${p.name}\n`);
      });
    });

  profiles
    .command('test')
    .description('try to connect with a profile; exit 1 with NATS_AUTH, NATS_TLS or NATS_UNREACHABLE when it fails')
    .argument('<name>', 'profile name or id')
    .addOption(
      durationOption('--timeout <duration>', 'give up after', '--timeout', { minMs: 200, maxMs: 30_000 }, 3000)
    )
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, opts: { timeout: number; json?: boolean }, command: Command) => {
      const core = openStoreCore(command);
      await withCore(core, async () => {
        const p = await findProfile(core, ref);
        const result = await core.api.invoke('profiles.test', { id: p.id, timeoutMs: opts.timeout });
        if (opts.json) printJson(result);
        if (!result.ok && result.error) {
          throw new ContractError(result.error.code, result.error.message, { hint: result.hint });
        }
        if (!opts.json) {
          process.stdout.write(
            `OK: "${p.name}" connected to ${result.server} (nats-server ${result.serverInfo?.version ?? '?'}), rtt ${result.rttMs ?? '?'} ms, in ${result.durationMs} ms\n`
          );
        }
      });
    });

  profiles
    .command('import-contexts')
    .description('import natscli contexts (~/.config/nats/context/*.json) as profiles of the same name')
    .option('--dir <dir>', "natscli's configuration directory (default $XDG_CONFIG_HOME/nats or ~/.config/nats)")
    .option('--activate', 'make the context selected in natscli the active profile')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dir?: string; activate?: boolean; json?: boolean }, command: Command) => {
      const core = openStoreCore(command);
      await withCore(core, async () => {
        const result = await core.api.invoke('profiles.importContexts', {
          ...(opts.dir ? { configDir: opts.dir } : {}),
          activateSelected: Boolean(opts.activate)
        });
        if (opts.json) return printJson(result);
        if (result.contexts.length === 0) {
          process.stdout.write(`No natscli contexts in ${result.configDir}/context\n`);
          return;
        }
        printTable(
          ['CONTEXT', 'OUTCOME', 'NOTE'],
          result.contexts.map((c) => [`${c.name}${c.selected ? ' (selected)' : ''}`, c.outcome, c.note])
        );
      });
    });
}

/**
 * A small structured logger. Headless runs write JSON lines to stderr (stdout stays free for
 * command output); interactive runs write a readable line.
 */
import { redact } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';
export type LogFields = Record<string, unknown>;

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; defaults to process.stderr. */
  write?: (line: string) => void;
  bindings?: LogFields;
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    return out;
  }
  return value;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'json';
  const sink = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  // Every line passes the redactor: no URL userinfo, no registered credential, whatever a caller logs.
  const write = (line: string): void => sink(redact(line));
  const bindings = options.bindings ?? {};
  const threshold = LEVEL_ORDER[level];

  const log = (lvl: LogLevel, message: string, fields?: LogFields): void => {
    if (LEVEL_ORDER[lvl] < threshold) return;
    const merged: LogFields = { ...bindings, ...fields };
    for (const key of Object.keys(merged)) merged[key] = serialise(merged[key]);
    if (format === 'json') {
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg: message, ...merged }));
    } else {
      const extra = Object.keys(merged).length > 0 ? ' ' + JSON.stringify(merged) : '';
      write(`${new Date().toISOString().slice(11, 23)} ${lvl.toUpperCase().padEnd(5)} ${message}${extra}`);
    }
  };

  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (more) => createLogger({ level, format, write: sink, bindings: { ...bindings, ...more } })
  };
}

/** A logger that drops everything (tests that do not care). */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => undefined });

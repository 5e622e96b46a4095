/**
 * Typed readers for flag and env values: each names its source in the error,
 * so a bad value at startup reads "--orderbook-depth (ORDERBOOK_DEPTH): ..." .
 * @module
 */
import { ConfigError } from './config-error.js';

export interface ValueSource {
  /** The flag value if given, else the env value, else undefined. */
  readonly raw: string | undefined;
  /** e.g. "--status-interval (STATUS_INTERVAL_S)". */
  readonly label: string;
}

export function pickValue(
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: NodeJS.ProcessEnv,
  flag: string,
  envName: string,
): ValueSource {
  const fromFlag = flags[flag];
  const raw = typeof fromFlag === 'string' ? fromFlag : fromFlag === true ? 'true' : env[envName];
  return { raw: raw === '' ? undefined : raw, label: `--${flag} (${envName})` };
}

/** An env-only setting (no flag). */
export function envValue(env: NodeJS.ProcessEnv, envName: string): ValueSource {
  const raw = env[envName];
  return { raw: raw === '' ? undefined : raw, label: envName };
}

export function readInteger(source: ValueSource, fallback: number, min: number, max: number): number {
  if (source.raw === undefined) return fallback;
  const value = Number(source.raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${source.label}: expected an integer from ${min} to ${max}, got ${JSON.stringify(source.raw)}`);
  }
  return value;
}

export function readBoolean(source: ValueSource, fallback: boolean): boolean {
  if (source.raw === undefined) return fallback;
  const lowered = source.raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lowered)) return true;
  if (['0', 'false', 'no', 'off'].includes(lowered)) return false;
  throw new ConfigError(`${source.label}: expected true or false, got ${JSON.stringify(source.raw)}`);
}

export function readChoice<T extends string | number>(source: ValueSource, fallback: T, choices: readonly T[]): T {
  if (source.raw === undefined) return fallback;
  const match = choices.find((choice) => String(choice) === source.raw);
  if (match === undefined) {
    throw new ConfigError(`${source.label}: expected one of ${choices.join(', ')}, got ${JSON.stringify(source.raw)}`);
  }
  return match;
}

export function readList(source: ValueSource, fallback: readonly string[]): string[] {
  if (source.raw === undefined) return [...fallback];
  const items = source.raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) throw new ConfigError(`${source.label}: expected a comma-separated list, got an empty value`);
  return [...new Set(items)];
}

export function readUrl(source: ValueSource, fallback: string, protocols: readonly string[]): string {
  const raw = source.raw ?? fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${source.label}: not a URL: ${JSON.stringify(raw)}`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${source.label}: expected a ${protocols.join(' or ')} URL, got ${JSON.stringify(raw)}`);
  }
  return raw.replace(/\/+$/, '');
}

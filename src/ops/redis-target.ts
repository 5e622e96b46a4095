/**
 * Where the stack's Redis is, read from REDIS_URL: its host and port, whether
 * `up` may start a redis-server for it (loopback only: a remote Redis is
 * somebody else's to run), and how to print it without its password.
 * @module
 */
import { ConfigError } from '../config/config-error.js';

export interface RedisTarget {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly loopback: boolean;
  /** The password a started redis-server must require so the URL's AUTH succeeds. */
  readonly password: string | undefined;
  /** An ACL user other than `default`: a started redis-server would not know it. */
  readonly username: string | undefined;
  /** The URL with any password replaced by ***. */
  readonly display: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function parseRedisTarget(raw: string | undefined): RedisTarget {
  const url = raw || DEFAULT_REDIS_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`REDIS_URL: not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError(`REDIS_URL: expected a redis: or rediss: URL, got ${JSON.stringify(url)}`);
  }
  // URL keeps the brackets of an IPv6 literal in hostname.
  const host = (parsed.hostname || '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port ? Number(parsed.port) : 6379;
  const display = new URL(url);
  if (display.password) display.password = '***';
  return {
    url,
    host,
    port,
    loopback: isLoopbackHost(host),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    username: parsed.username && parsed.username !== 'default' ? decodeURIComponent(parsed.username) : undefined,
    display: display.toString().replace(/\/$/, ''),
  };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * `--bind` for a redis-server that must answer at this host. `localhost` may
 * resolve to ::1 first (Node keeps the resolver's order), so it gets both
 * loopbacks; the `-` makes ::1 optional on a host without IPv6.
 */
export function redisBindAddresses(target: RedisTarget): string[] {
  if (target.host === 'localhost') return ['127.0.0.1', '-::1'];
  return [target.host];
}

/** The redis-server command line for a private, memory-only Redis in the foreground. */
export function redisServerArgs(target: RedisTarget, workDir: string): string[] {
  const args = ['--bind', ...redisBindAddresses(target), '--port', String(target.port), '--save', '', '--appendonly', 'no'];
  args.push('--daemonize', 'no', '--dir', workDir, '--logfile', '');
  if (target.password !== undefined) args.push('--requirepass', target.password);
  return args;
}

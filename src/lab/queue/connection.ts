/**
 * Redis connections for the queue: the URL (`redis://[[user]:password@]host[:port][/db]`, or
 * `rediss://` for TLS) parsed into ioredis options, the URL written without its password for
 * messages, and connection failures explained (server down, wrong port, auth, TLS).
 */
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { ReglabError } from '../../core/errors.js';

/** The default Redis port. */
export const DEFAULT_REDIS_PORT = 6379;

/** What a queue URL means: where the server is and how to log in. */
export interface QueueAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** `rediss://`: TLS (the server's certificate is checked against the system's CAs). */
  tls: boolean;
  /** The URL without its password, for messages. */
  display: string;
}

/**
 * Parses a queue URL. Library errors speak of the URL; the CLI's flag is `--queue`.
 * @throws ReglabError for another scheme, a bad port or database number.
 */
export function parseQueueUrl(text: string): QueueAddress {
  const example = 'redis://host:6379, redis://:PASSWORD@host:6379/0 or rediss://host:6380 (TLS)';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ReglabError(`queue URL "${text}" is not a URL`, `write it as ${example}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new ReglabError(
      `queue URL "${text}" has scheme ${url.protocol.replace(/:$/, '')}, not redis or rediss`,
      `write it as ${example}`,
    );
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '')
    throw new ReglabError(`queue URL "${text}" names no host`, `write it as ${example}`);
  const port = url.port === '' ? DEFAULT_REDIS_PORT : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0)
    throw new ReglabError(
      `queue URL "${text}" names database "${dbText}"`,
      'a database is a number after the port: redis://host:6379/2',
    );
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const masked = new URL(url.href);
  if (password !== undefined) masked.password = '***';
  return {
    host,
    port,
    db,
    username,
    password,
    tls: url.protocol === 'rediss:',
    display: masked.href.replace(/\/$/, ''),
  };
}

/** ioredis options for an address (TLS with SNI unless the host is an IP address). */
export function redisOptions(address: QueueAddress, extra: RedisOptions = {}): RedisOptions {
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    username: address.username,
    password: address.password,
    tls: address.tls ? (isIP(address.host) ? {} : { servername: address.host }) : undefined,
    ...extra,
  };
}

/** A connection error of `address` as a {@link ReglabError}: what failed and what to check. */
export function explainRedisError(address: QueueAddress, err: unknown): ReglabError {
  if (err instanceof ReglabError) return err;
  const error = err as NodeJS.ErrnoException;
  const text = `${error?.code ?? ''} ${error?.message ?? String(err)}`;
  const where = `Redis at ${address.display}`;
  if (/ECONNREFUSED/.test(text))
    return new ReglabError(
      `cannot reach ${where}: connection refused`,
      `is redis-server running on ${address.host}, and on port ${address.port}? Check the host and port in the URL`,
    );
  if (/ENOTFOUND|EAI_AGAIN/.test(text))
    return new ReglabError(
      `cannot reach ${where}: host ${address.host} not found`,
      'check the host name in the URL',
    );
  if (/NOAUTH|WRONGPASS|AUTH|invalid password|invalid username/i.test(text))
    return new ReglabError(
      `${where} refused the login (${error?.message ?? text.trim()})`,
      'put the password in the URL: redis://:PASSWORD@host:port (redis://USER:PASSWORD@… for an ACL user)',
    );
  if (/ETIMEDOUT|timed? ?out/i.test(text))
    return new ReglabError(
      `no answer from ${where} (${text.trim()})`,
      `check that the host and port are reachable (firewall) and that the server ${address.tls ? 'speaks TLS (rediss://)' : 'speaks plain Redis (use rediss:// for TLS)'}`,
    );
  if (/ECONNRESET|socket hang up/i.test(text) && !address.tls)
    return new ReglabError(
      `${where} closed the connection (${text.trim()})`,
      'if that port speaks TLS, write rediss:// instead of redis://; else check the host and port',
    );
  if (/EPROTO|SSL|TLS|certificate|self.signed/i.test(text))
    return new ReglabError(
      `TLS with ${where} failed (${text.trim()})`,
      'check the server has TLS on that port and its certificate is trusted (NODE_EXTRA_CA_CERTS=ca.pem)',
    );
  return new ReglabError(
    `${where}: ${error?.message ?? String(err)}`,
    'check that the server is running and the URL is right',
  );
}

/**
 * Connects and checks the server answers (PING), failing fast with an explained error instead
 * of retrying forever. The client reconnects by itself afterwards; `reconnect: false` (probes)
 * leaves it to fail.
 */
export async function connectRedis(
  address: QueueAddress,
  { timeoutMs = 5000, extra = {} }: { timeoutMs?: number; extra?: RedisOptions } = {},
): Promise<Redis> {
  const client = new Redis(
    redisOptions(address, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      ...extra,
    }),
  );
  // The socket's error (ECONNREFUSED, …) arrives as an event; connect() only says "closed".
  let socketError: unknown;
  client.on('error', (err) => (socketError ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw explainRedisError(address, socketError ?? err);
  }
  // From now on a dropped connection is retried (the owner decides when to give up).
  client.options.retryStrategy = (times: number) => Math.min(times * 200, 2000);
  return client;
}

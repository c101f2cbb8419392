/**
 * The `--queue` value: where the Redis that carries a distributed transfer lives, `redis://host:port[/db]` or
 * `rediss://` for TLS, optionally with `user:password@`. Parsed once at the boundary into BullMQ connection
 * options; the password is never echoed in messages or status output.
 */
import { InvalidArgumentError } from '../errors.js';

/** What BullMQ (ioredis) needs to connect. */
export interface QueueConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
  /** The URL without its password, for messages. */
  display: string;
}

const DEFAULT_REDIS_PORT = 6379;

/** Parses `redis://[user:password@]host[:port][/db]` (or `rediss://`). */
export function parseQueueUrl(value: unknown, option = '--queue'): QueueConnection {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError(`${option}: expected redis://HOST[:PORT][/DB], got \`${String(value)}\``);
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidArgumentError(`${option}: expected redis://HOST[:PORT][/DB], got '${redactPassword(value)}'`);
  }
  const display = redactPassword(url.href);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidArgumentError(`${option}: expected a redis:// or rediss:// URL, got '${display}'`);
  }
  if (url.hostname === '' || url.search !== '' || url.hash !== '') {
    throw new InvalidArgumentError(`${option}: expected redis://HOST[:PORT][/DB] without query or fragment, got '${display}'`);
  }
  const path = url.pathname.replace(/^\/+|\/+$/g, '');
  if (path !== '' && !/^\d{1,2}$/.test(path)) {
    throw new InvalidArgumentError(`${option}: the path must be a database number (0-15 by default), got '/${path}' in '${display}'`);
  }
  const connection: QueueConnection = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? DEFAULT_REDIS_PORT : Number(url.port),
    db: path === '' ? 0 : Number(path),
    display,
  };
  if (url.username !== '') connection.username = decodeURIComponent(url.username);
  if (url.password !== '') connection.password = decodeURIComponent(url.password);
  if (url.protocol === 'rediss:') connection.tls = {};
  return connection;
}

function redactPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

/**
 * Connecting to the Redis of a distributed transfer. A short-lived client (submit, status) must fail, not
 * hang, when Redis is down: it checks that the server answers before BullMQ's client (which reconnects
 * forever) is created, and its commands give up after a couple of reconnects. A worker's blocking connection
 * keeps reconnecting, as BullMQ requires, once the first contact succeeded.
 */
import { connect } from 'node:net';
import { NetworkError } from '../errors.js';
import type { QueueConnection } from './queue-url.js';

/** How long the first contact may take. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * The ioredis options BullMQ passes through. `long-lived`: workers (blocking reads need
 * `maxRetriesPerRequest: null`); `short-lived`: submit and status, whose commands fail after two reconnects.
 */
export function redisOptions(connection: QueueConnection, use: 'long-lived' | 'short-lived' = 'long-lived'): Record<string, unknown> {
  const { display: _display, ...options } = connection;
  return { ...options, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: use === 'long-lived' ? null : 2 };
}

/** Resolves once a TCP connection to Redis opens; rejects with a NetworkError naming the server otherwise. */
export function probeRedis(connection: QueueConnection, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: connection.host, port: connection.port });
    const fail = (reason: string, systemCode?: string): void => {
      socket.destroy();
      reject(
        new NetworkError(`Cannot reach Redis at ${connection.display}: ${reason}`, systemCode === undefined ? {} : { systemCode }),
      );
    };
    const timer = setTimeout(() => fail(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`), PROBE_TIMEOUT_MS);
    const onAbort = (): void => fail('interrupted');
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.end();
      resolve();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fail(error.code ?? error.message, error.code);
    });
  });
}

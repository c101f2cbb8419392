/**
 * Per-thread state of a piscina worker and the per-task plumbing shared by every handler: one keep-alive undici
 * transport for the thread's whole life (idle workers keep their sockets because the pool runs with
 * `atomics: 'disabled'`), the task's cancel port turned into an AbortSignal, and the buffer hand-back.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { AbortError, serializeError } from '../src/errors.js';
import { TASK_QUEUED, TASK_STARTED, type RetryMessage, type RetrySettings, type PortMessage, type ProgressMessage, type TaskReply, type TaskResult, type TaskSource } from '../src/pool/protocol.js';
import type { MessagePort } from 'node:worker_threads';
import { RetryStrategy } from '../src/transport/retry.js';
import { UndiciTransport } from '../src/transport/undici-transport.js';

/**
 * Idle connections are kept a little longer than the transport's default: parts of one upload arrive back to
 * back, and a reconnect per part would cost a TCP (and TLS) handshake each time.
 */
const KEEP_ALIVE_TIMEOUT_MS = 10_000;

let threadTransport: UndiciTransport | undefined;

/**
 * The thread's transport. Anonymous on purpose: each task carries the `authorization` header the main thread
 * obtained, and the transport still refuses to send it over plain http to anything but loopback.
 */
export function workerTransport(): UndiciTransport {
  threadTransport ??= new UndiciTransport({ keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS });
  return threadTransport;
}

/**
 * Claims a task for this worker: false when the main thread cancelled it before it started (then the handler
 * must answer at once without touching anything: the caller has moved on).
 */
export function claimTask(state: Int32Array): boolean {
  return Atomics.compareExchange(state, 0, TASK_QUEUED, TASK_STARTED) === TASK_QUEUED;
}

/** The answer to a task cancelled before it started. */
export function cancelledReply(): TaskReply<never> {
  return { result: { ok: false, error: serializeError(new AbortError('The task was cancelled before it started')) } };
}

/** Cancellation and progress for one task, over its private port. `close()` must be called in `finally`. */
export class TaskChannel {
  readonly #port: MessagePort;
  readonly #controller = new AbortController();
  #sent = 0;

  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (message: PortMessage) => {
      if (message.type === 'cancel') this.#controller.abort();
    });
  }

  /** Fires when the main thread cancels the task. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Messages posted so far (see `TaskReply.messages`). */
  get sent(): number {
    return this.#sent;
  }

  /** Posts a message on the task's port, moving `transfer` with it. */
  post(message: PortMessage, transfer: ArrayBuffer[] = []): void {
    this.#sent++;
    this.#port.postMessage(message, transfer);
  }

  /**
   * The task's retry policy, built from its numbers, reporting each retry to the main thread (where the
   * caller's `onRetry` runs).
   */
  retryStrategy(settings: RetrySettings): RetryStrategy {
    return new RetryStrategy({
      ...settings,
      onRetry: (event) => {
        const message: RetryMessage = { type: 'retry', error: serializeError(event.error), attempt: event.attempt, delayMs: event.delayMs };
        this.post(message);
      },
    });
  }

  progress(attempt: number, bytes: number): void {
    const message: ProgressMessage = { type: 'progress', attempt, bytes };
    this.post(message);
  }

  close(): void {
    this.#port.close();
  }
}

/**
 * Runs a handler body and packs its outcome as data: the typed error survives the thread boundary, and a
 * transferred buffer goes back to its sender (moved, not copied) whatever happened.
 */
export async function replyTo<T>(source: TaskSource, body: () => Promise<T>): Promise<unknown> {
  let result: TaskResult<T>;
  try {
    result = { ok: true, value: await body() };
  } catch (error) {
    result = { ok: false, error: serializeError(error) };
  }
  if (source.kind !== 'buffer') return { result } satisfies TaskReply<T>;
  const { buffer } = source;
  const reply: TaskReply<T> = { result, buffer };
  // piscina only transfers a top-level movable; a buffer nested in a plain object would be copied.
  return move({
    get [transferableSymbol]() {
      return [buffer];
    },
    get [valueSymbol]() {
      return reply;
    },
  });
}

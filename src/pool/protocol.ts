/**
 * What crosses the thread boundary between the engine and its piscina workers: task and result shapes, and the
 * messages on each task's private `MessagePort`. Types and plain data only, so both sides can import it without
 * pulling the other side's code into their thread.
 *
 * Errors travel as data (`{ ok: false, error }`, rebuilt with `deserializeError`), because anything thrown in a
 * worker loses its class and `code` on the way (piscina's weak spot). Cancellation is cooperative: the main
 * thread posts {@link CancelMessage} on the task's port, because aborting `pool.run` would kill the thread and
 * its warm connections.
 */
import type { MessagePort } from 'node:worker_threads';
import type { SerializedError } from '../errors.js';
import type { TimeoutOptions } from '../transport/transport.js';

/** Handler names exported by `workers/entry`, passed as piscina's `name` run option. */
export const HANDLERS = { uploadPart: 'uploadPart', hashRange: 'hashRange' } as const;

/** The result of every task: a value, or the failure as plain data. */
export type TaskResult<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

/** The numbers of a RetryStrategy (its functions cannot cross threads; workers use the defaults for those). */
export interface RetrySettings {
  maxSleepMs: number;
  maxCumulativeRetryMs?: number;
  maxRetries?: number;
  initialDelayMs: number;
  multiplier: number;
}

/** Bytes to work on: a range of a file the worker opens itself, or a buffer transferred with the task. */
export type TaskSource =
  | { kind: 'file'; path: string; start: number; end: number }
  | {
      kind: 'buffer';
      /** Moved to the worker (the sender's copy is detached) and moved back with the result. */
      buffer: ArrayBuffer;
      /** The bytes are `[0, length)` of `buffer`. */
      length: number;
    };

/** Upload one part of an XML multipart upload (`XMLMPUPart.upload`). */
export interface UploadPartTask {
  /** The object's XML URL, without a query. */
  uploadUrl: string;
  uploadId: string;
  partNumber: number;
  source: TaskSource;
  /**
   * Request headers, including the `authorization` header obtained on the main thread: workers never load
   * credentials themselves.
   */
  headers: Record<string, string>;
  /** `'crc32c'` sends `x-goog-hash` and checks the answer; null sends no checksum (the CRC is still computed). */
  checksum: 'crc32c' | null;
  retry: RetrySettings;
  timeout?: TimeoutOptions;
  /** The task's private channel: cancel requests in, progress reports out. */
  port: MessagePort;
}

/** A part the server accepted. */
export interface UploadPartValue {
  partNumber: number;
  etag: string;
  /** Base64 big-endian CRC32C of the part's bytes. */
  crc32c: string;
  size: number;
}

/** CRC32C of a file range or of a transferred buffer. */
export interface HashRangeTask {
  source: TaskSource;
  port: MessagePort;
}

export interface HashRangeValue {
  /** Unsigned 32-bit CRC32C. */
  crc32c: number;
  size: number;
}

/** What a handler returns: its result, plus a transferred buffer handed back to the sender for reuse. */
export interface TaskReply<T> {
  result: TaskResult<T>;
  buffer?: ArrayBuffer;
}

/** Main thread → worker: stop the task as soon as possible and answer with an AbortError. */
export interface CancelMessage {
  type: 'cancel';
}

/**
 * Worker → main thread: bytes of the task's current request handed to the network so far. A retried request
 * starts again from 0 with a higher `attempt`, so the receiver can take back what the failed attempt reported.
 */
export interface ProgressMessage {
  type: 'progress';
  attempt: number;
  bytes: number;
}

export type PortMessage = CancelMessage | ProgressMessage;

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
export const HANDLERS = { uploadPart: 'uploadPart', hashRange: 'hashRange', downloadRange: 'downloadRange' } as const;

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
  /** The start/cancel handshake (see {@link TASK_QUEUED}). */
  state: Int32Array;
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
  state: Int32Array;
}

export interface HashRangeValue {
  /** Unsigned 32-bit CRC32C. */
  crc32c: number;
  size: number;
}

/** Where a worker puts the bytes of a download range. */
export type RangeOutput =
  /**
   * Positional writes into a file the main thread opened (file descriptors belong to the process, so a worker
   * thread can write through the main thread's descriptor; the main thread closes it only after every task
   * has ended).
   */
  | { kind: 'file'; fd: number; path: string }
  /** {@link RangeDataMessage}s on the task's port, each carrying a transferred buffer (no copy on the way). */
  | { kind: 'port' };

/** Download one range of an object (`RawChunkedDownload` attempts) and store it. */
export interface DownloadRangeTask {
  /** The media URL, pinned with `generation=` when the generation is known. */
  url: string;
  /** First byte stored. */
  start: number;
  /** Most bytes stored. */
  limit: number;
  /** Bytes before `start` that the request starts with and that are dropped (a resume re-reads one byte). */
  discard: number;
  /** Last byte requested, inclusive. */
  endInclusive: number;
  /** The generation the download is pinned to: a 404/412 then means the object changed. */
  pinned?: string;
  /** Request headers, including credentials obtained on the main thread. */
  headers: Record<string, string>;
  output: RangeOutput;
  retry: RetrySettings;
  timeout?: TimeoutOptions;
  /** `gs://bucket/name`, for messages. */
  label: string;
  port: MessagePort;
  state: Int32Array;
}

/** The object facts a range's response headers told (see `ObjectHead`). */
export interface RangeHead {
  size: number;
  generation: string | undefined;
  serverCrc32c: string | undefined;
  contentEncoding: string | undefined;
}

/**
 * How a range task ended. Always a value, even on failure, because the main thread needs to know what was
 * stored before the failure to continue the range in a new task (after a 401, or from a checkpoint).
 */
export interface DownloadRangeValue {
  /** Bytes stored from `start`. */
  written: number;
  /** Unsigned CRC32C of those bytes. */
  crc32c: number;
  /** The last response's object facts (absent when no response arrived). */
  head?: RangeHead;
  failure?: SerializedError;
}

/** Worker → main thread: the first bytes of the range arrived; these are the response's object facts. */
export interface RangeHeadMessage {
  type: 'head';
  head: RangeHead;
}

/**
 * Worker → main thread: bytes stored so far (cumulative, with their CRC32C), sent after each batch. For a
 * `port` output the batch itself rides along, as a transferred buffer.
 */
export interface RangeStoredMessage {
  type: 'stored';
  written: number;
  crc32c: number;
  /** `port` output only: the batch's bytes, at object offset `position`. */
  data?: { position: number; buffer: ArrayBuffer; length: number };
}

/** What a handler returns: its result, plus a transferred buffer handed back to the sender for reuse. */
export interface TaskReply<T> {
  result: TaskResult<T>;
  buffer?: ArrayBuffer;
  /**
   * Messages the task posted on its port. The reply travels on piscina's channel, not the task's, so it can
   * overtake them; the main thread waits until it has received this many before it closes the port (a
   * download's last batch must never be lost that way).
   */
  messages?: number;
}

/**
 * Every task's start/cancel handshake: one Int32 in shared memory, {@link TASK_QUEUED} until either the worker
 * claims it ({@link TASK_STARTED}) or the main thread cancels it first ({@link TASK_CANCELLED}), decided by one
 * compare-and-exchange. A task cancelled before it started will never touch anything (a file descriptor, a
 * socket), so the main thread can settle it at once instead of waiting for a busy or still-booting thread.
 */
export const TASK_QUEUED = 0;
export const TASK_STARTED = 1;
export const TASK_CANCELLED = 2;

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

/** Worker → main thread: a request of the task failed and will be retried (for the caller's `onRetry`). */
export interface RetryMessage {
  type: 'retry';
  error: SerializedError;
  /** The attempt that failed, 0 for the first. */
  attempt: number;
  delayMs: number;
}

export type PortMessage = CancelMessage | ProgressMessage | RangeHeadMessage | RangeStoredMessage | RetryMessage;

/**
 * The options of {@link TransferManager} and of each transfer, their defaults, and their validation. Every
 * option is checked before any I/O, and a bad value is an InvalidArgumentError naming the option, the value and
 * the expected form.
 */
import { InvalidArgumentError } from '../errors.js';
import type { CompletedPart } from '../errors.js';
import type { AuthOption } from '../transport/create-transport.js';
import { RetryStrategy } from '../transport/retry.js';
import type { TimeoutOptions, Transport } from '../transport/transport.js';
import type { DestinationLock } from './destination/destination-lock.js';
import type { ProgressCallback } from './progress.js';
import { assertPositiveInteger } from './part-plan.js';

const MiB = 1024 * 1024;

/**
 * Default range / part size, set from the bench sweep (README "Results"): on the shaped profile (one connection
 * held to a tenth of the link) 16 MiB × 16 was within a few per cent of the best cell in both directions while
 * making half the requests of 8 MiB, and 30 ms of time-to-first-byte costs under 4 % of a 16 MiB request at
 * 20 MiB/s. It also keeps the stream modes' buffers (`concurrency × chunkSize`) at 256 MiB.
 */
export const DEFAULT_CHUNK_SIZE = 16 * MiB;

/**
 * Default requests in flight per transfer. Where one connection gets a fraction of the link (GCS gives roughly
 * 50–100 MiB/s per stream; the bench's shaped profile a tenth of the cap) only parallelism fills the pipe:
 * in the sweep 16 streams reached 143–155 MiB/s of a 200 MiB/s cap against 116–123 for 8, and gcloud uses
 * 8–16 slices. Sockets and memory stay modest at 16.
 */
export const DEFAULT_CONCURRENCY = 16;

/**
 * Smallest download range: a smaller `chunkSize` is raised to it for downloads. Below it a range costs more
 * in request overhead than it moves, and every range is a line in the resume journal (`chunkSize: 1` once made
 * 1-byte GETs and a journal too big to read back).
 */
export const MIN_DOWNLOAD_RANGE = 256 * 1024;

/** The range size a download uses for `chunkSize`: at least {@link MIN_DOWNLOAD_RANGE}. */
export function downloadRangeSize(chunkSize: number): number {
  return Math.max(chunkSize, MIN_DOWNLOAD_RANGE);
}

/** Requests in flight per transfer may not exceed this: beyond it, one object gains nothing and sockets run out. */
export const MAX_CONCURRENCY = 256;

/** Options of the {@link TransferManager} itself; the transfer-level ones are defaults for every call. */
export interface TransferManagerOptions {
  /**
   * Base URL of the GCS JSON and XML APIs (an emulator's URL in tests).
   * @default `STORAGE_EMULATOR_HOST` when set, else 'https://storage.googleapis.com'
   */
  endpoint?: string;
  /**
   * How requests authenticate: `'adc'` (Application Default Credentials), `'none'`, `{ token }` (a fixed OAuth2
   * access token) or an `AuthProvider`. Workers never load credentials: the main thread sends them the headers.
   * @default 'none' for emulators and plain-http endpoints, else 'adc'
   */
  auth?: AuthOption;
  /**
   * The transport every request goes through. By default, main-thread requests (initiate/complete/cancel,
   * single-request uploads, listings) use it, while download ranges and upload parts run in the worker pool on
   * the workers' own undici transport, authenticated with `auth`. With a transport of your own, download ranges
   * and upload parts run on the main thread through it instead, so that every request reaches it (a JavaScript
   * object cannot be moved into a worker thread): same checks, retries, progress and checkpoints, but the
   * hashing and body handling then share the main thread's CPU. It must add its own credentials (`auth` is not
   * applied to it), and it is not closed by `close()`.
   * @default an UndiciTransport built from `endpoint`, `auth` and `timeout`
   */
  transport?: Transport;
  /**
   * Size of each download range and upload part, in bytes. Downloads raise it to at least 256 KiB
   * ({@link MIN_DOWNLOAD_RANGE}). Uploads raise it to at least 5 MiB, round it up to a multiple of 256 KiB, and
   * raise it further when an object would need more than 10,000 parts; at most 5 GiB (GCS's part limit).
   * @default 16_777_216 (16 MiB)
   */
  chunkSize?: number;
  /**
   * Requests in flight per transfer (ranges or parts), 1–256. Every transfer of the manager together stays
   * within `maxConnections`, so a value above it only helps when the transfer runs alone and it is raised too.
   * @default 16
   */
  concurrency?: number;
  /**
   * Requests in flight across every transfer of this manager (single and many objects share it). The
   * scheduler halves it when the service throttles (429/503) and grows it back as answers succeed (AIMD).
   * @default 64
   */
  maxConnections?: number;
  /**
   * Bytes that small-object tasks of many-object calls may hold in memory at once, across the manager (each
   * single-request upload holds its object twice while it is sent: its bytes and the request body made of them).
   * @default 268_435_456 (256 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * Worker threads. Every download range and upload part runs in one: the worker fetches or sends the bytes,
   * hashes them and reads or writes the file itself, while the main thread only plans, verifies and reports.
   * Independent of `concurrency`: one thread serves many requests. Each thread costs about 50 MiB of resident
   * memory; they start with the first transfer and stop after 30 s without one.
   * @default min(os.availableParallelism(), 4)
   */
  workers?: number;
  /**
   * Verify data with CRC32C: each upload part is sent with `x-goog-hash` and checked by the server, and the
   * whole object's CRC32C (combined from the parts') is compared with the server's in both directions. With
   * `false`, nothing is compared and results say `validated: false`; download ranges are still hashed
   * locally (at GB/s), because resume checkpoints carry their CRCs.
   * @default true
   */
  checksum?: boolean;
  /**
   * Retry policy of every request (each range, part and control request retries on its own).
   * @default new RetryStrategy() (1 s doubling to 64 s, 600 s budget per request)
   */
  retry?: RetryStrategy;
  /**
   * Per-request timeouts: connect, and the longest silence while reading (a stalled connection is cut and the
   * request retried).
   * @default { connectMs: 61_000, readMs: 60_000 }
   */
  timeout?: TimeoutOptions;
  /**
   * Fail with UnvalidatedError instead of resolving `validated: false` when the server gives no CRC32C to
   * compare with.
   * @default false
   */
  requireValidation?: boolean;
}

/** Options every transfer accepts (both directions). Unset ones come from the TransferManager. */
export interface TransferOptions {
  /** Aborts the transfer: every request stops, an upload is cancelled, partial files are removed. */
  signal?: AbortSignal;
  /** See {@link TransferManagerOptions.chunkSize}. @default the manager's (16 MiB) */
  chunkSize?: number;
  /** See {@link TransferManagerOptions.concurrency}. @default the manager's (16) */
  concurrency?: number;
  /** See {@link TransferManagerOptions.checksum}. @default the manager's (true) */
  checksum?: boolean;
  /** See {@link TransferManagerOptions.requireValidation}. @default the manager's (false) */
  requireValidation?: boolean;
  /** See {@link TransferManagerOptions.timeout}. @default the manager's */
  timeout?: TimeoutOptions;
  /** See {@link TransferManagerOptions.retry}. @default the manager's */
  retry?: RetryStrategy;
  /**
   * Called with a snapshot at least every 100 ms while bytes move (never more often), and once at the end.
   * @default undefined
   */
  onProgress?: ProgressCallback;
}

/** A range of the object that is safely in `<dest>.gcs-transfer.partial`, with the CRC32C of its bytes. */
export interface CompletedRange {
  /** First byte (inclusive). */
  start: number;
  /** End (exclusive). */
  end: number;
  /** Unsigned 32-bit CRC32C of the range's bytes. */
  crc32c: number;
}

/** How `downloadFile` and `uploadFile` keep and reuse their resume journal (their `resume` option). */
export interface ResumeOptions {
  /**
   * `uploadFile`: the directory of upload journals (created with mode 0700, since a journal's upload ID is
   * enough to write to the upload). Downloads keep their journal beside the destination and ignore it.
   * @default `$GCS_TRANSFER_STATE_DIR`, else `$XDG_STATE_HOME/gcs-transfer`, else `~/.local/state/gcs-transfer`
   */
  stateDir?: string;
  /**
   * Discard what an earlier call saved (cancelling the upload it left open) and start over; this call still
   * saves its own state.
   * @default false
   */
  restart?: boolean;
  /**
   * Told each decision about saved state as it is made (see {@link ResumeEvent}), e.g. to print it.
   * @default undefined
   */
  onEvent?: (event: ResumeEvent) => void;
}

/** What `resume` decided, in the order it happened. */
export type ResumeEvent =
  /** Saved state was discarded or only partly reused, or an abandoned upload was dealt with; `message` says why. */
  | { type: 'note'; message: string }
  /**
   * Saved state is being reused. `bytes`: what will not be transferred again (for an upload, what the journal
   * records; parts the server no longer has are sent again). `size`: the object's (download, when the journal
   * knew it) or the file's (upload) size. Uploads also give `partSize`, the interrupted upload's part size,
   * which this call keeps, and `plannedPartSize`, the one a fresh upload of this file would use.
   */
  | { type: 'resuming'; bytes: number; size: number | undefined; partSize?: number; plannedPartSize?: number }
  /** The call failed in a way a later call may not: `paths` hold the state that call will continue from. */
  | { type: 'kept'; paths: string[] };

/** What a call with `resume` reused from an earlier one (on its result). */
export interface ResumedState {
  /** Bytes not transferred again. */
  bytes: number;
  /**
   * Saved pieces reused: upload parts, or download journal entries (adjacent completed ranges are merged in the
   * journal, so this counts contiguous stretches, not ranges of `chunkSize`).
   */
  parts: number;
}

/** Download checkpoint events, for a journal that makes downloads resumable across crashes. */
export type DownloadCheckpoint =
  | {
      type: 'discovered';
      size: number;
      /** The generation every range is pinned to (undefined only when the server does not send one). */
      generation: string | undefined;
      /** The server's base64 CRC32C of the object, when it sent one. */
      crc32c?: string;
      /** The object's stored `Content-Encoding` (e.g. `gzip`), when it is not identity. */
      contentEncoding?: string;
    }
  /** A range is complete: all its bytes are in `<dest>.gcs-transfer.partial`. */
  | ({ type: 'range' } & CompletedRange)
  /**
   * A range in progress has its first bytes, `[start, end)`, in `<dest>.gcs-transfer.partial` (sent at least every
   * {@link PARTIAL_CHECKPOINT_BYTES} of a range, so an interruption loses little). A later event with the same
   * `start` (partial or complete) supersedes it.
   */
  | ({ type: 'partial' } & CompletedRange);

/**
 * Bytes of a range in progress between two `partial` checkpoints: an interrupted download keeps all but at most
 * this much per range in flight (4 MiB × 16 ranges = 64 MiB at the defaults), and a journal is rewritten at most
 * a few hundred times per GiB (its writes coalesce).
 */
export const PARTIAL_CHECKPOINT_BYTES = 4 * 1024 * 1024;

export interface TransferDownloadOptions extends TransferOptions {
  /**
   * Called (synchronously, in order) after discovery, as ranges progress (`partial`, every 4 MiB of a range) and
   * when each range is written to `<dest>.gcs-transfer.partial`. Persist these to resume after a crash. Only
   * `downloadFile` emits ranges.
   * @default undefined
   */
  onCheckpoint?: (event: DownloadCheckpoint) => void;
  /**
   * Continue a download from checkpoints the caller saved itself (from `onCheckpoint`):
   * `<dest>.gcs-transfer.partial` is reused as it is, the ranges listed are not fetched again, and the object
   * must still be `generation` (else SourceChangedError). `downloadFile` only; not with `resume`, which does
   * this bookkeeping for you.
   * @default undefined
   */
  resumeFrom?: { generation: string; ranges: readonly CompletedRange[] };
  /**
   * `downloadFile` only: make the download resumable by calling `downloadFile` again with the same source and
   * destination. A journal, `<dest>.gcs-transfer.partial.json`, is kept beside the partial file; when the call
   * fails on something a retry could fix (network, timeout, 408/429/5xx, an abort) both are kept, and the next
   * call with `resume` re-hashes every saved range from disk and fetches only the rest (pinned to the saved
   * generation; an overwritten object starts over). After a refusal (403, not found, corrupt data) or success
   * they are removed. `true` is `{}`; see {@link ResumeOptions}. The result's `resumed` says what was reused.
   *
   * Off by default, unlike the CLI: a library call that fails would otherwise leave a partial file and a journal
   * behind that the caller did not ask for and may never come back to; the CLI's user re-runs the same command.
   * With `resume` off, no journal is read, written or removed.
   * @default false
   */
  resume?: boolean | ResumeOptions;
  /**
   * Keep `<dest>.gcs-transfer.partial` when the download fails or is aborted (for a later `resumeFrom`), instead of
   * removing it. It is removed anyway when the data proved corrupt. `downloadFile` only; `resume` decides it itself.
   * @default false
   */
  keepPartial?: boolean;
  /**
   * An object stored with `Content-Encoding: gzip` is fetched as stored (parallel ranges, verified against the
   * stored CRC32C) and decompressed locally, as `gcloud storage cp` does: `downloadFile` decompresses the
   * verified file into `destPath`; `downloadToStream` decompresses on the way to the consumer (bytes arrive
   * before the CRC32C is known, so, as for any stream, they are verified only at 'end'; a mismatch or a
   * stored gzip that does not decode ends the stream with a typed error). `false` keeps the stored,
   * compressed bytes. Objects stored as identity are unaffected.
   * @default true
   */
  decompress?: boolean;
  /**
   * A lock on the destination the caller already holds (`DestinationLock.acquire(path)`), for callers that
   * prepare the destination (read a resume journal) before the download. It stays held after the call.
   * `downloadFile` only.
   * @default the call locks the destination itself and releases it when done
   */
  destinationLock?: DestinationLock;
  /**
   * `downloadToStream` only: ranges that may be held in memory while waiting for the consumer, the one being
   * delivered included. Memory is bounded by `readWindow × chunkSize`.
   * @default the transfer's concurrency
   */
  readWindow?: number;
}

/** Upload checkpoint events, for a journal that makes uploads resumable across crashes. */
export type UploadCheckpoint =
  | { type: 'initiated'; uploadId: string; partSize: number }
  | ({ type: 'part' } & CompletedPart);

export interface TransferUploadOptions extends TransferOptions {
  /**
   * The object's content type.
   * @default 'application/octet-stream'
   */
  contentType?: string;
  /**
   * Custom metadata (`x-goog-meta-*`): keys of letters, digits, `-` and `_`; printable ASCII values.
   * @default undefined
   */
  metadata?: Record<string, string>;
  /** The object's `Cache-Control` (e.g. `'public, max-age=3600'`). @default undefined (GCS's default) */
  cacheControl?: string;
  /** The object's `Content-Disposition` (e.g. `'attachment; filename="a.csv"'`). @default undefined */
  contentDisposition?: string;
  /**
   * Write the object only if its current generation is this one; `0`: only if it does not exist yet (no-clobber).
   * A single-request upload carries it to the service, which applies it atomically; an XML multipart upload
   * takes no precondition, so the engine checks it before the upload starts and again just before it
   * completes (another writer in that last moment would be overwritten). Failing it rejects with
   * PreconditionFailed (`ERR_GCS_PRECONDITION_FAILED`). @default no precondition
   */
  ifGenerationMatch?: number | string;
  /**
   * The object's `Content-Encoding`, for bytes already encoded (e.g. `'gzip'` for a `.gz` file served
   * decompressed). Nothing is compressed for you. @default undefined
   */
  contentEncoding?: string;
  /**
   * Objects of at most this many bytes go in one request (no multipart upload). Streams use
   * `min(singleRequestThreshold, part size)`, since they decide after reading one part.
   * @default the part size (16 MiB)
   */
  singleRequestThreshold?: number;
  /**
   * When a multipart upload fails (or is aborted), leave it open on the server instead of cancelling it: the
   * MultipartUploadError carries `uploadId` and `completedParts` for `resumeFrom` (`resume` decides it itself). Incomplete uploads are billed as
   * storage until cancelled; a bucket lifecycle rule (AbortIncompleteMultipartUpload) cleans forgotten ones.
   * @default false
   */
  keepOnFailure?: boolean;
  /**
   * Continue a multipart upload whose state the caller saved itself (`uploadFile` only). The server's part list
   * (ListParts) is reconciled with `parts`: a part is reused only if the server has it with the planned size and
   * the same ETag as in `parts`; every other part number is uploaded again. Use the same `chunkSize` as the first
   * attempt (or `partSize`). Not with `resume`, which does this bookkeeping for you.
   * @default undefined
   */
  resumeFrom?: { uploadId: string; parts?: readonly CompletedPart[]; partSize?: number };
  /**
   * `uploadFile` only: make the upload resumable by calling `uploadFile` again with the same file and object.
   * A journal in `stateDir` (named by a hash of endpoint, object and the file's real path) records the upload
   * ID, the part size and every accepted part. When the call fails on something a retry could fix (network,
   * timeout, 408/429/5xx, an abort), the journal is kept and the multipart upload left open; the next call with
   * `resume` reconciles the journal with the server (ListParts) and a re-hash of each recorded part, and sends
   * only what is missing, with the interrupted upload's part size. If the file changed (size, mtime or inode),
   * the old upload is cancelled and the upload starts over. A refused upload is cancelled, not kept open.
   * Files small enough for one request have nothing to resume. `true` is `{}`; see {@link ResumeOptions}.
   *
   * Off by default, unlike the CLI: a failed call would otherwise leave a multipart upload open (billed as
   * storage until cancelled) and a journal the caller never asked for; the CLI's user re-runs the same command.
   * With `resume` off, no journal is read, written or removed.
   * @default false
   */
  resume?: boolean | ResumeOptions;
  /**
   * Called (synchronously) when the multipart upload is initiated and after each part is accepted.
   * @default undefined
   */
  onCheckpoint?: (event: UploadCheckpoint) => void;
}

/** What a download resolves with. */
export interface DownloadResult {
  bucket: string;
  name: string;
  /** Object size in bytes. */
  bytes: number;
  /** Base64 CRC32C of the bytes received (combined from the ranges'). */
  crc32c: string;
  /** True when `crc32c` was compared with the server's and matched. */
  validated: boolean;
  /** The generation that was read. */
  generation: string | undefined;
  /** Ranges the object was read in (including ranges reused by a resume). */
  parts: number;
  elapsedMs: number;
  /**
   * Set when a gzip-stored object was decompressed into the file: its stored encoding and the size of the
   * file written (`bytes` and `crc32c` describe the stored, verified bytes).
   */
  decompressed?: { encoding: string; bytes: number };
  /** With `resume`: what an earlier call had already stored and this one reused (zeros when nothing). */
  resumed?: ResumedState;
}

/** What an upload resolves with. */
export interface UploadResult {
  bucket: string;
  name: string;
  bytes: number;
  /** Base64 CRC32C of the bytes sent. */
  crc32c: string;
  /** True when `crc32c` was compared with the server's and matched. */
  validated: boolean;
  generation?: string;
  /** The multipart upload's id (multipart uploads only). */
  uploadId?: string;
  /** Parts sent (1 for a single-request upload). */
  parts: number;
  elapsedMs: number;
  method: 'single' | 'multipart';
  /** With `resume`: what an earlier call had already uploaded and this one reused (zeros when nothing). */
  resumed?: ResumedState;
}

/** The transfer-level settings after merging call options over manager defaults. */
export interface ResolvedTransferOptions {
  chunkSize: number;
  concurrency: number;
  checksum: boolean;
  requireValidation: boolean;
  retry: RetryStrategy;
  timeout: TimeoutOptions | undefined;
  signal: AbortSignal | undefined;
  onProgress: ProgressCallback | undefined;
}

/** Manager-level defaults, validated once. */
export type TransferDefaults = Omit<ResolvedTransferOptions, 'signal' | 'onProgress'>;

export function resolveDefaults(options: TransferManagerOptions): TransferDefaults {
  return validateTransfer(
    {
      chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      checksum: options.checksum ?? true,
      requireValidation: options.requireValidation ?? false,
      retry: options.retry ?? new RetryStrategy(),
      timeout: options.timeout,
    },
    '',
  );
}

/** Merges a call's options over the defaults and validates the result. */
/** {@link resolveTransfer} for a download: ranges are at least {@link MIN_DOWNLOAD_RANGE}. */
export function resolveDownload(defaults: TransferDefaults, options: TransferOptions = {}): ResolvedTransferOptions {
  const settings = resolveTransfer(defaults, options);
  return { ...settings, chunkSize: downloadRangeSize(settings.chunkSize) };
}

export function resolveTransfer(defaults: TransferDefaults, options: TransferOptions = {}): ResolvedTransferOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`Expected the options to be an object, got \`${String(options)}\` (${typeof options})`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`Expected \`signal\` to be an AbortSignal, got \`${String(options.signal)}\``);
  }
  checkFunction('onProgress', options.onProgress);
  const merged = validateTransfer(
    {
      chunkSize: options.chunkSize ?? defaults.chunkSize,
      concurrency: options.concurrency ?? defaults.concurrency,
      checksum: options.checksum ?? defaults.checksum,
      requireValidation: options.requireValidation ?? defaults.requireValidation,
      retry: options.retry ?? defaults.retry,
      timeout: options.timeout ?? defaults.timeout,
    },
    'options.',
  );
  return { ...merged, signal: options.signal, onProgress: options.onProgress };
}

function validateTransfer(settings: TransferDefaults, prefix: string): TransferDefaults {
  assertPositiveInteger(`${prefix}chunkSize`, settings.chunkSize);
  assertPositiveInteger(`${prefix}concurrency`, settings.concurrency);
  if (settings.concurrency > MAX_CONCURRENCY) {
    throw new InvalidArgumentError(
      `Expected \`${prefix}concurrency\` to be at most ${MAX_CONCURRENCY}, got \`${settings.concurrency}\``,
    );
  }
  checkBoolean(`${prefix}checksum`, settings.checksum);
  checkBoolean(`${prefix}requireValidation`, settings.requireValidation);
  if (settings.requireValidation && !settings.checksum) {
    throw new InvalidArgumentError(
      `\`${prefix}requireValidation: true\` needs \`checksum\` enabled: there is nothing to validate with \`checksum: false\``,
    );
  }
  if (!(settings.retry instanceof RetryStrategy)) {
    throw new InvalidArgumentError(`Expected \`${prefix}retry\` to be a RetryStrategy, got \`${String(settings.retry)}\``);
  }
  if (settings.timeout !== undefined) {
    for (const key of ['connectMs', 'readMs'] as const) {
      const value = settings.timeout[key];
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
        throw new InvalidArgumentError(
          `Expected \`${prefix}timeout.${key}\` to be a positive number of milliseconds, got \`${String(value)}\` (${typeof value})`,
        );
      }
    }
  }
  return settings;
}

export function checkBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new InvalidArgumentError(`Expected \`${name}\` to be a boolean, got \`${String(value)}\` (${typeof value})`);
  }
}

export function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError(`Expected \`${name}\` to be a function, got \`${String(value)}\` (${typeof value})`);
  }
}

/** Custom metadata as XML headers: `x-goog-meta-<key>`. */
export function metadataHeaders(metadata: Record<string, string> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (metadata === undefined) return headers;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidArgumentError(`Expected \`metadata\` to be an object of strings, got \`${String(metadata)}\``);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (!/^[A-Za-z0-9_-]+$/.test(key)) {
      throw new InvalidArgumentError(`Expected \`metadata\` keys to be letters, digits, '-' and '_', got \`${key}\``);
    }
    // Header values travel as-is in the XML API, where only printable ASCII is safe.
    if (typeof value !== 'string' || !/^[\x20-\x7e]*$/.test(value)) {
      throw new InvalidArgumentError(
        `Expected \`metadata.${key}\` to be a string of printable ASCII, got \`${String(value)}\` (${typeof value})`,
      );
    }
    headers[`x-goog-meta-${key.toLowerCase()}`] = value;
  }
  return headers;
}

/** The object fields uploads may set besides the content type, by their JSON resource names. */
export type ObjectFields = Pick<TransferUploadOptions, 'cacheControl' | 'contentDisposition' | 'contentEncoding'>;

const OBJECT_FIELD_HEADERS = {
  cacheControl: 'cache-control',
  contentDisposition: 'content-disposition',
  contentEncoding: 'content-encoding',
} as const;

/** Validates the object fields of an upload's options and returns the ones set, as JSON resource fields. */
export function objectFields(options: ObjectFields): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const key of Object.keys(OBJECT_FIELD_HEADERS) as (keyof ObjectFields)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '' || !/^[\x20-\x7e]*$/.test(value)) {
      throw new InvalidArgumentError(`Expected \`${key}\` to be a non-empty string of printable ASCII, got \`${String(value)}\` (${typeof value})`);
    }
    fields[key] = value;
  }
  return fields;
}

/** The same fields as the XML API's headers (multipart upload initiate). */
export function objectFieldHeaders(fields: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, header] of Object.entries(OBJECT_FIELD_HEADERS)) {
    const value = fields[key];
    if (value !== undefined) headers[header] = value;
  }
  return headers;
}

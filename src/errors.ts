/**
 * Every error this library throws. Match on `err.code` (stable strings), not on class identity: `instanceof`
 * works too, across duplicate installs and worker threads, through a global-symbol brand.
 *
 * Errors carry context (status, headers, URL, byte ranges) but never credentials: URLs and headers are
 * redacted on the way in, and the heavy context is non-enumerable so that logging an error stays small.
 */
import { redactHeaders, redactText, redactUrl } from './util/redact.js';

const kBrand = Symbol.for('gcs-transfer.error');

/** The stable identifiers of every error class. */
export type ErrorCode =
  | 'ERR_GCS_INVALID_ARG'
  | 'ERR_GCS_INVALID_STATE'
  | 'ERR_GCS_INVALID_RESPONSE'
  | 'ERR_GCS_PRECONDITION_FAILED'
  | 'ERR_GCS_NOT_FOUND'
  | 'ERR_GCS_DATA_CORRUPTION'
  | 'ERR_GCS_NETWORK'
  | 'ERR_GCS_TIMEOUT'
  | 'ERR_GCS_MPU_FAILED'
  | 'ERR_GCS_WORKER'
  | 'ERR_GCS_SOURCE_CHANGED'
  | 'ERR_GCS_UNVALIDATED'
  | 'ERR_GCS_LOCAL_IO'
  | 'ERR_GCS_DESTINATION_LOCKED'
  | 'ERR_GCS_RESOURCE_MISMATCH'
  | 'ERR_GCS_NO_CREDENTIALS'
  | 'ABORT_ERR';

/** What an error remembers of the request that failed, already redacted. */
export interface RequestContext {
  method: string;
  url: string;
}

/** What an error remembers of the response that failed, already redacted. */
export interface ResponseContext {
  status: number;
  headers: Record<string, string | string[]>;
  /** The start of the body when it was read (at most 4 KiB), redacted. */
  body?: string;
}

export interface GcsTransferErrorOptions {
  cause?: unknown;
  request?: RequestContext;
  response?: ResponseContext;
}

/** The base class. `code` is stable; `message` is for people and may change. */
export class GcsTransferError extends Error {
  readonly code: ErrorCode;
  /** The request that failed, if any (non-enumerable, redacted). */
  declare readonly request?: RequestContext;
  /** The response that caused the error, if any (non-enumerable, redacted). */
  declare readonly response?: ResponseContext;

  constructor(code: ErrorCode, message: string, options: GcsTransferErrorOptions = {}) {
    super(redactText(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.request) {
      defineHidden(this, 'request', { method: options.request.method, url: redactUrl(options.request.url) });
    }
    if (options.response) {
      const response: ResponseContext = {
        status: options.response.status,
        headers: redactHeaders(options.response.headers),
      };
      if (options.response.body !== undefined) response.body = redactText(options.response.body.slice(0, 4096));
      defineHidden(this, 'response', response);
    }
  }

  override get name(): string {
    return this.constructor.name;
  }

  /** HTTP status of the failed response, when there was one. */
  get status(): number | undefined {
    return this.response?.status;
  }

  /** Headers of the failed response (redacted), when there was one. */
  get headers(): Record<string, string | string[]> | undefined {
    return this.response?.headers;
  }

  get [kBrand](): true {
    return true;
  }

  static override [Symbol.hasInstance](instance: unknown): boolean {
    if (typeof instance !== 'object' || instance === null) return false;
    if (!(instance as Record<symbol, unknown>)[kBrand]) return false;
    // Subclasses still narrow by name, so `x instanceof DataCorruption` is false for an InvalidResponse.
    if (this === GcsTransferError) return true;
    let proto: unknown = Object.getPrototypeOf(instance);
    while (proto) {
      if ((proto as { constructor?: { name?: string } }).constructor?.name === this.name) return true;
      proto = Object.getPrototypeOf(proto);
    }
    return false;
  }

  /** Fields that subclasses add, for the worker boundary. */
  protected fields(): Record<string, unknown> {
    return {};
  }

  toJSON(): SerializedError {
    return serializeError(this);
  }
}

function defineHidden(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: false, writable: false, configurable: true });
}

/** An option or argument has the wrong value. Thrown synchronously, before any I/O. */
export class InvalidArgumentError extends GcsTransferError {
  constructor(message: string, options?: GcsTransferErrorOptions) {
    super('ERR_GCS_INVALID_ARG', message, options);
  }
}

/**
 * An object was used in a state that does not allow the call (the Python library's `ValueError`s, e.g. "A
 * download can only be used once.").
 */
export class InvalidStateError extends GcsTransferError {
  constructor(message: string, options?: GcsTransferErrorOptions) {
    super('ERR_GCS_INVALID_STATE', message, options);
  }
}

/** HTTP statuses the retry policy treats as transient (google-resumable-media's `RETRYABLE`). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export interface InvalidResponseOptions extends GcsTransferErrorOptions {
  /** The statuses that would have been accepted, for status failures. */
  expected?: readonly number[];
  /** GCS's own error reason: the XML `<Code>` or the JSON `error.errors[0].reason`. */
  gcsCode?: string;
}

/**
 * The server's answer broke the protocol: an unexpected status, a missing or malformed header, a body of the
 * wrong size. Port of google-resumable-media's `InvalidResponse`; `status` and `headers` describe the response.
 */
export class InvalidResponse extends GcsTransferError {
  /** Statuses that would have been accepted, when the failure is a status check. */
  readonly expected?: readonly number[];
  /** GCS's error reason when the body said (`NoSuchUpload`, `notFound`, `BadDigest`, ...). */
  readonly gcsCode?: string;

  constructor(message: string, options: InvalidResponseOptions = {}, code: ErrorCode = 'ERR_GCS_INVALID_RESPONSE') {
    super(code, message, options);
    if (options.expected) this.expected = options.expected;
    if (options.gcsCode) this.gcsCode = options.gcsCode;
  }

  /** Whether the retry policy may try again: a transient status. Protocol violations on a 2xx are not. */
  get retryable(): boolean {
    return this.status !== undefined && RETRYABLE_STATUSES.has(this.status);
  }

  protected override fields(): Record<string, unknown> {
    return { expected: this.expected, gcsCode: this.gcsCode };
  }
}

/** 412: a generation precondition failed, e.g. the object was overwritten during a pinned download. */
export class PreconditionFailed extends InvalidResponse {
  constructor(message: string, options: InvalidResponseOptions = {}) {
    super(message, options, 'ERR_GCS_PRECONDITION_FAILED');
  }
}

/** 404: the bucket, object, generation or upload does not exist. */
export class NotFound extends InvalidResponse {
  constructor(message: string, options: InvalidResponseOptions = {}) {
    super(message, options, 'ERR_GCS_NOT_FOUND');
  }
}

/** Builds the right InvalidResponse subclass for a status failure. */
export function statusError(
  message: string,
  options: InvalidResponseOptions & { response: ResponseContext },
): InvalidResponse {
  if (options.response.status === 412) return new PreconditionFailed(message, options);
  if (options.response.status === 404) return new NotFound(message, options);
  return new InvalidResponse(message, options);
}

export interface DataCorruptionOptions extends GcsTransferErrorOptions {
  algorithm: 'crc32c' | 'md5';
  expected: string;
  actual: string;
  /** The half-open byte range `[start, end)` that was checked, when it was not the whole object. */
  range?: { start: number; end: number };
}

/**
 * Bytes did not match their checksum. Port of google-resumable-media's `DataCorruption` (which is not an
 * `InvalidResponse` there either). Nothing that failed this check is ever presented as complete.
 */
export class DataCorruption extends GcsTransferError {
  readonly algorithm: 'crc32c' | 'md5';
  readonly expected: string;
  readonly actual: string;
  readonly range?: { start: number; end: number };

  constructor(message: string, options: DataCorruptionOptions) {
    super('ERR_GCS_DATA_CORRUPTION', message, options);
    this.algorithm = options.algorithm;
    this.expected = options.expected;
    this.actual = options.actual;
    if (options.range) this.range = options.range;
  }

  protected override fields(): Record<string, unknown> {
    return { algorithm: this.algorithm, expected: this.expected, actual: this.actual, range: this.range };
  }
}

/**
 * A connection-level failure: reset, refused, closed early, DNS. Always retryable. The original error (with
 * its system `code`, e.g. `ECONNRESET` or `UND_ERR_SOCKET`) is the `cause`.
 */
export class NetworkError extends GcsTransferError {
  /** The underlying system or undici error code, e.g. `ECONNRESET`. */
  readonly systemCode?: string;

  constructor(message: string, options: GcsTransferErrorOptions & { systemCode?: string } = {}, code: ErrorCode = 'ERR_GCS_NETWORK') {
    super(code, message, options);
    if (options.systemCode) this.systemCode = options.systemCode;
  }

  get retryable(): boolean {
    return true;
  }

  protected override fields(): Record<string, unknown> {
    return { systemCode: this.systemCode };
  }
}

/** A connect, headers or body (read/stall) timeout. Retryable like any network failure. */
export class TimeoutError extends NetworkError {
  constructor(message: string, options: GcsTransferErrorOptions & { systemCode?: string } = {}) {
    super(message, options, 'ERR_GCS_TIMEOUT');
  }
}

/**
 * The caller's signal fired. `name` is `'AbortError'` and `code` `'ABORT_ERR'`, as in Node and the DOM; the
 * signal's `reason` is the `cause`.
 */
export class AbortError extends GcsTransferError {
  constructor(message = 'The operation was aborted', options: GcsTransferErrorOptions = {}) {
    super('ABORT_ERR', message, options);
  }

  override get name(): string {
    return 'AbortError';
  }
}

/** A completed part of a multipart upload, as recorded by the coordinator. */
export interface CompletedPart {
  partNumber: number;
  etag: string;
  /** Base64 big-endian CRC32C of the part's bytes. */
  crc32c: string;
  size: number;
}

/** What happened to the server-side upload after a failure. */
export type MultipartCleanup = 'aborted' | 'left-for-resume' | 'abort-failed' | 'none';

export interface MultipartUploadErrorOptions extends GcsTransferErrorOptions {
  uploadId?: string;
  completedParts?: readonly CompletedPart[];
  cleanup: MultipartCleanup;
}

/**
 * A multipart upload failed. Public `uploadId` and `completedParts` let the caller resume it (with
 * `keepOnFailure`), and `cleanup` says whether the server-side upload was cancelled. The `cause` is the
 * failure that stopped it.
 */
export class MultipartUploadError extends GcsTransferError {
  readonly uploadId?: string;
  readonly completedParts: readonly CompletedPart[];
  readonly cleanup: MultipartCleanup;

  constructor(message: string, options: MultipartUploadErrorOptions) {
    super('ERR_GCS_MPU_FAILED', message, options);
    if (options.uploadId) this.uploadId = options.uploadId;
    this.completedParts = options.completedParts ?? [];
    this.cleanup = options.cleanup;
  }

  protected override fields(): Record<string, unknown> {
    return { uploadId: this.uploadId, completedParts: this.completedParts, cleanup: this.cleanup };
  }
}

/** A worker thread died or could not run a task (not a transfer failure reported by the worker). */
export class WorkerError extends GcsTransferError {
  constructor(message: string, options?: GcsTransferErrorOptions) {
    super('ERR_GCS_WORKER', message, options);
  }
}

/** The source changed under a transfer or a resume (generation, size or mtime), so it cannot continue. */
export class SourceChangedError extends GcsTransferError {
  constructor(message: string, options?: GcsTransferErrorOptions) {
    super('ERR_GCS_SOURCE_CHANGED', message, options);
  }
}

/** The server gave no checksum to validate against and the caller required validation. */
export class UnvalidatedError extends GcsTransferError {
  constructor(message: string, options?: GcsTransferErrorOptions) {
    super('ERR_GCS_UNVALIDATED', message, options);
  }
}

export interface LocalIOErrorOptions extends GcsTransferErrorOptions {
  /** The local path the operation was about. */
  path: string;
  /** The system call that failed (`open`, `read`, `write`, `rename`, ...). */
  syscall: string;
  /** The system error code (`ENOENT`, `EACCES`, `ENOSPC`, `EROFS`, ...), when there was one. */
  errno?: string;
}

/**
 * A local file operation failed: a missing or unreadable source, a missing or read-only destination directory,
 * a full disk, a file in the way. `path`, `syscall` and `errno` say which file, which call and why; the Node
 * system error is the `cause`.
 */
export class LocalIOError extends GcsTransferError {
  readonly path: string;
  readonly syscall: string;
  readonly errno?: string;

  constructor(message: string, options: LocalIOErrorOptions) {
    super('ERR_GCS_LOCAL_IO', message, options);
    this.path = options.path;
    this.syscall = options.syscall;
    if (options.errno !== undefined) this.errno = options.errno;
  }

  protected override fields(): Record<string, unknown> {
    return { path: this.path, syscall: this.syscall, errno: this.errno };
  }
}

/** Turns a Node system error of a local file operation into a LocalIOError (our own errors pass through). */
export function localIOError(error: unknown, path: string, syscall: string, what?: string): unknown {
  if (error instanceof GcsTransferError) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno !== 'string') return error;
  const call = (error as NodeJS.ErrnoException).syscall ?? syscall;
  const reason = LOCAL_REASONS[errno] ?? (error as Error).message;
  return new LocalIOError(`${what ?? `Cannot ${call}`} ${path}: ${reason} (${errno}, ${call})`, {
    cause: error,
    path,
    syscall: call,
    errno,
  });
}

const LOCAL_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  EEXIST: 'a file is already there',
  EMFILE: 'too many open files',
};

/**
 * Another transfer (in this or another process) is writing the same destination file. Nothing of the other
 * transfer was touched; `path` is the destination and `holder` describes the lock's owner.
 */
export class DestinationLockedError extends GcsTransferError {
  readonly path: string;
  readonly holder?: string;

  constructor(message: string, options: GcsTransferErrorOptions & { path: string; holder?: string }) {
    super('ERR_GCS_DESTINATION_LOCKED', message, options);
    this.path = options.path;
    if (options.holder !== undefined) this.holder = options.holder;
  }

  protected override fields(): Record<string, unknown> {
    return { path: this.path, holder: this.holder };
  }
}

/**
 * The server stored something other than what was asked: the object resource a write returned names another
 * bucket or object, or has another size or CRC32C (a request corrupted on the way). `expected` and `actual`
 * hold the fields that differ.
 */
export class ResourceMismatchError extends GcsTransferError {
  readonly expected: Record<string, string | number>;
  readonly actual: Record<string, string | number | undefined>;
  /** What happened to the object that was stored by mistake. */
  readonly cleanup: 'removed' | 'left' | 'remove-failed';

  constructor(
    message: string,
    options: GcsTransferErrorOptions & {
      expected: Record<string, string | number>;
      actual: Record<string, string | number | undefined>;
      cleanup: 'removed' | 'left' | 'remove-failed';
    },
  ) {
    super('ERR_GCS_RESOURCE_MISMATCH', message, options);
    this.expected = options.expected;
    this.actual = options.actual;
    this.cleanup = options.cleanup;
  }

  protected override fields(): Record<string, unknown> {
    return { expected: this.expected, actual: this.actual, cleanup: this.cleanup };
  }
}

/**
 * Application Default Credentials found nothing to authenticate with (no `GOOGLE_APPLICATION_CREDENTIALS`, no
 * gcloud application-default login, no metadata server). The message names the fixes.
 */
export class NoCredentialsError extends GcsTransferError {
  constructor(message: string, options?: GcsTransferErrorOptions) {
    super('ERR_GCS_NO_CREDENTIALS', message, options);
  }
}

/** The plain-data form of an error, for crossing a worker boundary or writing JSON output. */
export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  stack?: string;
  request?: RequestContext;
  response?: ResponseContext;
  fields?: Record<string, unknown>;
  cause?: SerializedError;
}

/** Turns any thrown value into plain data. Depth-limited so a cyclic `cause` chain cannot loop. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (error instanceof GcsTransferError) {
    const out: SerializedError = { name: error.name, code: error.code, message: error.message };
    if (error.stack) out.stack = error.stack;
    if (error.request) out.request = error.request;
    if (error.response) out.response = error.response;
    const fields = (error as unknown as { fields(): Record<string, unknown> }).fields();
    const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    if (Object.keys(defined).length > 0) out.fields = defined;
    if (error.cause !== undefined && depth < 4) out.cause = serializeError(error.cause, depth + 1);
    return out;
  }
  if (error instanceof Error) {
    const out: SerializedError = { name: error.name, message: redactText(error.message) };
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    if (error.stack) out.stack = redactText(error.stack);
    if (error.cause !== undefined && depth < 4) out.cause = serializeError(error.cause, depth + 1);
    return out;
  }
  return { name: 'Error', message: redactText(String(error)) };
}

const CLASSES_BY_CODE: Partial<Record<ErrorCode, (message: string, o: Record<string, unknown>) => GcsTransferError>> = {
  ERR_GCS_INVALID_ARG: (m, o) => new InvalidArgumentError(m, o),
  ERR_GCS_INVALID_STATE: (m, o) => new InvalidStateError(m, o),
  ERR_GCS_INVALID_RESPONSE: (m, o) => new InvalidResponse(m, o),
  ERR_GCS_PRECONDITION_FAILED: (m, o) => new PreconditionFailed(m, o),
  ERR_GCS_NOT_FOUND: (m, o) => new NotFound(m, o),
  ERR_GCS_DATA_CORRUPTION: (m, o) => new DataCorruption(m, o as unknown as DataCorruptionOptions),
  ERR_GCS_NETWORK: (m, o) => new NetworkError(m, o),
  ERR_GCS_TIMEOUT: (m, o) => new TimeoutError(m, o),
  ERR_GCS_MPU_FAILED: (m, o) => new MultipartUploadError(m, o as unknown as MultipartUploadErrorOptions),
  ERR_GCS_WORKER: (m, o) => new WorkerError(m, o),
  ERR_GCS_SOURCE_CHANGED: (m, o) => new SourceChangedError(m, o),
  ERR_GCS_UNVALIDATED: (m, o) => new UnvalidatedError(m, o),
  ERR_GCS_LOCAL_IO: (m, o) => new LocalIOError(m, o as unknown as LocalIOErrorOptions),
  ERR_GCS_DESTINATION_LOCKED: (m, o) => new DestinationLockedError(m, o as unknown as { path: string }),
  ERR_GCS_RESOURCE_MISMATCH: (m, o) => new ResourceMismatchError(m, o as unknown as ConstructorParameters<typeof ResourceMismatchError>[1]),
  ERR_GCS_NO_CREDENTIALS: (m, o) => new NoCredentialsError(m, o),
  ABORT_ERR: (m, o) => new AbortError(m, o),
};

/** Rebuilds a typed error from `serializeError` output, so a worker's failure keeps its class and fields. */
export function deserializeError(data: SerializedError): Error {
  const cause = data.cause ? deserializeError(data.cause) : undefined;
  const build = data.code ? CLASSES_BY_CODE[data.code as ErrorCode] : undefined;
  let error: Error;
  if (build) {
    const options: Record<string, unknown> = { ...data.fields };
    if (cause) options.cause = cause;
    if (data.request) options.request = data.request;
    if (data.response) options.response = data.response;
    error = build(data.message, options);
  } else {
    error = new Error(data.message, cause ? { cause } : undefined);
    if (data.name && data.name !== 'Error') Object.defineProperty(error, 'name', { value: data.name });
    if (data.code) (error as { code?: string }).code = data.code;
  }
  if (data.stack) error.stack = data.stack;
  return error;
}

/** Whether the retry policy may try again after `error`. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  if (error instanceof InvalidResponse) return error.retryable;
  return false;
}

// Public API of gcs-transfer: explicit named exports only, types listed separately.

// ---- errors ----
export {
  AbortError,
  DataCorruption,
  DestinationLockedError,
  GcsTransferError,
  InvalidArgumentError,
  InvalidResponse,
  InvalidStateError,
  LocalIOError,
  MultipartUploadError,
  NoCredentialsError,
  NetworkError,
  NotFound,
  PreconditionFailed,
  ResourceMismatchError,
  SourceChangedError,
  TimeoutError,
  UnvalidatedError,
  WorkerError,
  deserializeError,
  isRetryable,
  serializeError,
} from './errors.js';
export type {
  CompletedPart,
  ErrorCode,
  MultipartCleanup,
  RequestContext,
  ResponseContext,
  SerializedError,
} from './errors.js';

// ---- protocol constants ----
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_READ_TIMEOUT_MS,
  MAX_CUMULATIVE_RETRY_MS,
  MAX_SLEEP_MS,
  PERMANENT_REDIRECT,
  RETRYABLE_STATUSES,
  TOO_MANY_REQUESTS,
  UPLOAD_CHUNK_SIZE,
} from './constants.js';

// ---- checksums ----
export { crc32c, crc32cFromBase64, crc32cToBase64, Crc32cHasher } from './checksum/crc32c.js';
export { combineCrc32c, crc32cCombine } from './checksum/combine.js';
export { createHasher, metadataKey } from './checksum/hasher.js';
export type { ChecksumType, Hasher } from './checksum/hasher.js';
export { formatGoogHash, parseGoogHash } from './checksum/goog-hash.js';

// ---- transport ----
export { dumpBody, readBodyText } from './transport/transport.js';
export type {
  HttpMethod,
  HttpRequest,
  HttpResponse,
  RequestBody,
  RequestOptions,
  TimeoutOptions,
  Transport,
} from './transport/transport.js';
export { DEFAULT_RETRY, RetryStrategy, calculateRetryWait, parseRetryAfter, retryWithStrategy } from './transport/retry.js';
export type { RetryEvent, RetryOptions, RetryStrategyOptions } from './transport/retry.js';
export { DEFAULT_USER_AGENT, UndiciTransport } from './transport/undici-transport.js';
export type { UndiciTransportOptions } from './transport/undici-transport.js';
export { mapTransportError } from './transport/error-mapping.js';
export { GoogleAuthProvider, NoAuthProvider, StaticTokenProvider, canSendCredentials } from './transport/auth.js';
export type { AuthHeaderOptions, AuthProvider, AuthScope, GoogleAuthProviderOptions } from './transport/auth.js';
export { DEFAULT_ENDPOINT, GcsEndpoint } from './transport/endpoint.js';
export { createTransport } from './transport/create-transport.js';
export type { AuthOption, CreateTransportOptions } from './transport/create-transport.js';

// ---- media: downloads ----
export { Download, RawDownload } from './media/download.js';
export type { DownloadOptions, DownloadResponse } from './media/download.js';
export { ChunkedDownload, RawChunkedDownload } from './media/chunked-download.js';
export type { ChunkResponse, ChunkedDownloadOptions } from './media/chunked-download.js';

// ---- media: uploads ----
export { SimpleUpload } from './media/simple-upload.js';
export type { SimpleUploadOptions } from './media/simple-upload.js';
export { MultipartUpload } from './media/multipart-upload.js';
export type { MultipartUploadOptions } from './media/multipart-upload.js';
export type { UploadBaseOptions } from './media/upload-base.js';
export { ResumableUpload } from './media/resumable-upload.js';
export type { ChunkRequest, InitiateOptions, ResumableUploadOptions } from './media/resumable-upload.js';
export { XMLMPUContainer } from './media/xml-mpu-container.js';
export type { FinalizedObject, FinalizeOptions, XMLMPUContainerOptions } from './media/xml-mpu-container.js';
export { MAX_PART_NUMBER, XMLMPUPart } from './media/xml-mpu-part.js';
export type { PartDigests, UploadedPart, XMLMPUPartOptions } from './media/xml-mpu-part.js';
export type { UploadSourceInput } from './media/upload-source.js';
export type { ObjectResource } from './media/object-resource.js';
export type { JsonValue, ObjectMetadata } from './media/json-metadata.js';
export type { ListedPart } from './util/xml.js';

// ---- parallel engine ----
export { TransferManager } from './transfer/transfer-manager.js';
export { DestinationLock } from './transfer/destination/destination-lock.js';
export { DEFAULT_CHUNK_SIZE, DEFAULT_CONCURRENCY } from './transfer/options.js';
export type {
  CompletedRange,
  DownloadCheckpoint,
  DownloadResult,
  ResumedState,
  ResumeEvent,
  ResumeOptions,
  TransferDownloadOptions,
  TransferManagerOptions,
  TransferOptions,
  TransferUploadOptions,
  UploadCheckpoint,
  UploadResult,
} from './transfer/options.js';
export type { DownloadStream } from './transfer/download/download-stream.js';
export type { ProgressCallback, ProgressSnapshot } from './transfer/progress.js';
export { formatObjectRef, parseObjectRef } from './transfer/object-ref.js';
export type { ObjectRef, ObjectSource } from './transfer/object-ref.js';

// ---- many objects and the scheduler (methods of TransferManager) ----
export type { ManyOptions, ManyProgress, ManySummary, ObjectOutcome } from './transfer/many/outcomes.js';
export type { CallOptions, ListPage, ObjectInfo } from './transfer/object-api.js';
export type { ListOptions } from './transfer/many/listing.js';
export type { LocalSource } from './transfer/many/local-source.js';
export type { UploadManyOptions } from './transfer/many/upload-many.js';
export type { CloudSource, DownloadManyOptions, NamedObject } from './transfer/many/download-many.js';
export type { CopyManyOptions, CopyOptions, CopyResult } from './transfer/many/copy-many.js';
export type { DeleteManyOptions } from './transfer/many/delete-many.js';
export type { SyncOptions, SyncResult } from './transfer/many/sync.js';
export type { SkipOptions } from './transfer/many/transfer-options.js';
export type { AdaptiveLimitStats } from './scheduler/adaptive-limit.js';
export type { SchedulerStats } from './scheduler/scheduler.js';
export type { ErrorClass } from './scheduler/error-class.js';
export { classifyError } from './scheduler/error-class.js';

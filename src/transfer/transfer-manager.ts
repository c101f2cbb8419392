/**
 * `TransferManager`: the public coordinator. One per process is the normal use: it owns the transport (with its
 * keep-alive connections), the worker pool, and the defaults every transfer starts from.
 */
import type { Readable } from 'node:stream';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { WorkerPool } from '../pool/worker-pool.js';
import type { AuthProvider } from '../transport/auth.js';
import { authProviderFor, createTransport } from '../transport/create-transport.js';
import { GcsEndpoint } from '../transport/endpoint.js';
import type { Transport } from '../transport/transport.js';
import { INLINE_DOWNLOAD_MAX_BYTES, type DownloadContext } from './download/download-job.js';
import { downloadFile } from './download/file-download.js';
import { parseObjectRef, type ObjectSource } from './object-ref.js';
import {
  resolveDefaults,
  resolveTransfer,
  type TransferDownloadOptions,
  type DownloadResult,
  type TransferDefaults,
  type TransferManagerOptions,
  type TransferOptions,
  type TransferUploadOptions,
  type UploadResult,
} from './options.js';
import type { DownloadStream } from './download/download-stream.js';
import { downloadResumably } from './resume/resumable-download.js';
import { uploadResumably } from './resume/resumable-upload.js';
import { resolveResume } from './resume/resume-policy.js';
import { downloadToStream } from './download/stream-download.js';
import { uploadFile, uploadStream } from './upload/upload-job.js';
import type { UploadContext } from './upload/multipart-job.js';
import type { ManyContext } from './many/context.js';
import { copyMany, copyObject, type CopyManyOptions, type CopyOptions, type CopyResult } from './many/copy-many.js';
import { deleteMany, deleteObject, type DeleteManyOptions } from './many/delete-many.js';
import { downloadMany, type CloudSource, type DownloadManyOptions } from './many/download-many.js';
import { listPages, parseCloudUrl, type ListOptions } from './many/listing.js';
import type { LocalSource } from './many/local-source.js';
import { getObjectInfo, type CallOptions, type ListPage, type ObjectInfo } from './object-api.js';
import type { ManySummary } from './many/outcomes.js';
import { sync, type SyncOptions, type SyncResult } from './many/sync.js';
import { uploadMany, type UploadManyOptions } from './many/upload-many.js';
import { ScheduledTransport } from '../scheduler/scheduled-transport.js';
import { Scheduler, type SchedulerStats } from '../scheduler/scheduler.js';
import { transferRetry } from '../scheduler/retry-budget.js';
import { RetryStrategy } from '../transport/retry.js';

/**
 * Moves multi-GiB objects to and from GCS with many requests in flight, verifying every byte with CRC32C.
 *
 * Memory, with `C` = concurrency and `S` = chunk size (defaults 16 and 16 MiB). Nothing grows with the object's
 * size; a transfer adds to a fixed cost of about 100 MiB (Node, undici, the libraries) plus about 50 MiB per
 * worker thread (`workers`, by default min(cores, 4)):
 * - `downloadFile`: at most `C × 2 MiB` of pieces awaiting their vectored write, plus socket buffers — the
 *   workers write ranges at their offsets, nothing holds a whole range (measured: 248–268 MiB peak RSS for the
 *   whole process with 2 workers, 512 MiB to 2 GiB);
 * - `uploadFile`: each worker streams its own file range, 256 KiB at a time (measured: 244–246 MiB);
 * - `downloadToStream`: plus at most `readWindow × S` held for reordering (default `C × S` = 256 MiB), plus
 *   delivered batches not yet garbage-collected (up to about 150 MiB);
 * - `uploadStream`: plus at most `C × S` of part buffers (256 MiB by default), reused across parts;
 * - a single-request upload (objects up to `singleRequestThreshold`, by default `S`): plus the object.
 *
 * @example
 * ```ts
 * await using tm = new TransferManager();
 * const down = await tm.downloadFile('gs://my-bucket/big.bin', './big.bin', {
 *   onProgress: (p) => console.log(`${p.bytesDone}/${p.bytesTotal}`),
 * });
 * console.log(down.bytes, down.crc32c, down.validated);
 * const up = await tm.uploadFile('./big.bin', 'gs://my-bucket/copy.bin', { contentType: 'application/zip' });
 * console.log(up.method, up.parts, up.generation);
 * ```
 */
export class TransferManager implements AsyncDisposable {
  readonly #endpoint: GcsEndpoint;
  readonly #auth: AuthProvider;
  readonly #transport: Transport;
  readonly #ownsTransport: boolean;
  readonly #pool: WorkerPool;
  readonly #defaults: TransferDefaults;
  readonly #scheduler: Scheduler;
  #closed = false;

  constructor(options: TransferManagerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`Expected the options to be an object, got \`${String(options)}\``);
    }
    this.#defaults = resolveDefaults(options);
    this.#endpoint = new GcsEndpoint(options.endpoint);
    // The same default as createTransport: emulators and plain-http endpoints are anonymous.
    this.#auth = authProviderFor(options.auth ?? (this.#endpoint.isEmulator || !this.#endpoint.secure ? 'none' : 'adc'), undefined);
    this.#scheduler = new Scheduler({
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      ...(options.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: options.maxBufferedBytes }),
    });
    this.#pool = new WorkerPool(options.workers === undefined ? {} : { maxThreads: options.workers });
    if (options.transport !== undefined) {
      if (typeof options.transport?.request !== 'function') {
        throw new InvalidArgumentError('Expected `transport` to be a Transport (an object with request() and close())');
      }
      this.#transport = new ScheduledTransport(options.transport, this.#scheduler.requests);
      this.#ownsTransport = false;
    } else {
      this.#transport = new ScheduledTransport(createTransport({
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        auth: this.#auth,
        ...(options.timeout ? { timeout: options.timeout } : {}),
      }), this.#scheduler.requests);
      this.#ownsTransport = true;
    }
  }

  /** The base URL requests go to. */
  get endpoint(): string {
    return this.#endpoint.url;
  }

  /** What the manager-wide scheduler is doing: requests in flight, its current limit, throttling seen. */
  get schedulerStats(): SchedulerStats {
    return { ...this.#scheduler.stats, workerThreads: this.#pool.threads };
  }

  /**
   * Downloads an object into `destPath`, verified: bytes go to `<destPath>.gcs-transfer.partial`, which is renamed onto
   * `destPath` only when the combined CRC32C matches the server's (or, without a server hash, when every range
   * arrived; then `validated` is false). Every range after discovery is pinned to the discovered generation.
   * With `resume`, an interrupted call is continued by the next call for the same object and file (see
   * {@link TransferDownloadOptions.resume}); the result's `resumed` says what was reused.
   *
   * @throws DataCorruption (nothing renamed), SourceChangedError (the object was overwritten mid-way),
   *   NotFound, AbortError, UnvalidatedError with `requireValidation`, or the request's own error.
   */
  downloadFile(source: ObjectSource, destPath: string, options?: TransferDownloadOptions): Promise<DownloadResult> {
    return this.#start(async () => {
      const ref = parseObjectRef(source);
      const budgeted = this.#budgeted(options);
      const run = (call: TransferDownloadOptions | undefined): Promise<DownloadResult> =>
        downloadFile(this.#downloadContext(), ref, destPath, this.#defaults, call);
      const resume = resolveResume(options?.resume, options?.resumeFrom);
      if (resume === undefined || budgeted === undefined) return run(budgeted);
      return downloadResumably(run, ref, destPath, this.endpoint, resume, budgeted);
    });
  }

  /**
   * Downloads an object as an in-order stream (see {@link TransferDownloadOptions.readWindow} for its memory bound).
   * The stream fails (emits 'error') with a typed error; the data is verified only when it ends, and `result`
   * then holds what a `downloadFile` would have returned. A gzip-stored object is verified as stored and
   * decompressed on the way (`decompress: false` keeps the stored bytes); a CRC32C mismatch or a stored gzip
   * that does not decode ends the stream with DataCorruption or InvalidResponse, never a short 'end'.
   */
  downloadToStream(source: ObjectSource, options?: TransferDownloadOptions): DownloadStream {
    this.#assertOpen();
    return downloadToStream(this.#downloadContext(), parseObjectRef(source), this.#defaults, this.#budgeted(options));
  }

  /**
   * Uploads a file: one request up to `singleRequestThreshold`, otherwise an XML multipart upload whose parts
   * are read and sent by the worker pool (on the main thread, through it, for a manager given a `transport`). A
   * failed multipart upload is cancelled (or kept with `keepOnFailure`) and the call rejects with
   * MultipartUploadError. An existing object is overwritten unless `ifGenerationMatch` says otherwise (XML
   * multipart uploads take no precondition, so for them the engine checks it before starting and again before
   * completing; see {@link TransferUploadOptions.ifGenerationMatch}). With `resume`, an interrupted call is
   * continued by the next call for the same file and object (see {@link TransferUploadOptions.resume}).
   */
  uploadFile(srcPath: string, destination: ObjectSource, options?: TransferUploadOptions): Promise<UploadResult> {
    return this.#start(async () => {
      const dest = parseObjectRef(destination, 'destination');
      const budgeted = this.#budgeted(options);
      const run = (path: string, call: TransferUploadOptions | undefined): Promise<UploadResult> =>
        uploadFile(this.#uploadContext(), path, dest, this.#defaults, call);
      const resume = resolveResume(options?.resume, options?.resumeFrom);
      if (resume === undefined || budgeted === undefined) return run(srcPath, budgeted);
      if (typeof srcPath !== 'string' || srcPath === '') return run(srcPath, budgeted);
      const chunkSize = resolveTransfer(this.#defaults, budgeted).chunkSize;
      const context = { transport: this.#transport, endpoint: this.#endpoint, chunkSize };
      return uploadResumably(context, run, srcPath, dest, resume, budgeted);
    });
  }

  /**
   * Uploads everything a stream yields, cut into parts on the main thread and sent by the worker pool (part
   * buffers are moved to the workers and back, never copied). Memory: at most `concurrency × part size`.
   */
  uploadStream(source: Readable | AsyncIterable<Uint8Array>, destination: ObjectSource, options?: TransferUploadOptions): Promise<UploadResult> {
    return this.#start(() =>
      uploadStream(this.#uploadContext(), source, parseObjectRef(destination, 'destination'), this.#defaults, this.#budgeted(options)),
    );
  }

  // ---- many objects: every call below runs on this manager's scheduler ----

  /**
   * Uploads a directory (recursively), a glob (`data/*.csv`, `logs/**\/*.json`) or an (async) iterable of paths
   * or `{ path, name }` under `destination` (`gs://bucket/prefix/`): a file `dir/x/y.bin` of directory `dir`
   * becomes `prefix/x/y.bin`. Resolves with the summary once every object has settled; failures are listed in
   * it (continue-on-error) unless `continueOnError: false`. Memory does not grow with the number of files.
   */
  uploadMany(source: LocalSource, destination: string, options?: UploadManyOptions): Promise<ManySummary> {
    return this.#start(() => uploadMany(this.#many(), source, destination, options));
  }

  /**
   * Downloads a prefix (`gs://bucket/data/`), a wildcard (`gs://b/logs/2026-*\/**.parquet`) or an (async)
   * iterable of object refs into `destDir`. Listing overlaps downloading; an object whose name is unsafe as a
   * path (`..`, a leading `/`, NUL, a name that is both a file and a prefix) fails alone, nothing is written
   * outside `destDir`.
   */
  downloadMany(source: CloudSource, destDir: string, options?: DownloadManyOptions): Promise<ManySummary> {
    return this.#start(() => downloadMany(this.#many(), source, destDir, options));
  }

  /** Copies one object inside GCS (`objects.rewrite`: no bytes through the client), same or another bucket. */
  copy(source: ObjectSource, destination: ObjectSource, options?: CopyOptions): Promise<CopyResult> {
    return this.#start(() => copyObject(this.#many(), source, destination, options));
  }

  /** Copies every object a prefix or wildcard names under `destination` (`gs://bucket/prefix/`), inside GCS. */
  copyMany(source: CloudSource, destination: string, options?: CopyManyOptions): Promise<ManySummary> {
    return this.#start(() => copyMany(this.#many(), source, destination, options));
  }

  /**
   * Lists `gs://bucket/prefix` page by page (at most `pageSize` entries in memory). With `delimiter: '/'`,
   * names below the next `/` are rolled up into `prefixes`.
   */
  list(location: string, options: Omit<ListOptions, 'prefix'> = {}): AsyncGenerator<ListPage> {
    const { bucket, path } = parseCloudUrl(location, 'location');
    return listPages(this.#many(), bucket, { ...options, prefix: path });
  }

  /** An object's metadata (size, generation, CRC32C, content type, …). @throws NotFound */
  stat(ref: ObjectSource, options?: CallOptions): Promise<ObjectInfo> {
    return this.#start(() => getObjectInfo(this.#many(), parseObjectRef(ref), options));
  }

  /** Deletes one object (one generation with `ref.generation`). @throws NotFound */
  delete(ref: ObjectSource, options?: CallOptions): Promise<void> {
    return this.#start(() => deleteObject(this.#many(), ref, options));
  }

  /** Deletes everything a prefix or wildcard names, or an array of refs (`dryRun` to only report). */
  deleteMany(source: string | readonly ObjectSource[], options?: DeleteManyOptions): Promise<ManySummary> {
    return this.#start(() => deleteMany(this.#many(), source, options));
  }

  /**
   * One-way sync (the CLI's `rsync`): makes `destination` (a directory or `gs://bucket/prefix/`) hold what
   * `source` holds, skipping identical objects (`identicalBy`, default size + CRC32C); `deleteExtra` then deletes
   * what the source lacks (never after a failed transfer), `dryRun` only reports.
   */
  sync(source: string, destination: string, options?: SyncOptions): Promise<SyncResult> {
    return this.#start(() => sync(this.#many(), source, destination, options));
  }

  /** Stops the worker threads and closes the transport this manager created. Call when transfers are done. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
    if (this.#ownsTransport) await this.#transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs a transfer, turning synchronous validation errors into rejections. */
  async #start<T>(transfer: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    return transfer();
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('The TransferManager is closed');
  }

  /** One retry budget for the whole transfer (every request of it draws from it), not a fresh one per request. */
  #budgeted<T extends TransferOptions>(options: T | undefined): T | undefined {
    if (options !== undefined && (typeof options !== 'object' || options === null)) return options;
    const base = options?.retry ?? this.#defaults.retry;
    if (!(base instanceof RetryStrategy)) return options;
    return { ...options, retry: transferRetry(base) } as T;
  }

  /** The engine's view of this manager, for the many-object layer. */
  #many(): ManyContext {
    this.#assertOpen();
    return {
      transport: this.#transport,
      endpoint: this.#endpoint,
      scheduler: this.#scheduler,
      defaults: this.#defaults,
      downloadFile: (source, destPath, options, knownSize) =>
        this.#start(() => downloadFile(this.#downloadContext(knownSize), source, destPath, this.#defaults, this.#budgeted(options))),
      uploadFile: (srcPath, destination, options) => this.uploadFile(srcPath, destination, options),
    };
  }

  /**
   * Ranges run in the worker pool, unless the caller gave a transport of its own (it cannot cross threads) or
   * the object is known (from a listing) to be small enough that the hop to a worker would cost more than its
   * bytes do on the main thread.
   */
  #downloadContext(knownSize?: number): DownloadContext {
    const small = knownSize !== undefined && knownSize <= INLINE_DOWNLOAD_MAX_BYTES;
    if (!this.#ownsTransport || small) return { transport: this.#transport, endpoint: this.#endpoint };
    return { transport: this.#transport, endpoint: this.#endpoint, pool: this.#pool, auth: this.#auth, requests: this.#scheduler.requests };
  }

  /** Parts run in the worker pool, unless the caller gave a transport of its own (as for download ranges). */
  #uploadContext(): UploadContext {
    if (!this.#ownsTransport) return { transport: this.#transport, endpoint: this.#endpoint, pool: this.#pool };
    return { transport: this.#transport, endpoint: this.#endpoint, auth: this.#auth, pool: this.#pool, requests: this.#scheduler.requests };
  }
}

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
import type { DownloadContext } from './download-job.js';
import { downloadFile } from './file-download.js';
import { parseObjectRef, type ObjectSource } from './object-ref.js';
import {
  resolveDefaults,
  type TransferDownloadOptions,
  type DownloadResult,
  type TransferDefaults,
  type TransferManagerOptions,
  type TransferUploadOptions,
  type UploadResult,
} from './options.js';
import { downloadToStream } from './stream-download.js';
import { uploadFile, uploadStream } from './upload-job.js';

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
  #closed = false;

  constructor(options: TransferManagerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`Expected the options to be an object, got \`${String(options)}\``);
    }
    this.#defaults = resolveDefaults(options);
    this.#endpoint = new GcsEndpoint(options.endpoint);
    // The same default as createTransport: emulators and plain-http endpoints are anonymous.
    this.#auth = authProviderFor(options.auth ?? (this.#endpoint.isEmulator || !this.#endpoint.secure ? 'none' : 'adc'), undefined);
    this.#pool = new WorkerPool(options.workers === undefined ? {} : { maxThreads: options.workers });
    if (options.transport !== undefined) {
      if (typeof options.transport?.request !== 'function') {
        throw new InvalidArgumentError('Expected `transport` to be a Transport (an object with request() and close())');
      }
      this.#transport = options.transport;
      this.#ownsTransport = false;
    } else {
      this.#transport = createTransport({
        ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        auth: this.#auth,
        ...(options.timeout ? { timeout: options.timeout } : {}),
      });
      this.#ownsTransport = true;
    }
  }

  /** The base URL requests go to. */
  get endpoint(): string {
    return this.#endpoint.url;
  }

  /**
   * Downloads an object into `destPath`, verified: bytes go to `<destPath>.gcs-transfer.partial`, which is renamed onto
   * `destPath` only when the combined CRC32C matches the server's (or, without a server hash, when every range
   * arrived; then `validated` is false). Every range after discovery is pinned to the discovered generation.
   *
   * @throws DataCorruption (nothing renamed), SourceChangedError (the object was overwritten mid-way),
   *   NotFound, AbortError, UnvalidatedError with `requireValidation`, or the request's own error.
   */
  downloadFile(source: ObjectSource, destPath: string, options?: TransferDownloadOptions): Promise<DownloadResult> {
    return this.#start(() => downloadFile(this.#downloadContext(), parseObjectRef(source), destPath, this.#defaults, options));
  }

  /**
   * Downloads an object as an in-order stream (see {@link TransferDownloadOptions.readWindow} for its memory bound).
   * The stream fails (emits 'error') with a typed error; the data is verified only when it ends.
   */
  downloadToStream(source: ObjectSource, options?: TransferDownloadOptions): Readable {
    this.#assertOpen();
    return downloadToStream(this.#downloadContext(), parseObjectRef(source), this.#defaults, options);
  }

  /**
   * Uploads a file: one request up to `singleRequestThreshold`, otherwise an XML multipart upload whose parts
   * are read and sent by the worker pool. A failed multipart upload is cancelled (or kept with
   * `keepOnFailure`) and the call rejects with MultipartUploadError. XML multipart uploads do not support
   * generation preconditions, so an existing object is overwritten.
   */
  uploadFile(srcPath: string, destination: ObjectSource, options?: TransferUploadOptions): Promise<UploadResult> {
    return this.#start(() =>
      uploadFile(this.#uploadContext(), srcPath, parseObjectRef(destination, 'destination'), this.#defaults, options),
    );
  }

  /**
   * Uploads everything a stream yields, cut into parts on the main thread and sent by the worker pool (part
   * buffers are moved to the workers and back, never copied). Memory: at most `concurrency × part size`.
   */
  uploadStream(source: Readable | AsyncIterable<Uint8Array>, destination: ObjectSource, options?: TransferUploadOptions): Promise<UploadResult> {
    return this.#start(() =>
      uploadStream(this.#uploadContext(), source, parseObjectRef(destination, 'destination'), this.#defaults, options),
    );
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

  /** Ranges run in the worker pool, unless the caller gave a transport of its own (it cannot cross threads). */
  #downloadContext(): DownloadContext {
    if (!this.#ownsTransport) return { transport: this.#transport, endpoint: this.#endpoint };
    return { transport: this.#transport, endpoint: this.#endpoint, pool: this.#pool, auth: this.#auth };
  }

  #uploadContext(): { transport: Transport; endpoint: GcsEndpoint; auth: AuthProvider; pool: WorkerPool } {
    return { transport: this.#transport, endpoint: this.#endpoint, auth: this.#auth, pool: this.#pool };
  }
}

/**
 * `ResumableUpload`: a JSON-API resumable session. `initiate` creates the session, each
 * `transmitNextChunk` PUTs one chunk with its `Content-Range`, the server answers 308 with how much it has
 * persisted (its `Range`) until the last chunk gets the object resource (200), and `recover` asks the server
 * where the session stands after a failure.
 *
 * Beyond Python: the upload owns its source, so it reads each chunk at the offset the server acknowledged
 * (the caller never repositions a stream); a non-seekable source keeps only the unacknowledged bytes, and a
 * server that asks for bytes already discarded is reported as data loss, never papered over; the last chunk
 * carries `x-goog-hash` so the server itself refuses a corrupted object; and the session URL must stay on
 * the upload URL's origin, so a hostile `Location` cannot divert the data (and the credentials) elsewhere.
 */
import { formatGoogHash } from '../checksum/goog-hash.js';
import { assertChecksumType, createHasher, metadataKey, type ChecksumType, type Hasher } from '../checksum/hasher.js';
import { UPLOAD_CHUNK_SIZE } from '../constants.js';
import { InvalidArgumentError, InvalidResponse, InvalidStateError, SourceChangedError } from '../errors.js';
import { RetryStrategy } from '../transport/retry.js';
import type { HttpRequest, HttpResponse, RequestOptions, Transport } from '../transport/transport.js';
import { redactUrl } from '../util/redact.js';
import { toPythonJson, type ObjectMetadata } from './json-metadata.js';
import { readObjectResource, type ObjectResource } from './object-resource.js';
import { requireHeader, requireStatus, responseContext } from './response-checks.js';
import { sendWithRetry } from './send-with-retry.js';
import { checkContentType, checkHeaders, checkInteger, checkMetadata, checkUrl, describe } from './arguments.js';
import { validateUploadChecksum } from './upload-checksum.js';
import { createUploadSource, type UploadSource, type UploadSourceInput } from './upload-source.js';

export interface ResumableUploadOptions {
  /**
   * Checksum of the whole upload, computed as chunks are sent: the last chunk carries it in `x-goog-hash` (the
   * server refuses a mismatching object), and the object resource of the final answer is compared with it
   * (DataCorruption on a mismatch; the object is not deleted).
   * @default null (no checksum, as in google-resumable-media)
   */
  checksum?: ChecksumType;
  /**
   * Extra headers for the initiate and chunk requests (not for `recover`), e.g. customer-supplied encryption
   * keys. Copied at construction, names lower-cased.
   * @default {}
   */
  headers?: Record<string, string>;
}

export interface InitiateOptions extends RequestOptions {
  /**
   * The number of bytes to upload. Wins over `streamFinal`. Bytes of the source past it are never sent.
   * @default the source's length when `streamFinal` is true and the source knows it (bytes, file); else unknown
   */
  totalBytes?: number;
  /**
   * Whether the source's current length is final, so that the upload size can be taken from it. A stream has
   * no length: its size is learnt when it ends (a chunk shorter than `chunkSize`), whatever this says.
   * @default true
   */
  streamFinal?: boolean;
}

/** One prepared chunk: the request and the bytes it covers. */
export interface ChunkRequest extends HttpRequest {
  /** Offset of the first byte sent. */
  start: number;
  /** Number of bytes sent. */
  length: number;
}

/** Python's 308 `range` pattern: anchored at the start only, so trailing text is tolerated. */
const RANGE_PATTERN = /^bytes=0-(\d+)/i;

/**
 * A resumable upload. Chunks are sent one at a time; call `transmitNextChunk` until `finished`.
 *
 * @example
 * const upload = new ResumableUpload(endpoint.uploadUrl('bucket', 'resumable'), 8 * 1024 * 1024, { checksum: 'crc32c' });
 * await upload.initiate(transport, '/path/to/file', { name: 'big.bin' }, 'application/octet-stream');
 * let object;
 * while (!upload.finished) object = await upload.transmitNextChunk(transport);
 */
export class ResumableUpload {
  /** The URL the session is created at, e.g. `…/upload/storage/v1/b/BUCKET/o?uploadType=resumable`. */
  readonly uploadUrl: string;
  /** The retry policy of every request; replace it to change back-off or budget. */
  retryStrategy: RetryStrategy = new RetryStrategy();
  readonly #chunkSize: number;
  readonly #headers: Record<string, string>;
  readonly #checksum: ChecksumType;
  #source: UploadSource | undefined;
  #contentType: string | undefined;
  #resumableUrl: string | undefined;
  #totalBytes: number | undefined;
  /** What the server has acknowledged; the next chunk starts here. */
  #bytesUploaded = 0;
  /** The furthest offset ever sent, to recognise a server claiming bytes it never received. */
  #bytesSent = 0;
  /** How far the hasher has read: a chunk re-sent after a rewind is not hashed twice. */
  #bytesChecksummed = 0;
  #hasher: Hasher | undefined;
  #invalid = false;
  #finished = false;

  /**
   * @param chunkSize Bytes per chunk: a positive multiple of 256 KiB (`UPLOAD_CHUNK_SIZE`), because GCS persists
   *   unfinished sessions in whole 256 KiB units. Python lets 0 through; it would send empty chunks forever.
   * @throws InvalidArgumentError for a bad URL, chunk size, headers or checksum type.
   */
  constructor(uploadUrl: string, chunkSize: number, options: ResumableUploadOptions = {}) {
    this.uploadUrl = checkUrl(uploadUrl, 'uploadUrl');
    if (typeof chunkSize !== 'number' || !Number.isSafeInteger(chunkSize) || chunkSize <= 0 || chunkSize % UPLOAD_CHUNK_SIZE !== 0) {
      const shown = typeof chunkSize === 'number' ? `\`${chunkSize}\` (number)` : describe(chunkSize);
      throw new InvalidArgumentError(
        `Expected \`chunkSize\` to be a positive multiple of ${UPLOAD_CHUNK_SIZE} (256 KiB), got ${shown}`,
      );
    }
    this.#chunkSize = chunkSize;
    this.#headers = checkHeaders(options.headers);
    const checksum = options.checksum ?? null;
    assertChecksumType(checksum);
    this.#checksum = checksum;
  }

  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** The session URL from the initiate answer's `Location`, once initiated. Holding it is enough to write the object. */
  get resumableUrl(): string | undefined {
    return this.#resumableUrl;
  }

  /** Bytes the server has acknowledged. */
  get bytesUploaded(): number {
    return this.#bytesUploaded;
  }

  /** The upload size, once known (at initiate, or when a stream ends). */
  get totalBytes(): number | undefined {
    return this.#totalBytes;
  }

  /** True once the server has answered the last chunk with the object resource. */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * True after a chunk got a non-retryable failure: the session's state is unknown, and `recover()` must ask
   * the server before another chunk is sent.
   */
  get invalid(): boolean {
    return this.#invalid;
  }

  // ---- initiate ----

  /**
   * Sans-I/O half of `initiate`: adopts the source and builds the POST that creates the session. Async only
   * because a file's length is read from disk.
   *
   * On a signed URL (a `x-goog-signature` query parameter) the content type goes in `content-type` and no
   * `x-upload-content-type` is sent, since the signature covers the headers.
   */
  async prepareInitiateRequest(
    source: UploadSourceInput,
    metadata: ObjectMetadata,
    contentType: string,
    options: Pick<InitiateOptions, 'totalBytes' | 'streamFinal'> = {},
  ): Promise<HttpRequest> {
    if (this.#resumableUrl !== undefined) throw new InvalidStateError('This upload has already been initiated.');
    checkContentType(contentType);
    checkMetadata(metadata);
    const body = toPythonJson(metadata);
    const adopted = createUploadSource(source, 'source');
    // Reading the length also records a file's identity, so a file changed during the upload is noticed.
    const length = await adopted.length();
    let total: number | undefined;
    if (options.totalBytes !== undefined) {
      total = checkInteger(options.totalBytes, 'totalBytes', 0);
      if (length !== undefined && total > length) {
        throw new InvalidArgumentError(`Expected \`totalBytes\` to be at most the source's ${length} bytes, got \`${total}\``);
      }
    } else if (options.streamFinal ?? true) {
      total = length;
    }
    this.#source = adopted;
    this.#contentType = contentType;
    this.#totalBytes = total;

    const headers: Record<string, string> = { ...this.#headers };
    if (isSignedUrl(this.uploadUrl)) {
      headers['content-type'] = contentType;
    } else {
      headers['content-type'] = 'application/json; charset=UTF-8';
      headers['x-upload-content-type'] = contentType;
    }
    if (total !== undefined) headers['x-upload-content-length'] = String(total);
    return { method: 'POST', url: this.uploadUrl, headers, body };
  }

  /**
   * Sans-I/O: accepts 200 or 201 (any other non-retryable status makes the upload invalid) and takes the session
   * URL from `Location`, resolved against the upload URL.
   * @throws InvalidResponse when `Location` is missing, or points to another origin than the upload URL.
   */
  async processInitiateResponse(response: HttpResponse): Promise<string> {
    await requireStatus(response, [200, 201], () => (this.#invalid = true), 'POST');
    const location = requireHeader(response, 'location');
    let resolved: URL | undefined;
    try {
      resolved = new URL(location, this.uploadUrl);
    } catch {
      resolved = undefined;
    }
    if (!resolved || resolved.origin !== new URL(this.uploadUrl).origin) {
      throw new InvalidResponse(
        `The resumable session URL ${redactUrl(location)} is not on the upload URL's origin ` +
          `${new URL(this.uploadUrl).origin}; refusing to send the data (and credentials) there`,
        { response: responseContext(response) },
      );
    }
    this.#resumableUrl = resolved.href;
    return this.#resumableUrl;
  }

  /**
   * Creates the session. `source` is bytes, a file path, or a `Readable`; it is read chunk by chunk later.
   * Resolves the session URL.
   *
   * @throws InvalidStateError when already initiated; InvalidArgumentError for bad arguments; InvalidResponse
   *   for a refused request or an answer without a usable `Location`.
   */
  async initiate(
    transport: Transport,
    source: UploadSourceInput,
    metadata: ObjectMetadata,
    contentType: string,
    options: InitiateOptions = {},
  ): Promise<string> {
    const request = await this.prepareInitiateRequest(source, metadata, contentType, options);
    return sendWithRetry(transport, this.retryStrategy, () => request, (r) => this.processInitiateResponse(r), options);
  }

  // ---- chunks ----

  /**
   * Sans-I/O half of `transmitNextChunk` (it reads the source): the PUT of the next chunk, starting at the
   * acknowledged offset, with its `Content-Range`, and on the last chunk the whole upload's `x-goog-hash`.
   *
   * @throws InvalidStateError when finished, invalid or not initiated; SourceChangedError when the source
   *   holds fewer bytes than `totalBytes` or more than the promised 0.
   */
  async prepareChunkRequest(signal?: AbortSignal): Promise<ChunkRequest> {
    if (this.#finished) throw new InvalidStateError('Upload has finished.');
    if (this.#invalid) throw new InvalidStateError('Upload is in an invalid state. To recover call `recover()`.');
    const source = this.#source;
    if (this.#resumableUrl === undefined || source === undefined) {
      throw new InvalidStateError('This upload has not been initiated. Please call initiate() before beginning to transmit chunks.');
    }
    const start = this.#bytesUploaded;
    let total = this.#totalBytes;
    const wanted = total !== undefined && total > 0 && start + this.#chunkSize >= total ? total - start : this.#chunkSize;
    const payload = await source.read(start, wanted, signal);
    if (total === undefined) {
      // A short read ends a stream of unknown size: this chunk is the last.
      if (payload.byteLength < this.#chunkSize) total = start + payload.byteLength;
    } else if (total === 0) {
      if (payload.byteLength !== 0) {
        throw new SourceChangedError('Stream specified as empty, but produced non-empty content.');
      }
    } else if (payload.byteLength === 0) {
      throw new SourceChangedError('Stream is already exhausted. There is no content remaining.');
    } else if (payload.byteLength < wanted) {
      throw new SourceChangedError(
        `The source ended at byte ${start + payload.byteLength}, before the ${total} bytes announced (totalBytes)`,
      );
    }
    this.#totalBytes = total;
    this.#updateChecksum(start, payload);

    const end = start + payload.byteLength - 1;
    const headers: Record<string, string> = {
      ...this.#headers,
      'content-type': this.#contentType as string,
      'content-range': contentRange(start, end, total),
    };
    if (this.#hasher && this.#checksum !== null && total !== undefined && start + payload.byteLength === total) {
      headers['x-goog-hash'] = formatGoogHash({ [this.#checksum]: this.#hasher.digest() });
    }
    this.#bytesSent = Math.max(this.#bytesSent, start + payload.byteLength);
    return { method: 'PUT', url: this.#resumableUrl, headers, body: payload, start, length: payload.byteLength };
  }

  /** Hashes the part of `payload` not hashed yet (a re-sent chunk overlaps what was hashed). */
  #updateChecksum(start: number, payload: Uint8Array): void {
    if (this.#checksum === null) return;
    this.#hasher ??= createHasher(this.#checksum);
    const skip = this.#bytesChecksummed - start;
    if (skip < payload.byteLength) {
      this.#hasher?.update(payload.subarray(Math.max(0, skip)));
      this.#bytesChecksummed = start + payload.byteLength;
    }
  }

  /**
   * Sans-I/O: 200 finishes the upload (the object resource is returned after the size and checksum checks);
   * 308 records how much the server persisted. Any other non-retryable status, or a 308 without a valid
   * `range`, makes the upload invalid.
   *
   * @throws InvalidResponse for those failures, for a `range` claiming bytes never sent, and (data loss) when
   *   a non-seekable source no longer holds the bytes the server asks for.
   * @throws DataCorruption when the object's checksum differs from the one computed while sending.
   */
  async processChunkResponse(response: HttpResponse, chunk: Pick<ChunkRequest, 'start' | 'length'>): Promise<ObjectResource | undefined> {
    const status = await requireStatus(response, [200, 308], () => (this.#invalid = true), 'PUT');
    if (status === 200) return this.#finish(response, chunk.start + chunk.length);
    const range = requireHeader(response, 'range', () => (this.#invalid = true));
    this.#acknowledge(response, this.#parseRange(response, range, () => (this.#invalid = true)));
    return undefined;
  }

  async #finish(response: HttpResponse, uploaded: number): Promise<ObjectResource> {
    this.#bytesUploaded = uploaded;
    this.#finished = true;
    const resource = await readObjectResource(response);
    const context = responseContext(response);
    if (this.#totalBytes !== undefined && uploaded !== this.#totalBytes) {
      throw new InvalidResponse(
        `The server completed the upload after ${uploaded} of ${this.#totalBytes} bytes`,
        { response: context },
      );
    }
    if (resource.size !== undefined && String(resource.size) !== String(uploaded)) {
      throw new InvalidResponse(`The server stored ${String(resource.size)} bytes but ${uploaded} were sent`, { response: context });
    }
    if (this.#checksum !== null && this.#hasher) {
      const key = metadataKey(this.#checksum);
      const remote = resource[key];
      validateUploadChecksum(this.#checksum, this.#hasher.digest(), typeof remote === 'string' ? remote : undefined, context, key);
    }
    this.#source?.release(uploaded);
    return resource;
  }

  /** The byte count a 308 `range` (`bytes=0-N`) acknowledges. */
  #parseRange(response: HttpResponse, range: string, onBad?: () => void): number {
    const match = RANGE_PATTERN.exec(range);
    if (!match || !Number.isSafeInteger(Number(match[1]))) {
      onBad?.();
      throw new InvalidResponse(`Unexpected "range" header ${range}. Expected to be of the form "bytes=0-{end}"`, {
        response: responseContext(response),
      });
    }
    return Number(match[1]) + 1;
  }

  /**
   * Records that the server holds `persisted` bytes. Refuses a count beyond what was ever sent (the server
   * would be claiming bytes it never received) and, for a stream, a count before the bytes still held: those
   * were acknowledged earlier and dropped, so they cannot be sent again. Both leave the upload invalid.
   */
  #acknowledge(response: HttpResponse, persisted: number): void {
    const source = this.#source as UploadSource;
    if (persisted > this.#bytesSent) {
      this.#invalid = true;
      throw new InvalidResponse(
        `The server reports ${persisted} bytes persisted, but only ${this.#bytesSent} were ever sent`,
        { response: responseContext(response) },
      );
    }
    if (persisted < source.floor) {
      this.#invalid = true;
      throw new InvalidResponse(
        `Data loss: the server now reports only ${persisted} bytes persisted, but the source is a stream whose bytes ` +
          `before ${source.floor} were discarded after the server acknowledged them. They cannot be sent again; ` +
          'start a new upload from the beginning of the data.',
        { response: responseContext(response) },
      );
    }
    this.#bytesUploaded = persisted;
    source.release(persisted);
  }

  /**
   * Sends the next chunk. Resolves the object resource when this was the last chunk, otherwise undefined.
   * Retryable failures re-send the same chunk; they do not make the upload invalid.
   *
   * @throws InvalidStateError when finished, invalid (call `recover()`) or not initiated; InvalidResponse;
   *   DataCorruption; SourceChangedError.
   */
  async transmitNextChunk(transport: Transport, options: RequestOptions = {}): Promise<ObjectResource | undefined> {
    const chunk = await this.prepareChunkRequest(options.signal);
    return sendWithRetry(transport, this.retryStrategy, () => chunk, (r) => this.processChunkResponse(r, chunk), options);
  }

  // ---- recover ----

  /** Sans-I/O half of `recover`: an empty PUT with only `content-range: bytes *\/*` (no extra headers). */
  prepareRecoverRequest(): HttpRequest {
    if (this.#resumableUrl === undefined) {
      throw new InvalidStateError('This upload has not been initiated. Please call initiate() before recover().');
    }
    return { method: 'PUT', url: this.#resumableUrl, headers: { 'content-range': 'bytes */*' }, body: null };
  }

  /**
   * Sans-I/O: requires 308 (anything else leaves the state untouched); a `range` gives the persisted count, its
   * absence means nothing was persisted. The upload is valid again afterwards.
   */
  async processRecoverResponse(response: HttpResponse): Promise<number> {
    await requireStatus(response, [308], undefined, 'PUT');
    const range = response.headers.range;
    const first = Array.isArray(range) ? range[0] : range;
    this.#acknowledge(response, first === undefined ? 0 : this.#parseRange(response, first));
    this.#invalid = false;
    return this.#bytesUploaded;
  }

  /**
   * Asks the server how much of the session it has persisted and resumes from there; usable in any state.
   * Resolves the new `bytesUploaded`.
   *
   * @throws InvalidResponse for a status other than 308 (e.g. a finished or expired session), a malformed
   *   `range`, or data loss (see `processChunkResponse`).
   */
  async recover(transport: Transport, options: RequestOptions = {}): Promise<number> {
    const request = this.prepareRecoverRequest();
    return sendWithRetry(transport, this.retryStrategy, () => request, (r) => this.processRecoverResponse(r), options);
  }
}

/** Whether `url` is a signed URL: a query parameter named exactly `x-goog-signature` or `X-Goog-Signature`. */
function isSignedUrl(url: string): boolean {
  const params = new URL(url).searchParams;
  return params.has('x-goog-signature') || params.has('X-Goog-Signature');
}

/** Python's `get_content_range`: `bytes S-E/T`, `bytes S-E/*` when the total is unknown, `bytes *\/T` when empty. */
export function contentRange(start: number, end: number, total: number | undefined): string {
  if (total === undefined) return `bytes ${start}-${end}/*`;
  if (end < start) return `bytes */${total}`;
  return `bytes ${start}-${end}/${total}`;
}

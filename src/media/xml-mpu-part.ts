/**
 * `XMLMPUPart`: one part of an XML multipart upload, `PUT {object}?partNumber=N&uploadId=ID`.
 *
 * Beyond Python, whose part sends no checksum at all: the part's digest goes with it (`x-goog-hash: crc32c=…`, or
 * `Content-MD5` for md5), so the server refuses bytes that changed on the way (reported as DataCorruption, as
 * python-storage does); a file part is never held in memory (one streaming hash pass over `[start, end)`, then
 * a streamed PUT of the same range, re-opened for every attempt); and the result carries the part's CRC32C, so
 * a coordinator can combine the parts' CRCs and check the whole object.
 */
import { Crc32cHasher } from '../checksum/crc32c.js';
import { formatGoogHash, parseGoogHash } from '../checksum/goog-hash.js';
import { assertChecksumType, createHasher, metadataKey, type ChecksumType } from '../checksum/hasher.js';
import { InvalidArgumentError, InvalidStateError, SourceChangedError } from '../errors.js';
import { RetryStrategy } from '../transport/retry.js';
import type { HttpRequest, HttpResponse, RequestOptions, Transport } from '../transport/transport.js';
import { requireHeader, requireStatus, responseContext } from './response-checks.js';
import { sendWithRetry } from './send-with-retry.js';
import { checkBytes, checkHeaders, checkInteger, checkUrl, describe } from './arguments.js';
import { digestRefusal, validateUploadChecksum } from './upload-checksum.js';
import { visitFileRange } from './file-range.js';
import { fileRangeStream } from './upload-source.js';

/** GCS (like S3) numbers parts from 1 to 10,000. */
export const MAX_PART_NUMBER = 10_000;

export interface XMLMPUPartOptions {
  /**
   * Extra request headers, e.g. customer-supplied encryption keys (which every part must repeat). Copied at
   * construction, names lower-cased.
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * Checksum sent with the part (`x-goog-hash: crc32c=…` or `Content-MD5`) and compared with the `x-goog-hash`
   * of the answer, which must then be present. `null` sends and checks nothing; the result still carries the
   * part's CRC32C, computed locally.
   * @default 'crc32c' (Python: no checksum)
   */
  checksum?: ChecksumType;
  /**
   * The part's bytes, when they are in memory; its length must be `end - start`. Without it, `[start, end)` of
   * `filename` is streamed.
   * @default undefined
   */
  data?: Uint8Array;
}

/** What a successful part upload resolves: what the container's `registerPart` and a CRC combine need. */
export interface UploadedPart {
  partNumber: number;
  /** The ETag to pass to `registerPart`. */
  etag: string;
  /** Base64 big-endian CRC32C of the part's bytes, computed locally. */
  crc32c: string;
  size: number;
}

/** The digests of a part's bytes: CRC32C always (for the result), MD5 when that is the checksum sent. */
export interface PartDigests {
  crc32c: string;
  md5?: string;
}

/**
 * One part of an XML multipart upload. Parts of one upload can be sent concurrently, from any process; the
 * container only needs each part's number and ETag.
 *
 * @example
 * const part = new XMLMPUPart(objectUrl, container.uploadId!, '/path/file', 0, 8 << 20, 1);
 * const { etag } = await part.upload(transport);
 * container.registerPart(1, etag);
 */
export class XMLMPUPart {
  /** The object URL without a query (`{endpoint}/{bucket}/{encoded name}`). */
  readonly uploadUrl: string;
  readonly uploadId: string;
  /** The file holding the part, or null when `data` was given. */
  readonly filename: string | null;
  /** First byte of the part in the file (inclusive). */
  readonly start: number;
  /** End of the part in the file (exclusive, as in Python). */
  readonly end: number;
  readonly partNumber: number;
  /** The retry policy of `upload`; replace it to change back-off or budget. */
  retryStrategy: RetryStrategy = new RetryStrategy();
  readonly #headers: Record<string, string>;
  readonly #checksum: ChecksumType;
  readonly #data: Uint8Array | undefined;
  #digests: PartDigests | undefined;
  #etag: string | undefined;
  #finished = false;

  /**
   * @throws InvalidArgumentError for a URL with a query, an empty upload id, a part number outside 1–10,000,
   *   a negative start, an end before start, `data` of the wrong length, or no file and no data.
   */
  constructor(
    uploadUrl: string,
    uploadId: string,
    filename: string | null,
    start: number,
    end: number,
    partNumber: number,
    options: XMLMPUPartOptions = {},
  ) {
    this.uploadUrl = checkUrl(uploadUrl, 'uploadUrl', { allowQuery: false });
    if (typeof uploadId !== 'string' || uploadId === '') {
      throw new InvalidArgumentError(`Expected \`uploadId\` to be a non-empty string, got ${typeof uploadId === 'string' ? "''" : describe(uploadId)}`);
    }
    this.uploadId = uploadId;
    this.start = checkInteger(start, 'start', 0);
    this.end = checkInteger(end, 'end', this.start);
    this.partNumber = checkInteger(partNumber, 'partNumber', 1, MAX_PART_NUMBER);
    this.#headers = checkHeaders(options.headers);
    const checksum = options.checksum === undefined ? 'crc32c' : options.checksum;
    assertChecksumType(checksum);
    this.#checksum = checksum;
    if (options.data !== undefined) {
      this.#data = checkBytes(options.data, 'data');
      if (this.#data.byteLength !== this.end - this.start) {
        throw new InvalidArgumentError(
          `Expected \`data\` to hold end - start = ${this.end - this.start} bytes, got ${this.#data.byteLength}`,
        );
      }
    }
    if (filename !== null && (typeof filename !== 'string' || filename === '')) {
      throw new InvalidArgumentError(`Expected \`filename\` to be a non-empty path or null, got ${typeof filename === 'string' ? "''" : describe(filename)}`);
    }
    if (filename === null && this.#data === undefined) {
      throw new InvalidArgumentError('Expected `filename` to be a path when no `data` is given, got null');
    }
    this.filename = filename;
  }

  /** Bytes in the part. */
  get size(): number {
    return this.end - this.start;
  }

  /** The ETag the server gave the part, once uploaded. */
  get etag(): string | undefined {
    return this.#etag;
  }

  /** Base64 CRC32C of the part's bytes, once computed (before the first request). */
  get crc32c(): string | undefined {
    return this.#digests?.crc32c;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Hashes the part's bytes: in memory, or by streaming `[start, end)` of the file once.
   * @throws SourceChangedError when the file is shorter than the range.
   */
  async computeDigests(signal?: AbortSignal): Promise<PartDigests> {
    const crc = new Crc32cHasher();
    const md5 = this.#checksum === 'md5' ? createHasher('md5') : undefined;
    if (this.#data) {
      crc.update(this.#data);
      md5?.update(this.#data);
    } else {
      await visitFileRange(
        this.filename as string,
        this.start,
        this.end,
        (block) => {
          crc.update(block);
          md5?.update(block);
        },
        signal,
      );
      if (crc.length !== this.size) {
        throw new SourceChangedError(
          `The file ${this.filename} holds only ${this.start + crc.length} bytes; part ${this.partNumber} needs bytes ${this.start} to ${this.end}`,
        );
      }
    }
    this.#digests = { crc32c: crc.digestBase64(), ...(md5 ? { md5: md5.digest() } : {}) };
    return this.#digests;
  }

  /**
   * Sans-I/O half of `upload`: the PUT of the part with a fresh body (a new file stream each call, so every
   * attempt re-reads the range), its length, and its checksum header.
   * @throws InvalidStateError when the part was already uploaded or its digests not computed.
   */
  prepareRequest(): HttpRequest {
    if (this.#finished) throw new InvalidStateError('This part has already been uploaded.');
    const digests = this.#digests;
    if (!digests) throw new InvalidStateError('The part has not been hashed yet: call computeDigests() first.');
    const headers: Record<string, string> = { ...this.#headers };
    if (this.#checksum === 'crc32c') headers['x-goog-hash'] = formatGoogHash({ crc32c: digests.crc32c });
    if (this.#checksum === 'md5' && digests.md5 !== undefined) headers['content-md5'] = digests.md5;
    let body: HttpRequest['body'];
    if (this.#data) body = this.#data;
    else {
      // A streamed body has no length of its own; sending it lets the transport refuse a file that shrank.
      headers['content-length'] = String(this.size);
      body = this.size === 0 ? new Uint8Array(0) : fileRangeStream(this.filename as string, this.start, this.end);
    }
    const url = `${this.uploadUrl}?partNumber=${this.partNumber}&uploadId=${encodeURIComponent(this.uploadId)}`;
    return { method: 'PUT', url, headers, body };
  }

  /**
   * Sans-I/O: requires 200, checks the answered `x-goog-hash` when a checksum is set, and records the ETag.
   * The part stays unfinished on any failure.
   *
   * @throws DataCorruption when the server refused the checksum sent (BadDigest, InvalidDigest, CrcMismatch) or
   *   answered a different one; InvalidResponse for another status, a missing checksum or a missing ETag.
   */
  async processResponse(response: HttpResponse): Promise<UploadedPart> {
    const digests = this.#digests;
    if (!digests) throw new InvalidStateError('The part has not been hashed yet: call computeDigests() first.');
    const type = this.#checksum;
    const local = type === 'md5' ? digests.md5 : digests.crc32c;
    try {
      await requireStatus(response, [200], undefined, 'PUT');
    } catch (error) {
      throw type !== null && local !== undefined ? digestRefusal(error, type, local) : error;
    }
    if (type !== null && local !== undefined) {
      const context = responseContext(response);
      const remote = parseGoogHash(response.headers['x-goog-hash'], type, context);
      validateUploadChecksum(type, local, remote, context, metadataKey(type));
    }
    const etag = requireHeader(response, 'etag');
    this.#etag = etag;
    this.#finished = true;
    return { partNumber: this.partNumber, etag, crc32c: digests.crc32c, size: this.size };
  }

  /**
   * Uploads the part: hashes it, then PUTs it, re-sending the whole part (re-read from the file) on retryable
   * failures under `retryStrategy`.
   */
  async upload(transport: Transport, options: RequestOptions = {}): Promise<UploadedPart> {
    if (this.#finished) throw new InvalidStateError('This part has already been uploaded.');
    await this.computeDigests(options.signal);
    return sendWithRetry(transport, this.retryStrategy, () => this.prepareRequest(), (r) => this.processResponse(r), options);
  }
}

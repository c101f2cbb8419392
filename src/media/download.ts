/**
 * `Download` and `RawDownload`: one object (or one byte range of it) in one logical GET, as
 * google-resumable-media's classes of the same names, with three improvements:
 *
 * - a body that breaks off is resumed from the byte reached, pinned to the generation first served, and the
 *   result is still validated: the hasher has seen every byte written, whichever response carried it, so the
 *   whole-object checksum applies whenever the bytes written are the whole object (Python skips validation as
 *   soon as a response is a 206);
 * - a body shorter or longer than the server announced is caught (short: retried as a broken connection;
 *   longer: a protocol error), instead of surfacing later as a checksum mismatch or not at all;
 * - a destination is never rewound: when the server re-sends from byte 0 (it ignored the Range, as GCS does
 *   under decompressive transcoding) the bytes already written are skipped, so a plain `Writable` works.
 */
import type { Writable } from 'node:stream';
import {
  DataCorruption,
  InvalidResponse,
  InvalidStateError,
  NetworkError,
} from '../errors.js';
import { assertChecksumType, createHasher, type ChecksumType, type Hasher } from '../checksum/hasher.js';
import { parseGoogHash } from '../checksum/goog-hash.js';
import { RetryStrategy } from '../transport/retry.js';
import { headerValue, type HttpRequest, type HttpResponse, type RequestOptions, type Transport } from '../transport/transport.js';
import { redactUrl } from '../util/redact.js';
import { pumpBody } from './body-reader.js';
import { bytesRangeHeader, requireContentRange } from './content-range.js';
import { ContentDecoder, contentEncodingOf, isDecodableEncoding } from './content-decoder.js';
import { assertDestination, openSink, type DownloadSink } from './download-sink.js';
import { requireStatus, responseContext } from './response-checks.js';
import { sendWithRetry } from './send-with-retry.js';
import { checkHeaders, checkInteger, checkUrl } from './arguments.js';
import { generationOf, isDecompressiveTranscoding, pinGeneration, servedGeneration } from './generation.js';

export interface DownloadOptions {
  /**
   * Where the bytes go: a `Writable` (written with back-pressure and never ended: it stays yours) or a file
   * path (created or truncated, closed when the download ends, removed if it fails). Without one, `consume()`
   * returns the body in memory.
   * @default undefined (the body is returned)
   */
  stream?: Writable | string;
  /**
   * First byte to download. A negative value without `end` asks for the last `-start` bytes (`bytes=-500`).
   * @default undefined (from the beginning)
   */
  start?: number;
  /**
   * Last byte to download, **inclusive** as in Python and HTTP.
   * @default undefined (to the end)
   */
  end?: number;
  /**
   * Extra request headers, e.g. customer-supplied encryption keys (`x-goog-encryption-*`). Copied, with names
   * lower-cased; the `range` header of each request is written into the copy (see {@link Download.headers}).
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * Checksum to validate against the response's `x-goog-hash`, or `null` for none. crc32c, not Python's md5:
   * GCS stores a crc32c for every object, but no md5 for composite objects and XML multipart uploads, so an md5
   * default would silently skip validation of exactly the large objects this library moves.
   * @default 'crc32c'
   */
  checksum?: ChecksumType;
}

/** What `consume()` resolves with: the last response's status and headers, and the body when no stream was given. */
export interface DownloadResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string | string[]>;
  /** The downloaded bytes, only when the download has no `stream`. */
  body?: Buffer;
}

/** Where the wanted bytes are in the representation the server sends, learned from the first response. */
interface Window {
  /** Absolute offset of the next byte to receive. */
  next: number;
  /** Absolute offset of the last byte wanted (inclusive); undefined until a response tells the length. */
  last: number | undefined;
  /** Whether the bytes wanted are the whole stored object, so its checksum applies to them. */
  wholeObject: boolean;
  /** The representation's `content-encoding`, which every resumed response must share. */
  encoding: string | undefined;
  /** Served decompressed from a gzip-stored object: `x-goog-hash` describes other bytes. */
  transcoded: boolean;
}

/** How one response body maps onto the window. */
interface BodyPlan {
  /** Absolute offset of the body's first byte (206: content-range start; 200: 0). */
  start: number;
  /** Absolute offset of the body's last byte as announced, when announced. */
  announcedLast: number | undefined;
}

function contentLengthOf(response: { headers: Record<string, string | string[]> }, name: string): number | undefined {
  const value = headerValue(response.headers, name);
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const length = Number(value.trim());
  return Number.isSafeInteger(length) ? length : undefined;
}

export class Download {
  /** The media URL, e.g. `https://storage.googleapis.com/download/storage/v1/b/B/o/NAME?alt=media`. */
  readonly mediaUrl: string;
  readonly start: number | undefined;
  readonly end: number | undefined;
  readonly checksum: ChecksumType;
  /**
   * The headers sent with every request (a lower-cased copy of the option). Holds the `range` of the latest
   * request, as Python's instance headers do, and `accept-encoding: gzip` unless you set another: gzip-stored
   * objects are then served as stored, which is what `x-goog-hash` describes. (python-requests sends
   * `gzip, deflate`; gzip is the only coding GCS stores and transcodes, so we ask for it alone.)
   */
  readonly headers: Record<string, string>;
  /** The retry policy of `consume()`; replace it to change back-off or budget. */
  retryStrategy: RetryStrategy = new RetryStrategy();

  readonly #destination: Writable | string | undefined;
  #finished = false;
  #busy = false;
  #generation: string | undefined;
  #bytesDownloaded = 0;
  #window: Window | undefined;
  #hasher: Hasher | undefined;
  #expectedChecksum: string | undefined;
  #decoder: ContentDecoder | undefined;
  #validated = false;

  constructor(mediaUrl: string, options: DownloadOptions = {}) {
    this.mediaUrl = checkUrl(mediaUrl, 'mediaUrl');
    const { start, end } = options;
    if (start !== undefined) checkInteger(start, 'start', end === undefined ? Number.MIN_SAFE_INTEGER : 0);
    if (end !== undefined) checkInteger(end, 'end', Math.max(start ?? 0, 0));
    this.start = start;
    this.end = end;
    if (options.stream !== undefined) assertDestination(options.stream, 'stream', true);
    this.#destination = options.stream;
    const checksum = options.checksum === undefined ? 'crc32c' : options.checksum;
    assertChecksumType(checksum);
    this.checksum = checksum;
    this.headers = checkHeaders(options.headers);
    this.headers['accept-encoding'] ??= 'gzip';
  }

  /** Whether `consume()` has received a response: a download is one-shot, even when it failed. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Bytes written to the destination so far (decoded bytes for `Download`, wire bytes for `RawDownload`). */
  get bytesDownloaded(): number {
    return this.#bytesDownloaded;
  }

  /** The object generation being downloaded: from the URL's `generation`, else the first response's header. */
  get generation(): string | undefined {
    return this.#generation;
  }

  /**
   * Whether the bytes were checked against the object's checksum and matched. False when there was nothing to
   * check against: `checksum: null`, no `x-goog-hash` of that type (md5 of a composite object), a partial
   * range, or decompressive transcoding (where the hash describes the compressed bytes). Python only logs
   * these cases; callers that require validation test this flag.
   */
  get validated(): boolean {
    return this.#validated;
  }

  /** Whether this class undoes `content-encoding` (RawDownload: no, the destination gets the stored bytes). */
  protected get decodesContent(): boolean {
    return true;
  }

  /**
   * The first request (sans-I/O): `GET mediaUrl` with the range header of `start`/`end`.
   * @throws InvalidStateError "A download can only be used once." when finished.
   */
  prepareRequest(): HttpRequest {
    if (this.#finished) throw new InvalidStateError('A download can only be used once.');
    const range = bytesRangeHeader(this.start, this.end);
    if (range !== undefined) this.headers.range = range;
    return { method: 'GET', url: this.mediaUrl, headers: { ...this.headers } };
  }

  /**
   * Downloads into the destination (or memory), retrying under {@link retryStrategy}; a body that breaks off is
   * resumed from the byte reached.
   *
   * @throws InvalidResponse (NotFound, PreconditionFailed) for a refused request or a protocol violation,
   *   DataCorruption when the bytes do not match `x-goog-hash`, SourceChangedError when a resumed response comes
   *   from another generation, NetworkError/TimeoutError when retries are exhausted, AbortError on `signal`,
   *   and the destination's own error when writing fails.
   */
  async consume(transport: Transport, options: RequestOptions = {}): Promise<DownloadResponse> {
    if (this.#busy) throw new InvalidStateError('consume() is already running on this download.');
    const first = this.prepareRequest();
    this.#busy = true;
    this.#generation ??= generationOf(this.mediaUrl);
    const sink = openSink(this.#destination);
    try {
      const response = await sendWithRetry(
        transport,
        this.retryStrategy,
        () => (this.#window === undefined ? first : this.#resumeRequest(this.#window)),
        async (response) => {
          await this.#processResponse(response, sink, options.signal);
          return response;
        },
        options,
      );
      await sink.finish();
      const result: DownloadResponse = { status: response.status, headers: response.headers };
      if (sink.body !== undefined) result.body = sink.body;
      return result;
    } catch (error) {
      this.#decoder?.destroy();
      await sink.fail();
      throw error;
    } finally {
      this.#busy = false;
    }
  }

  /** The request that resumes after a broken body: the rest of the window, pinned to the generation. */
  #resumeRequest(window: Window): HttpRequest {
    this.headers.range = `bytes=${window.next}-${window.last ?? ''}`;
    const url = this.#generation === undefined ? this.mediaUrl : pinGeneration(this.mediaUrl, this.#generation);
    return { method: 'GET', url, headers: { ...this.headers } };
  }

  async #processResponse(response: HttpResponse, sink: DownloadSink, signal: AbortSignal | undefined): Promise<void> {
    // Tombstone first, as Python: even a refused download cannot be consumed again.
    this.#finished = true;
    this.#generation = servedGeneration(response, this.#generation, this.mediaUrl);
    await requireStatus(response, [200, 206], undefined, 'GET');
    const plan = this.#planBody(response);
    await this.#readBody(response, plan, sink, signal);
  }

  /** Checks the response's framing against what was asked, and fixes the window on the first response. */
  #planBody(response: HttpResponse): BodyPlan {
    const contentLength = contentLengthOf(response, 'content-length');
    const encoding = contentEncodingOf(response.headers);
    const transcoded = isDecompressiveTranscoding(response.headers);
    const fail = (message: string): never => {
      throw new InvalidResponse(message, { response: responseContext(response) });
    };
    let plan: BodyPlan;
    let total: number | undefined;
    if (response.status === 206) {
      const range = requireContentRange(response);
      if (contentLength !== undefined && contentLength !== range.end - range.start + 1) {
        fail(`Response content-length ${contentLength} does not match its content-range "bytes ${range.start}-${range.end}/${range.total}"`);
      }
      plan = { start: range.start, announcedLast: range.end };
      total = range.total;
    } else {
      // Without content-length (chunked), x-goog-stored-content-length still tells the size, except when GCS
      // decompresses on the fly: then it is the compressed size.
      const length = contentLength ?? (transcoded ? undefined : contentLengthOf(response, 'x-goog-stored-content-length'));
      plan = { start: 0, announcedLast: length === undefined ? undefined : length - 1 };
      total = length;
    }

    const window = this.#window;
    if (window === undefined) {
      this.#window = this.#openWindow(response, plan, total, encoding, transcoded);
      return plan;
    }
    if (encoding !== window.encoding) {
      fail(`A resumed response has content-encoding ${encoding ?? 'identity'}, the download started with ${window.encoding ?? 'identity'}`);
    }
    // A 206 must continue exactly where we stopped; a 200 re-sends from 0 and we skip what we have.
    if (response.status === 206 && plan.start !== window.next) {
      fail(`A resumed response starts at byte ${plan.start}, byte ${window.next} was requested`);
    }
    if (window.last !== undefined && plan.announcedLast !== undefined && plan.announcedLast !== window.last && response.status === 206) {
      fail(`A resumed response ends at byte ${plan.announcedLast}, byte ${window.last} was requested`);
    }
    window.last ??= plan.announcedLast;
    return plan;
  }

  #openWindow(response: HttpResponse, plan: BodyPlan, total: number | undefined, encoding: string | undefined, transcoded: boolean): Window {
    let first: number;
    let last: number | undefined;
    if (response.status === 206) {
      first = plan.start;
      last = plan.announcedLast;
    } else {
      // A 200 is the whole representation: the server ignored any range asked for, so cut it out ourselves.
      if (this.start !== undefined && this.start < 0 && total === undefined) {
        throw new InvalidResponse(
          `The server ignored the suffix range bytes=${this.start} and did not announce the object size`,
          { response: responseContext(response) },
        );
      }
      first = this.start === undefined ? 0 : this.start < 0 ? Math.max(0, (total as number) + this.start) : this.start;
      last = this.end === undefined ? plan.announcedLast : Math.min(this.end, plan.announcedLast ?? this.end);
    }
    const wholeObject = !transcoded && first === 0 && (response.status === 200 ? last === plan.announcedLast : last === (total as number) - 1);
    if (this.decodesContent && isDecodableEncoding(encoding)) this.#decoder = new ContentDecoder(encoding);
    if (this.checksum !== null) {
      this.#hasher = createHasher(this.checksum);
      this.#expectedChecksum = parseGoogHash(response.headers['x-goog-hash'], this.checksum, responseContext(response));
    }
    return { next: first, last, wholeObject, encoding, transcoded };
  }

  /**
   * Streams the body into the destination: skips bytes already written, hashes the wire bytes, decodes, and
   * stops at the end of the window. Ends by validating when the whole object has been received.
   */
  async #readBody(response: HttpResponse, plan: BodyPlan, sink: DownloadSink, signal: AbortSignal | undefined): Promise<void> {
    const window = this.#window as Window;
    let decodeError: unknown;
    const { overrun } = await pumpBody(response, {
      skip: window.next - plan.start,
      ...(window.last === undefined ? {} : { take: window.last - window.next + 1 }),
      ...(plan.announcedLast === undefined ? {} : { announced: plan.announcedLast - plan.start + 1 }),
      ...(signal ? { signal } : {}),
      onData: async (data) => {
        window.next += data.byteLength;
        this.#hasher?.update(data);
        if (this.#decoder === undefined) return this.#write(sink, data, signal);
        if (decodeError !== undefined) return;
        let output: Buffer[] = [];
        try {
          output = await this.#decoder.decode(data);
        } catch (error) {
          // Keep hashing the rest: if the checksum fails too, corruption is the better diagnosis.
          decodeError = error;
        }
        for (const out of output) await this.#write(sink, out, signal);
      },
    });
    if (overrun) {
      throw new InvalidResponse(
        `The response body is longer than announced: more than ${(plan.announcedLast as number) - plan.start + 1} bytes`,
        { response: responseContext(response) },
      );
    }
    const complete = window.last === undefined || window.next > window.last;
    if (!complete && decodeError === undefined) {
      // Python's deliberate ConnectionError: a body that ends early is a broken connection, resumed by the retry.
      throw new NetworkError(
        `The response body ended at byte ${window.next} of ${(window.last as number) + 1} (${redactUrl(this.mediaUrl)}); resuming`,
        { request: { method: 'GET', url: response.url } },
      );
    }
    if (complete) {
      window.last ??= window.next - 1;
      if (decodeError === undefined && this.#decoder !== undefined) {
        let tail: Buffer[] = [];
        try {
          tail = await this.#decoder.finish();
        } catch (error) {
          decodeError = error;
        }
        for (const out of tail) await this.#write(sink, out, signal);
      }
      this.#validate(response, window);
    }
    if (decodeError !== undefined) {
      throw new InvalidResponse(
        `The ${window.encoding}-encoded response body could not be decoded: ${decodeError instanceof Error ? decodeError.message : String(decodeError)}`,
        { response: responseContext(response), cause: decodeError },
      );
    }
  }

  async #write(sink: DownloadSink, data: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    if (data.byteLength === 0) return;
    await sink.write(data, signal);
    this.#bytesDownloaded += data.byteLength;
  }

  /** Compares the hash of everything received with `x-goog-hash`, when both describe the whole object. */
  #validate(response: HttpResponse, window: Window): void {
    const expected = this.#expectedChecksum;
    if (this.#hasher === undefined || expected === undefined || !window.wholeObject) return;
    const actual = this.#hasher.digest();
    if (actual === expected) {
      this.#validated = true;
      return;
    }
    const type = this.checksum === 'md5' ? 'MD5' : 'CRC32C';
    const stored = (name: string): string => headerValue(response.headers, name) ?? 'None';
    throw new DataCorruption(
      `Checksum mismatch while downloading:\n\n  ${redactUrl(this.mediaUrl)}\n\n` +
        `The X-Goog-Hash header indicated an ${type} checksum of:\n\n  ${expected}\n\n` +
        `but the actual ${type} checksum of the downloaded contents was:\n\n  ${actual}\n\n` +
        `The X-Goog-Stored-Content-Length is ${stored('x-goog-stored-content-length')}. ` +
        `The X-Goog-Stored-Content-Encoding is ${stored('x-goog-stored-content-encoding')}.\n\n` +
        `The download request read ${this.#bytesDownloaded} bytes of data.\n` +
        'If the download was incomplete, please check the network connection and restart the download.\n',
      {
        algorithm: this.checksum === 'md5' ? 'md5' : 'crc32c',
        expected,
        actual,
        response: responseContext(response),
      },
    );
  }
}

/**
 * A `Download` that never decodes: the destination receives the stored bytes exactly (still gzip-compressed
 * for an object stored with `contentEncoding: gzip`), and the checksum covers those same bytes.
 */
export class RawDownload extends Download {
  protected override get decodesContent(): boolean {
    return false;
  }
}

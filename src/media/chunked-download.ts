/**
 * `ChunkedDownload` and `RawChunkedDownload`: an object fetched as a sequence of fixed-size ranged GETs, one per
 * `consumeNextChunk()` call. Beyond Python:
 *
 * - each chunk is streamed to the Writable as it arrives (Python buffers the chunk, then writes it), with
 *   back-pressure, and the Writable always holds exactly the bytes counted by `bytesDownloaded`;
 * - the response must be exactly the range asked for: Content-Range start and end (the end clamped to the last
 *   byte of the object), a total that never changes, and a body of the announced length — a longer body is an
 *   error and its excess is never written;
 * - a connection that breaks mid-chunk is resumed from the byte reached, inside the retry loop, pinned to the
 *   generation first served, so the Writable gets neither duplicates nor holes;
 * - every request after the first is pinned to that generation, so an overwrite during the download fails
 *   (404) instead of splicing two objects together.
 */
import type { Writable } from 'node:stream';
import { InvalidResponse, InvalidStateError, NetworkError } from '../errors.js';
import { RetryStrategy } from '../transport/retry.js';
import type { HttpRequest, HttpResponse, RequestOptions, Transport } from '../transport/transport.js';
import { redactUrl } from '../util/redact.js';
import { pumpBody } from './body-reader.js';
import { ContentDecoder, contentEncodingOf, isDecodableEncoding } from './content-decoder.js';
import { ZERO_CONTENT_RANGE, requireContentRange } from './content-range.js';
import { assertDestination, openSink, type DownloadSink } from './download-sink.js';
import { generationOf, pinGeneration, servedGeneration } from './generation.js';
import { requireHeader, requireStatus, responseContext } from './response-checks.js';
import { sendWithRetry } from './send-with-retry.js';
import { checkHeaders, checkInteger, checkUrl } from './arguments.js';

export interface ChunkedDownloadOptions {
  /**
   * First byte to download. Must not be negative (Python: "On a chunked download the starting value cannot be
   * negative.").
   * @default 0
   */
  start?: number;
  /**
   * Last byte to download, **inclusive** as in Python and HTTP.
   * @default undefined (to the end of the object)
   */
  end?: number;
  /**
   * Extra request headers, e.g. customer-supplied encryption keys. Copied with lower-cased names; each
   * request's `range` is written into the copy ({@link ChunkedDownload.headers}).
   * @default {}
   */
  headers?: Record<string, string>;
}

/** What `consumeNextChunk()` resolves with: the last response's status and headers (the body went to the stream). */
export interface ChunkResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string | string[]>;
}

export class ChunkedDownload {
  readonly mediaUrl: string;
  /** Bytes asked for per request (the last chunk may be shorter). */
  readonly chunkSize: number;
  readonly start: number;
  readonly end: number | undefined;
  /**
   * The headers sent with every request (a lower-cased copy of the option), holding the latest `range`, and
   * `accept-encoding: gzip` unless you set another, so that GCS honours ranges on gzip-stored objects instead
   * of decompressing them whole (decompressive transcoding ignores `Range`).
   */
  readonly headers: Record<string, string>;
  /** The retry policy of each `consumeNextChunk()`. */
  retryStrategy: RetryStrategy = new RetryStrategy();

  readonly #sink: DownloadSink;
  #bytesDownloaded = 0;
  #totalBytes: number | undefined;
  #finished = false;
  #invalid = false;
  #busy = false;
  #generation: string | undefined;
  #lastHeaders: Record<string, string | string[]> = {};
  #encoding: string | undefined | null = null;
  #decoder: ContentDecoder | undefined;

  /**
   * @param chunkSize Bytes per request: a positive integer.
   * @param stream Receives the bytes, in order; it is never ended by this class.
   */
  constructor(mediaUrl: string, chunkSize: number, stream: Writable, options: ChunkedDownloadOptions = {}) {
    this.mediaUrl = checkUrl(mediaUrl, 'mediaUrl');
    this.chunkSize = checkInteger(chunkSize, 'chunkSize', 1);
    assertDestination(stream, 'stream', false);
    this.#sink = openSink(stream);
    this.start = checkInteger(options.start ?? 0, 'start', 0);
    this.end = options.end === undefined ? undefined : checkInteger(options.end, 'end', this.start);
    this.headers = checkHeaders(options.headers);
    this.headers['accept-encoding'] ??= 'gzip';
    this.#generation = generationOf(this.mediaUrl);
  }

  /** Bytes of the object written to the stream so far (wire bytes: compressed ones for a gzip-stored object). */
  get bytesDownloaded(): number {
    return this.#bytesDownloaded;
  }

  /** The object's size, once a response has told it. */
  get totalBytes(): number | undefined {
    return this.#totalBytes;
  }

  /** Whether the last wanted byte has been written. */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Whether a non-retryable failure broke the download (sticky: only a new object can continue, from
   * `start + bytesDownloaded`). Retryable failures (5xx, 429, broken connections) never set it.
   */
  get invalid(): boolean {
    return this.#invalid;
  }

  /** The generation being downloaded: from the URL's `generation`, else the first response's `x-goog-generation`. */
  get generation(): string | undefined {
    return this.#generation;
  }

  /** Lower-case headers of the last response received. */
  get lastHeaders(): Record<string, string | string[]> {
    return this.#lastHeaders;
  }

  /** Whether this class undoes `content-encoding` (RawChunkedDownload: no). */
  protected get decodesContent(): boolean {
    return true;
  }

  /**
   * Python's `_get_byte_range`: the inclusive range of the next chunk, clamped to `end` and to the last byte
   * of the object once its size is known.
   */
  nextByteRange(): { start: number; end: number } {
    const start = this.start + this.#bytesDownloaded;
    let end = start + this.chunkSize - 1;
    if (this.end !== undefined) end = Math.min(end, this.end);
    if (this.#totalBytes !== undefined) end = Math.min(end, this.#totalBytes - 1);
    return { start, end };
  }

  /**
   * The request for the next chunk (sans-I/O): `GET` with `range: bytes=S-E`, pinned to the generation once
   * known.
   * @throws InvalidStateError when finished ("Download has finished.") or invalid ("Download is invalid and
   *   cannot be re-used.").
   */
  prepareRequest(): HttpRequest {
    if (this.#finished) throw new InvalidStateError('Download has finished.');
    if (this.#invalid) throw new InvalidStateError('Download is invalid and cannot be re-used.');
    const { start, end } = this.nextByteRange();
    return this.#request(start, end);
  }

  #request(start: number, end: number): HttpRequest {
    this.headers.range = `bytes=${start}-${end}`;
    const url = this.#generation === undefined ? this.mediaUrl : pinGeneration(this.mediaUrl, this.#generation);
    return { method: 'GET', url, headers: { ...this.headers } };
  }

  /**
   * Downloads the next chunk into the stream, retrying under {@link retryStrategy}; a chunk whose body breaks
   * off is resumed from the byte reached. Resolves once the chunk has been handed to the stream.
   *
   * @throws InvalidStateError when finished or invalid; InvalidResponse (NotFound, PreconditionFailed) for a
   *   refused request or a response that does not match the request (then `invalid` is set);
   *   SourceChangedError when another generation is served; NetworkError/TimeoutError when retries are
   *   exhausted (not invalid: calling again continues from `bytesDownloaded`); AbortError on `signal`; the
   *   stream's own error when writing fails.
   */
  async consumeNextChunk(transport: Transport, options: RequestOptions = {}): Promise<ChunkResponse> {
    if (this.#busy) throw new InvalidStateError('consumeNextChunk() is already running on this download.');
    const { end: chunkEnd } = this.nextByteRange();
    const first = this.prepareRequest();
    this.#busy = true;
    try {
      const response = await sendWithRetry(
        transport,
        this.retryStrategy,
        (attempt) => (attempt === 0 ? first : this.#request(this.start + this.#bytesDownloaded, chunkEnd)),
        async (response) => {
          await this.#processResponse(response, chunkEnd, options.signal);
          return response;
        },
        options,
      );
      return { status: response.status, headers: response.headers };
    } finally {
      this.#busy = false;
    }
  }

  async #processResponse(response: HttpResponse, chunkEnd: number, signal: AbortSignal | undefined): Promise<void> {
    this.#lastHeaders = response.headers;
    const markInvalid = (): void => {
      this.#invalid = true;
      this.#decoder?.destroy();
    };
    const fail = (message: string): never => {
      markInvalid();
      throw new InvalidResponse(message, { response: responseContext(response) });
    };
    if (response.status === 416) {
      // An empty object cannot satisfy any range: GCS answers 416 with `bytes */0`, which means "done".
      if (requireHeader(response, 'content-range') === ZERO_CONTENT_RANGE) {
        this.#finished = true;
        return;
      }
    }
    await requireStatus(response, [200, 206], markInvalid, 'GET');
    try {
      this.#generation = servedGeneration(response, this.#generation, this.mediaUrl);
    } catch (error) {
      markInvalid();
      throw error;
    }
    const range = requireContentRange(response, markInvalid);
    const expectedStart = this.start + this.#bytesDownloaded;
    const expectedEnd = Math.min(chunkEnd, range.total - 1);
    if (range.start !== expectedStart || range.end !== expectedEnd) {
      fail(
        `Content-Range "bytes ${range.start}-${range.end}/${range.total}" does not match the requested range ` +
          `bytes=${expectedStart}-${chunkEnd} (expected bytes ${expectedStart}-${expectedEnd})`,
      );
    }
    if (this.#totalBytes !== undefined && range.total !== this.#totalBytes) {
      fail(`The object's size changed from ${this.#totalBytes} to ${range.total} bytes during the download`);
    }
    this.#totalBytes ??= range.total;
    const announced = range.end - range.start + 1;
    // Python's rule: without transfer-encoding the length must be announced, and must be the range's length.
    if (response.headers['transfer-encoding'] === undefined) {
      const contentLength = Number(requireHeader(response, 'content-length', markInvalid));
      if (contentLength !== announced) {
        fail(`Response is different size than content-length: expected ${announced} bytes (content-range), content-length says ${contentLength}`);
      }
    }
    this.#openDecoder(response, fail);

    const { delivered, overrun } = await pumpBody(response, {
      announced,
      ...(signal ? { signal } : {}),
      onData: async (data) => {
        await this.#write(data, signal, markInvalid);
        // Counted as it lands, so a failure leaves `bytesDownloaded` equal to what the stream holds.
        this.#bytesDownloaded += data.byteLength;
      },
    });
    if (overrun) fail(`The response body is longer than its content-range: more than ${announced} bytes`);
    if (delivered < announced) {
      throw new NetworkError(
        `The response body ended after ${delivered} of ${announced} bytes (${redactUrl(this.mediaUrl)}); resuming`,
        { request: { method: 'GET', url: response.url } },
      );
    }
    if ((this.end !== undefined && range.end >= this.end) || range.end >= range.total - 1) {
      await this.#finishDecoder(signal, markInvalid);
      this.#finished = true;
    }
    await this.#sink.finish();
  }

  /**
   * One decoder for the whole download: chunks of a gzip-stored object are slices of one compressed stream.
   * Lengths and ranges stay in wire bytes, which avoids Python's failure here (it compares the decoded length of
   * a chunk with its content-length).
   */
  #openDecoder(response: HttpResponse, fail: (message: string) => never): void {
    const encoding = contentEncodingOf(response.headers);
    if (this.#encoding === null) {
      this.#encoding = encoding;
      if (this.decodesContent && isDecodableEncoding(encoding)) this.#decoder = new ContentDecoder(encoding);
    } else if (encoding !== this.#encoding) {
      fail(`A chunk has content-encoding ${encoding ?? 'identity'}, the download started with ${this.#encoding ?? 'identity'}`);
    }
  }

  async #write(data: Buffer, signal: AbortSignal | undefined, markInvalid: () => void): Promise<void> {
    if (this.#decoder === undefined) return this.#sink.write(data, signal);
    let output: Buffer[];
    try {
      output = await this.#decoder.decode(data);
    } catch (error) {
      markInvalid();
      throw this.#decodeError(error);
    }
    try {
      for (const out of output) await this.#sink.write(out, signal);
    } catch (error) {
      // Part of this piece's output reached the stream but the piece is not counted: resuming would feed it
      // to the decoder twice, so the download cannot continue.
      markInvalid();
      throw error;
    }
  }

  async #finishDecoder(signal: AbortSignal | undefined, markInvalid: () => void): Promise<void> {
    if (this.#decoder === undefined) return;
    let tail: Buffer[];
    try {
      tail = await this.#decoder.finish();
    } catch (error) {
      markInvalid();
      throw this.#decodeError(error);
    }
    for (const out of tail) await this.#sink.write(out, signal);
  }

  #decodeError(error: unknown): InvalidResponse {
    const reason = error instanceof Error ? error.message : String(error);
    return new InvalidResponse(`The ${this.#encoding ?? ''}-encoded download could not be decoded: ${reason}`, { cause: error });
  }
}

/**
 * A `ChunkedDownload` that never decodes: the stream receives the stored bytes exactly (gzip-compressed for an
 * object stored with `contentEncoding: gzip`).
 */
export class RawChunkedDownload extends ChunkedDownload {
  protected override get decodesContent(): boolean {
    return false;
  }
}

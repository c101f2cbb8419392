/**
 * Fetching one download range into a {@link RangeReceiver}: the attempt loop shared by the main thread (inline
 * downloads) and the pool workers. Each attempt is a `RawChunkedDownload` of the bytes still missing, pinned to
 * the generation; the media class retries transient failures itself and resumes a broken body mid-range, and
 * this loop adds fresh attempts after protocol violations and turns a vanished pinned generation into a
 * SourceChangedError.
 */
import { parseGoogHash } from '../../checksum/goog-hash.js';
import { InvalidResponse, NotFound, PreconditionFailed, SourceChangedError } from '../../errors.js';
import { RawChunkedDownload } from '../../media/chunked-download.js';
import { parseContentRange } from '../../media/content-range.js';
import type { RetryStrategy } from '../../transport/retry.js';
import { headerValue, type TimeoutOptions, type Transport } from '../../transport/transport.js';
import { abortErrorFor, throwIfAborted } from '../../util/abort.js';
import type { RangeReceiver } from './range-receiver.js';
import { storedContentEncoding } from './stored-encoding.js';

/**
 * Fresh attempts for a range whose answer broke the protocol (Range ignored, wrong Content-Range, wrong body
 * length). The media class does not retry those (they are not transient by status), but a proxy or a
 * misbehaving replica can produce one; a few attempts separate a glitch from a server that never honours ranges.
 */
export const RANGE_PROTOCOL_ATTEMPTS = 3;

/** What a response's headers tell about the object: plain data, so it crosses threads. */
export interface ObjectHead {
  /** The object's size (from Content-Range; 0 for an empty object). */
  size: number;
  generation: string | undefined;
  /** The server's base64 CRC32C of the whole object, when sent. */
  serverCrc32c: string | undefined;
  /** How the object is stored (`gzip`), when not as identity: its bytes are then the compressed ones. */
  contentEncoding: string | undefined;
}

export interface RangeFetchRequest {
  /** The media URL (pinned with `generation=` when the generation is known). */
  url: string;
  /** Last byte wanted, inclusive. */
  endInclusive: number;
  /** The generation the caller expects: a 404/412 then means the object changed under the download. */
  pinned: string | undefined;
  /** Headers of every request (credentials, when the transport does not add them). */
  headers?: Record<string, string>;
  retry: RetryStrategy;
  timeout?: TimeoutOptions;
  /** `gs://bucket/name`, for messages. */
  label: string;
}

/** The object facts of a download's latest response. */
export function objectHead(download: RawChunkedDownload): ObjectHead {
  const range = parseContentRange(String(headerValue(download.lastHeaders, 'content-range')));
  return {
    size: range?.total ?? download.totalBytes ?? 0,
    generation: download.generation,
    serverCrc32c: parseGoogHash(download.lastHeaders['x-goog-hash'], 'crc32c'),
    contentEncoding: storedContentEncoding(download.lastHeaders),
  };
}

/**
 * Fetches `[receiver.nextRequestStart, endInclusive]` into `receiver`. Resolves with the facts of the last
 * response once every byte is stored; `onAttempt` sees each attempt's download object before it starts (so the
 * caller can read its headers when the first bytes arrive).
 */
export async function fetchRange(
  transport: Transport,
  receiver: RangeReceiver,
  request: RangeFetchRequest,
  signal: AbortSignal,
  onAttempt?: (download: RawChunkedDownload) => void,
): Promise<ObjectHead> {
  const { endInclusive, pinned } = request;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal);
    const from = receiver.nextRequestStart;
    const stream = receiver.attemptStream();
    const download = new RawChunkedDownload(request.url, endInclusive - from + 1, stream, {
      start: from,
      end: endInclusive,
      ...(request.headers ? { headers: request.headers } : {}),
    });
    download.retryStrategy = request.retry;
    onAttempt?.(download);
    try {
      await download.consumeNextChunk(transport, { signal, ...(request.timeout ? { timeout: request.timeout } : {}) });
      await receiver.settle();
      return objectHead(download);
    } catch (error) {
      // Pieces still buffered in this attempt's Writable or batch are dropped; the next attempt re-fetches them.
      stream.destroy();
      receiver.discardBatch();
      await receiver.settle();
      if (signal.aborted) throw abortErrorFor(signal);
      if (pinned !== undefined && (error instanceof NotFound || error instanceof PreconditionFailed)) {
        throw new SourceChangedError(
          `${request.label} generation ${pinned} is gone: the object was overwritten or deleted during the download`,
          { cause: error },
        );
      }
      // A violation noticed after every byte of the range was stored (a body longer than announced) leaves
      // nothing to ask for again: a server that does that is reported, not retried with an empty range.
      const more = receiver.nextRequestStart <= endInclusive;
      if (more && isProtocolViolation(error) && attempt < RANGE_PROTOCOL_ATTEMPTS) continue;
      throw error;
    }
  }
}

/** A 2xx answer that is not the range asked for (or has the wrong length): worth a fresh attempt. */
function isProtocolViolation(error: unknown): boolean {
  return (
    error instanceof InvalidResponse &&
    !(error instanceof NotFound) &&
    (error.status === undefined || (error.status >= 200 && error.status < 300))
  );
}

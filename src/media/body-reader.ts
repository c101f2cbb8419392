/**
 * The one loop that moves a download response body: skip the bytes we already have, hand over the bytes we
 * want, refuse bytes the server did not announce, and turn what the socket throws into typed errors. Shared by
 * `Download` and `ChunkedDownload`, which differ only in what they do with each piece.
 */
import type { HttpResponse } from '../transport/transport.js';
import { mapTransportError } from '../transport/error-mapping.js';
import { abortErrorFor, onAbort } from '../util/abort.js';

export interface PumpOptions {
  /** Bytes at the start of the body to drop: a server that re-sent from byte 0 what we already have. */
  skip?: number;
  /** Most bytes to deliver after `skip`; the rest of the body is unwanted and abandoned. */
  take?: number;
  /** The body length the response announced (content-length or content-range), to catch a longer body. */
  announced?: number;
  signal?: AbortSignal;
  /**
   * Receives each wanted piece in order; resolving is the back-pressure. Its errors propagate as they are:
   * a failing destination is not a failure of the connection and must not be retried as one.
   */
  onData: (data: Buffer) => Promise<void>;
}

export interface PumpResult {
  /** Bytes handed to `onData`. */
  delivered: number;
  /** Whether the body went past its announced length (the excess was not delivered). */
  overrun: boolean;
}

/**
 * Reads `response.body` to its end, or until only unwanted bytes remain (then the body is destroyed, since
 * nothing after them is needed). A body that ends early is not an error here: the caller compares `delivered`
 * with what it needs, because only it knows whether that calls for a resume.
 *
 * @throws NetworkError/TimeoutError when the connection fails mid-body, AbortError when `signal` fires, and
 *   whatever `onData` throws.
 */
export async function pumpBody(response: HttpResponse, options: PumpOptions): Promise<PumpResult> {
  const { signal, onData } = options;
  const take = options.take ?? Infinity;
  const announced = options.announced ?? Infinity;
  let toSkip = options.skip ?? 0;
  let position = 0;
  let delivered = 0;
  let overrun = false;
  let consumerError: { error: unknown } | undefined;
  const stopOnAbort = onAbort(signal, () => response.body.destroy(abortErrorFor(signal as AbortSignal)));
  try {
    for await (const piece of response.body as AsyncIterable<Buffer>) {
      const pieceEnd = position + piece.byteLength;
      overrun = pieceEnd > announced;
      let data = piece.subarray(Math.min(toSkip, piece.byteLength));
      toSkip -= piece.byteLength - data.byteLength;
      const wanted = Math.min(data.byteLength, take - delivered, Math.max(0, announced - (pieceEnd - data.byteLength)));
      const unwanted = wanted < data.byteLength;
      data = data.subarray(0, wanted);
      position = pieceEnd;
      if (data.byteLength > 0) {
        delivered += data.byteLength;
        try {
          await onData(data);
        } catch (error) {
          consumerError = { error };
          throw error;
        }
      }
      // Leaving the loop destroys the body; only done when the rest is of no use, so that a body read to
      // its natural end keeps the connection reusable.
      if (unwanted || overrun) break;
    }
  } catch (error) {
    if (consumerError?.error === error) throw error;
    throw mapTransportError(error, { method: 'GET', url: response.url }, signal);
  } finally {
    stopOnAbort();
  }
  return { delivered, overrun };
}

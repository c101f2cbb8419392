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
   * Receives each wanted piece in order. Returning a promise is the back-pressure: the body is paused until it
   * settles (returning nothing lets the next piece come at once, without a promise per piece). Its errors
   * propagate as they are: a failing destination is not a failure of the connection and must not be retried
   * as one.
   */
  onData: (data: Buffer) => Promise<void> | void;
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
 * Event-driven rather than `for await`: an async iterator costs promises and microtask hops for every 16–64 KiB
 * piece, a measurable share of a download's CPU. A failure of the connection is reported only after the piece
 * being consumed has settled, so `delivered` and what the consumer holds always agree when the caller resumes.
 *
 * @throws NetworkError/TimeoutError when the connection fails mid-body, AbortError when `signal` fires, and
 *   whatever `onData` throws.
 */
function ignore(): void {}

export function pumpBody(response: HttpResponse, options: PumpOptions): Promise<PumpResult> {
  const { signal, onData } = options;
  const body = response.body;
  const take = options.take ?? Infinity;
  const announced = options.announced ?? Infinity;
  let toSkip = options.skip ?? 0;
  let position = 0;
  let delivered = 0;
  let overrun = false;
  return new Promise<PumpResult>((resolve, reject) => {
    let settled = false;
    /** The consumer's back-pressure, while a piece is being taken. */
    let pending: Promise<void> | undefined;
    /** The body ended, or only unwanted bytes remain. */
    let ended = false;
    let stopped = false;

    const cleanup = (): void => {
      body.off('data', onPiece);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
      // Destroying the body below makes the transport report an abort on it: that is ours, not a failure (and an
      // 'error' event nobody listens to would take the whole thread down).
      body.on('error', ignore);
      stopOnAbort();
    };
    const succeed = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      // Leaving early destroys the body; only done when the rest is of no use, so that a body read to its
      // natural end keeps the connection reusable.
      if (stopped && !body.destroyed) body.destroy();
      resolve({ delivered, overrun });
    };
    const fail = (error: unknown, fromConsumer: boolean): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (!body.destroyed) body.destroy();
      reject(fromConsumer ? error : mapTransportError(error, { method: 'GET', url: response.url }, signal));
    };
    /** A connection failure waits for the piece in hand, so the consumer's count is final when the caller sees it. */
    const failTransport = (error: unknown): void => {
      if (pending === undefined) fail(error, false);
      else pending.then(() => fail(error, false), (consumerError: unknown) => fail(consumerError, true));
    };
    const finishIfDone = (): void => {
      if (pending === undefined && (ended || stopped)) succeed();
    };
    function onPiece(piece: Buffer): void {
      if (settled || stopped) return;
      const pieceEnd = position + piece.byteLength;
      overrun = pieceEnd > announced;
      let data = piece.subarray(Math.min(toSkip, piece.byteLength));
      toSkip -= piece.byteLength - data.byteLength;
      const wanted = Math.min(data.byteLength, take - delivered, Math.max(0, announced - (pieceEnd - data.byteLength)));
      if (wanted < data.byteLength || overrun) stopped = true;
      data = data.subarray(0, wanted);
      position = pieceEnd;
      if (data.byteLength > 0) {
        delivered += data.byteLength;
        let result: Promise<void> | void;
        try {
          result = onData(data);
        } catch (error) {
          fail(error, true);
          return;
        }
        if (result !== undefined) {
          body.pause();
          const taken: Promise<void> = result;
          pending = taken;
          taken.then(
            () => {
              pending = undefined;
              if (settled) return;
              if (ended || stopped) finishIfDone();
              else body.resume();
            },
            (error: unknown) => fail(error, true),
          );
          return;
        }
      }
      finishIfDone();
    }
    function onEnd(): void {
      ended = true;
      finishIfDone();
    }
    function onError(error: unknown): void {
      failTransport(error);
    }
    function onClose(): void {
      // Destroyed without an error and before its end: the connection went away under the body.
      if (!ended && !stopped) {
        const premature = Object.assign(new Error('The response body was closed before it ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
        failTransport(premature);
      }
    }
    const stopOnAbort = onAbort(signal, () => body.destroy(abortErrorFor(signal as AbortSignal)));
    if (body.readableEnded) {
      ended = true;
      finishIfDone();
      return;
    }
    body.on('data', onPiece);
    body.once('end', onEnd);
    body.once('error', onError);
    body.once('close', onClose);
    if (body.destroyed && !settled) onClose();
    else body.resume();
  });
}

/**
 * One protocol exchange under the retry policy: build the request, send it, process the response, and on a
 * retryable failure do it all again. The request is rebuilt for every attempt because a streamed body can be
 * sent only once.
 */
import type { Readable } from 'node:stream';
import { mapTransportError } from '../transport/error-mapping.js';
import { retryWithStrategy, type RetryStrategy } from '../transport/retry.js';
import { dumpBody, type HttpRequest, type HttpResponse, type RequestOptions, type Transport } from '../transport/transport.js';
import { withResponse } from './response-checks.js';

function isStream(body: HttpRequest['body']): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).destroy === 'function';
}

/**
 * Sends `build(attempt)` through `transport` until `process` accepts a response or the strategy gives up.
 *
 * Every response body is released: `process` may consume it; whatever it leaves (or every body, when it
 * throws) is dumped. A failure while reading a body (reset, stall) becomes a retryable NetworkError/TimeoutError.
 * A streamed request body that was not sent to the end (the request failed, or the server answered early) is
 * destroyed, so a file stream never leaks its descriptor.
 *
 * @param process Validates the response; throwing a retryable error (a 5xx/429 InvalidResponse, a network
 *   error) makes the whole exchange run again.
 */
export async function sendWithRetry<T>(
  transport: Transport,
  strategy: RetryStrategy,
  build: (attempt: number) => HttpRequest,
  process: (response: HttpResponse, attempt: number) => Promise<T>,
  options: RequestOptions = {},
): Promise<T> {
  const { signal, timeout } = options;
  return retryWithStrategy(
    async (attempt) => {
      const request = build(attempt);
      try {
        const response = await transport.request(request, { ...(signal ? { signal } : {}), ...(timeout ? { timeout } : {}) });
        try {
          const result = await withResponse(response, (r) => process(r, attempt));
          await dumpBody(response.body);
          return result;
        } catch (error) {
          // A body that breaks off is a raw undici error (the transport only maps what happens before the
          // headers): make it the retryable NetworkError it is. Our own errors pass through unchanged.
          throw mapTransportError(error, request, signal);
        }
      } finally {
        // A server may answer (e.g. 503) before reading the whole request: close what was not sent.
        if (isStream(request.body) && !request.body.readableEnded) request.body.destroy();
      }
    },
    strategy,
    signal ? { signal } : {},
  );
}

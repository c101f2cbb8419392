/**
 * A transport decorator that reports how many bytes of each request body have been handed to the network, so
 * progress can move inside a part instead of jumping by a whole part at a time (for a part sent by a worker,
 * the reports travel to the main thread).
 */
import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponse, RequestOptions, Transport } from './transport.js';

/**
 * Reports are throttled: each wakes the main thread, and with 16 parts in flight a report per part every 250 ms
 * still moves the progress display several times a second.
 */
const REPORT_INTERVAL_MS = 250;

/** Pieces a body in memory is handed out in, so its progress can be observed. */
const PIECE_BYTES = 1024 * 1024;

export class ProgressTransport implements Transport {
  readonly #inner: Transport;
  readonly #report: (attempt: number, bytes: number) => void;
  #attempt = 0;

  constructor(inner: Transport, report: (attempt: number, bytes: number) => void) {
    this.#inner = inner;
    this.#report = report;
  }

  request(request: HttpRequest, options?: RequestOptions): Promise<HttpResponse> {
    const { body } = request;
    if (body === undefined || body === null || typeof body === 'string') return this.#inner.request(request, options);
    const attempt = this.#attempt++;
    if (body instanceof Readable) {
      // Counted beside the transport's own reader (a second 'data' listener sees the same chunks, and undici's
      // pause/resume still drives the flow): no extra stream layer per chunk.
      countReadable(body, (bytes) => this.#report(attempt, bytes));
      return this.#inner.request(request, options);
    }
    const headers = { ...request.headers };
    if (body instanceof Uint8Array) headers['content-length'] ??= String(body.byteLength);
    const counted = countBytes(body instanceof Uint8Array ? pieces(body) : body, (bytes) => this.#report(attempt, bytes));
    return this.#inner.request({ ...request, headers, body: counted }, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

function countReadable(body: Readable, report: (bytes: number) => void): void {
  let total = 0;
  let lastReport = 0;
  // Paused first, so that adding a listener does not start the flow before the transport reads (undici resumes).
  body.pause();
  body.on('data', (chunk: Buffer) => {
    total += chunk.byteLength;
    const now = performance.now();
    if (now - lastReport >= REPORT_INTERVAL_MS) {
      lastReport = now;
      report(total);
    }
  });
  body.once('end', () => report(total));
}

function* pieces(data: Uint8Array): Generator<Uint8Array> {
  for (let offset = 0; offset < data.byteLength; offset += PIECE_BYTES) {
    yield data.subarray(offset, Math.min(offset + PIECE_BYTES, data.byteLength));
  }
}

/**
 * Passes `source` through, calling `report` with the running total. Ending early (the request failed) returns
 * the source's iterator, which closes a file stream.
 */
async function* countBytes(
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  report: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  let lastReport = 0;
  for await (const chunk of source) {
    yield chunk;
    total += chunk.byteLength;
    const now = performance.now();
    if (now - lastReport >= REPORT_INTERVAL_MS) {
      lastReport = now;
      report(total);
    }
  }
  report(total);
}

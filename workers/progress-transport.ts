/**
 * A transport decorator that reports how many bytes of each request body have been handed to the network, so
 * the main thread can show progress inside a part instead of jumping by a whole part at a time.
 */
import type { HttpRequest, HttpResponse, RequestOptions, Transport } from '../src/transport/transport.js';

/** Reports are throttled: enough for a 100 ms progress display, without a message per 64 KiB read. */
const REPORT_INTERVAL_MS = 50;

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
    const headers = { ...request.headers };
    if (body instanceof Uint8Array) headers['content-length'] ??= String(body.byteLength);
    const counted = countBytes(body instanceof Uint8Array ? pieces(body) : body, (bytes) => this.#report(attempt, bytes));
    return this.#inner.request({ ...request, headers, body: counted }, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
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

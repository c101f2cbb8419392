/**
 * The seam between the protocol core and the network. Media classes build {@link HttpRequest} values and
 * validate {@link HttpResponse}s; a {@link Transport} moves them. Tests and users can supply their own transport;
 * the default is `UndiciTransport`.
 */
import type { Readable } from 'node:stream';

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

/**
 * A request body. Bytes and strings are sent as they are; a `Readable` or async iterable is streamed (it can
 * be sent only once, so the retry layer re-creates the request for each attempt).
 */
export type RequestBody = Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

/** Timeouts for one request, in milliseconds. */
export interface TimeoutOptions {
  /**
   * Time to establish the TCP/TLS connection.
   * @default 61_000 (google-resumable-media's connect timeout)
   */
  connectMs?: number;
  /**
   * Longest silence allowed while waiting for the response headers, and between two pieces of the body: a
   * stalled connection is cut after this long and the request retried.
   * @default 60_000 (google-resumable-media's read timeout)
   */
  readMs?: number;
}

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  /** Header names should be lower-case (the library writes them so). */
  headers: Record<string, string>;
  body?: RequestBody | null;
}

/** Options every transport-bound call accepts. */
export interface RequestOptions {
  /** Aborts the request (and any retry wait) when it fires. */
  signal?: AbortSignal;
  /** Overrides the transport's default timeouts for this call. */
  timeout?: TimeoutOptions;
}

/**
 * A response whose headers have arrived. The body MUST be consumed or dumped by whoever receives it
 * (see {@link dumpBody}), otherwise the connection cannot be reused.
 */
export interface HttpResponse {
  status: number;
  /** Lower-case names. Repeated headers are arrays. */
  headers: Record<string, string | string[]>;
  body: Readable;
  /** The request's URL (redact before showing it). */
  url: string;
}

export interface Transport {
  /**
   * Sends one request and resolves when the response headers arrive. Does not retry and does not check the
   * status: the protocol core decides what a status means. Rejects with `NetworkError`/`TimeoutError` for
   * connection failures and `AbortError` when the signal fires.
   */
  request(request: HttpRequest, options?: RequestOptions): Promise<HttpResponse>;
  /** Closes idle connections and refuses new requests. */
  close(): Promise<void>;
}

/** First value of a (possibly repeated) header, or undefined. `name` must be lower-case. */
export function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Drains and discards a body without reading it into memory, so the socket can go back to the pool. */
export async function dumpBody(body: Readable): Promise<void> {
  if (body.destroyed || body.readableEnded) return;
  const dump = (body as Readable & { dump?: (opts?: { limit?: number }) => Promise<void> }).dump;
  if (typeof dump === 'function') {
    // undici closes the socket instead of reading past the limit, which is cheaper for big bodies.
    await dump.call(body, { limit: 128 * 1024 }).catch(() => undefined);
    return;
  }
  body.resume();
  await new Promise<void>((resolve) => {
    body.once('end', resolve);
    body.once('error', () => resolve());
    body.once('close', resolve);
  });
}

/**
 * Reads a body as text, refusing more than `limit` bytes: a hostile or broken server cannot make us buffer an
 * unbounded error page or XML document.
 */
export async function readBodyText(body: Readable, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.byteLength;
    if (size > limit) {
      body.destroy();
      throw new RangeError(`response body exceeds ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

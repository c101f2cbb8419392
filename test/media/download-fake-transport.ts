/**
 * A scripted Transport for the sans-I/O download tests: answers with canned responses whose bodies arrive in
 * the pieces given, and can break off mid-body with a socket error, as a reset connection does.
 */
import { Readable, Writable } from 'node:stream';
import type { HttpRequest, HttpResponse, RequestOptions, Transport } from '../../src/transport/transport.js';

export interface CannedDownload {
  status: number;
  headers?: Record<string, string | string[]>;
  /** The body, in the pieces the transport delivers. */
  body?: Buffer | string | (Buffer | string)[];
  /** After the pieces, fail the body with this error instead of ending it. */
  failWith?: Error;
  /** A body that never ends on its own (for abort tests): stays open after the pieces. */
  hang?: boolean;
}

type Step = CannedDownload | Error | ((request: HttpRequest) => CannedDownload | Error);

/** The error a socket reset produces (mapped to NetworkError by the transport's error mapping). */
export function resetError(): Error {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
}

function bodyOf(step: CannedDownload): Readable {
  const raw = step.body === undefined ? [] : Array.isArray(step.body) ? step.body : [step.body];
  const pieces = raw.map((piece) => Buffer.from(piece));
  if (step.hang) {
    const body = new Readable({ read() {} });
    for (const piece of pieces) body.push(piece);
    return body;
  }
  const { failWith } = step;
  return Readable.from(
    (async function* () {
      for (const piece of pieces) yield piece;
      if (failWith) throw failWith;
    })(),
    { objectMode: false },
  );
}

export class DownloadFakeTransport implements Transport {
  readonly requests: { request: HttpRequest; options: RequestOptions | undefined }[] = [];
  readonly bodies: Readable[] = [];
  readonly #steps: Step[];

  constructor(...steps: Step[]) {
    this.#steps = steps;
  }

  async request(request: HttpRequest, options?: RequestOptions): Promise<HttpResponse> {
    this.requests.push({ request: { ...request, headers: { ...request.headers } }, options });
    let step = this.#steps.shift();
    if (step === undefined) throw new Error(`DownloadFakeTransport: no response scripted for ${request.method} ${request.url}`);
    if (typeof step === 'function') step = step(request);
    if (step instanceof Error) throw step;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(step.headers ?? {})) headers[name.toLowerCase()] = value;
    const body = bodyOf(step);
    this.bodies.push(body);
    return { status: step.status, headers, body, url: request.url };
  }

  /** The `range` header of every request sent, in order. */
  get ranges(): (string | undefined)[] {
    return this.requests.map((r) => r.request.headers.range);
  }

  /** The URL of every request sent, in order. */
  get urls(): string[] {
    return this.requests.map((r) => r.request.url);
  }

  /** Whether every response body was read to the end or destroyed. */
  get allBodiesReleased(): boolean {
    return this.bodies.every((body) => body.readableEnded || body.destroyed);
  }

  get remaining(): number {
    return this.#steps.length;
  }

  async close(): Promise<void> {}
}

/** A Writable collecting what it receives; `highWaterMark` small by default to exercise back-pressure. */
export class CollectingWritable extends Writable {
  readonly chunks: Buffer[] = [];
  readonly #delayMs: number;

  constructor(options: { highWaterMark?: number; delayMs?: number } = {}) {
    super({ highWaterMark: options.highWaterMark ?? 4 });
    this.#delayMs = options.delayMs ?? 0;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    if (this.#delayMs > 0) setTimeout(callback, this.#delayMs);
    else setImmediate(callback);
  }

  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** 206 headers for `bytes start-end/total` of `data`, with the matching body. */
export function partial(data: Buffer, start: number, end: number, headers: Record<string, string> = {}): CannedDownload {
  return {
    status: 206,
    headers: {
      'content-range': `bytes ${start}-${end}/${data.byteLength}`,
      'content-length': String(end - start + 1),
      ...headers,
    },
    body: data.subarray(start, end + 1),
  };
}

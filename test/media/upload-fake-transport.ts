/**
 * A scripted Transport for the sans-I/O upload tests: it records every request (bodies read in full, streams
 * included) and answers with canned responses in order, or throws a scripted error.
 */
import { Readable } from 'node:stream';
import { RetryStrategy } from '../../src/transport/retry.js';
import type { HttpRequest, HttpResponse, RequestOptions, Transport } from '../../src/transport/transport.js';

export interface Canned {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Uint8Array;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The body as sent, or null when there was none. */
  body: Buffer | null;
  options: RequestOptions | undefined;
}

type Step = Canned | Error | ((request: RecordedRequest) => Canned | Error);

async function collect(body: HttpRequest['body']): Promise<Buffer | null> {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export class FakeTransport implements Transport {
  readonly requests: RecordedRequest[] = [];
  /** Response bodies handed out, to check that every one was consumed or dumped. */
  readonly bodies: Readable[] = [];
  readonly #steps: Step[];

  constructor(...steps: Step[]) {
    this.#steps = steps;
  }

  async request(request: HttpRequest, options?: RequestOptions): Promise<HttpResponse> {
    const recorded: RecordedRequest = {
      method: request.method,
      url: request.url,
      headers: { ...request.headers },
      body: await collect(request.body),
      options,
    };
    this.requests.push(recorded);
    let step = this.#steps.shift();
    if (step === undefined) throw new Error(`FakeTransport: no response scripted for ${request.method} ${request.url}`);
    if (typeof step === 'function') step = step(recorded);
    if (step instanceof Error) throw step;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(step.headers ?? {})) headers[name.toLowerCase()] = value;
    const body = Readable.from(step.body === undefined ? [] : [Buffer.from(step.body)]);
    this.bodies.push(body);
    return { status: step.status, headers, body, url: request.url };
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

/** A strategy that never sleeps and draws no jitter, recording the waits it was asked for. */
export function instantRetry(sleeps: number[] = [], maxRetries?: number): RetryStrategy {
  return new RetryStrategy({
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...(maxRetries === undefined ? {} : { maxRetries }),
  });
}

/** An object resource answer, as GCS sends it after an upload. */
export function objectAnswer(resource: Record<string, unknown>, headers: Record<string, string> = {}): Canned {
  return { status: 200, headers: { 'content-type': 'application/json; charset=UTF-8', ...headers }, body: JSON.stringify(resource) };
}

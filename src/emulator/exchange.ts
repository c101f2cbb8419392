/**
 * One request and its response, as handlers see them. Every body byte in or out passes through here, which
 * is where the request's faults (reset, stall, flip, truncate, omitted headers) and the network shaping are
 * applied, and where the metrics count bytes. Handlers never touch `res.write` themselves.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { NetworkError } from '../errors.js';
import { sleep } from '../util/abort.js';
import { badRequest, jsonErrorBody, xmlErrorBody, type Api, type GcsErrorReply } from './errors.js';
import type { FaultPlan } from './faults.js';
import type { Metrics } from './metrics.js';
import type { Op } from './operations.js';
import type { Route } from './routes.js';
import type { Shaper } from './shaping.js';

export type ResponseBody = Buffer | string | AsyncIterable<Uint8Array>;

export class Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: Route;
  readonly plan: FaultPlan;
  /** `http://host:port` as the client addressed us, for links and session URLs. */
  readonly baseUrl: string;
  readonly #metrics: Metrics;
  readonly #shaper: Shaper | undefined;
  readonly #readers = new Set<AsyncGenerator<Buffer, void, undefined>>();
  /** Aborted when the emulator closes: no stall or pacing timer may keep a closing process alive. */
  readonly #closing: AbortSignal | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    plan: FaultPlan,
    deps: { metrics: Metrics; shaper: Shaper | undefined; fallbackHost: string; closing?: AbortSignal },
  ) {
    this.#closing = deps.closing;
    this.req = req;
    this.res = res;
    this.route = route;
    this.plan = plan;
    this.#metrics = deps.metrics;
    this.#shaper = deps.shaper;
    this.baseUrl = `http://${req.headers.host ?? deps.fallbackHost}`;
  }

  get api(): Api {
    return this.route.api;
  }

  get op(): Op {
    return this.route.op;
  }

  get query(): URLSearchParams {
    return this.route.query;
  }

  /** A request header as one string (repeated headers joined with ", "), or undefined. */
  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** True once the client has gone away or the response was cut on purpose: nothing more can be sent. */
  get closed(): boolean {
    return this.res.destroyed || this.req.socket.destroyed;
  }

  /**
   * The request body, chunk by chunk as it arrives. Applies `reset-request-after` (the bytes before the cut are
   * still delivered) and upstream shaping. Throws when the client disconnects.
   */
  body(): AsyncGenerator<Buffer, void, undefined> {
    const reader = this.#readBody();
    this.#readers.add(reader);
    return reader;
  }

  /**
   * Reads and drops whatever is left of the request body, after a handler gave up on it (an error answer),
   * so that the connection can carry the next request. Readers left mid-body are closed first: while one
   * holds its `readable` listener, the stream cannot flow.
   */
  async discardBody(): Promise<void> {
    for (const reader of this.#readers) await reader.return(undefined).catch(() => undefined);
    this.#readers.clear();
    if (!this.req.complete) this.req.resume();
  }

  async *#readBody(): AsyncGenerator<Buffer, void, undefined> {
    const limit = this.plan.resetRequestAfterBytes;
    const shaper = this.#shaper?.pacesBodies ? this.#shaper : undefined;
    const socket = this.req.socket;
    let seen = 0;
    // destroyOnReturn: false — a handler that stops reading early (a 400 on bad input) must not kill the
    // connection: the rest of the body is drained and the error answer still reaches the client.
    for await (const chunk of this.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      let piece = chunk;
      const cut = limit !== undefined && seen + piece.byteLength >= limit;
      if (cut) piece = piece.subarray(0, limit - seen);
      if (shaper && piece.byteLength > 0) await this.#pause(shaper.reserve(socket, 'up', piece.byteLength));
      seen += piece.byteLength;
      this.#metrics.addBytesIn(piece.byteLength);
      if (piece.byteLength > 0) yield piece;
      if (cut) {
        socket.resetAndDestroy();
        throw new NetworkError(`Connection reset after ${seen} request bytes (reset-request-after fault)`, { systemCode: 'ECONNRESET' });
      }
    }
  }

  /** The whole request body, for small payloads (JSON, XML). A 400 when it exceeds `limitBytes`. */
  async bodyBuffer(limitBytes: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let length = 0;
    for await (const chunk of this.body()) {
      length += chunk.byteLength;
      if (length > limitBytes) throw badRequest(`The request body exceeds ${limitBytes} bytes.`, 'EntityTooLarge');
      parts.push(chunk);
    }
    return Buffer.concat(parts, length);
  }

  /**
   * Sends the status, headers and body. A string or Buffer body gets its Content-Length; a stream body is sent
   * with whatever length headers the caller set (chunked when none). HEAD requests get the headers only.
   */
  async respond(status: number, headers: OutgoingHttpHeaders, body?: ResponseBody): Promise<void> {
    try {
      const delay = (this.#shaper?.firstByteDelayMs ?? 0) + (this.plan.stallHeadersMs ?? 0);
      if (delay > 0) await this.#pause(delay);
      if (this.closed) return;
      const outgoing: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(headers)) {
        if (value !== undefined && !this.plan.omitHeaders.has(name.toLowerCase())) outgoing[name] = value;
      }
      const fixed = typeof body === 'string' ? Buffer.from(body) : body;
      if (Buffer.isBuffer(fixed) && !this.plan.omitHeaders.has('content-length')) outgoing['content-length'] = fixed.byteLength;
      this.res.writeHead(status, outgoing);
      if (fixed === undefined || this.req.method === 'HEAD') {
        this.res.end();
        return;
      }
      const length = Object.entries(outgoing).find(([name]) => name.toLowerCase() === 'content-length')?.[1];
      await this.#sendBody(Buffer.isBuffer(fixed) ? [fixed] : fixed, length === undefined ? Number.NaN : Number(length));
    } finally {
      // A stream the response never read (client gone, HEAD) still holds a file descriptor.
      if (body instanceof Readable) body.destroy();
    }
  }

  /** Waits `ms` (faults, shaping); rejects at once when the emulator closes. */
  #pause(ms: number): Promise<void> {
    return ms > 0 ? sleep(ms, this.#closing) : Promise.resolve();
  }

  /** Sends a GCS error in this API's format (JSON envelope or XML `<Error>`). */
  async respondError(error: GcsErrorReply): Promise<void> {
    // A 304 has no body (and Node would refuse to send one).
    if (error.status === 304) return this.respond(304, error.headers);
    const json = this.api === 'json';
    await this.respond(
      error.status,
      { 'content-type': json ? 'application/json; charset=UTF-8' : 'application/xml; charset=UTF-8', ...error.headers },
      json ? jsonErrorBody(error) : xmlErrorBody(error),
    );
  }

  /** `declaredBytes` is the response's Content-Length (NaN when it has none). */
  async #sendBody(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, declaredBytes: number): Promise<void> {
    const { res } = this;
    const plan = this.plan;
    const shaper = this.#shaper?.pacesBodies ? this.#shaper : undefined;
    const faulty =
      plan.flipByteAt !== undefined || plan.truncateAfterBytes !== undefined || plan.resetAfterBytes !== undefined || plan.stallBody !== undefined;
    if (!faulty && !shaper) {
      // The common path: large chunks straight to the socket, waiting only for backpressure.
      // The last chunk ends the response in the same call: a file source learns it is exhausted only after one
      // more read, and meanwhile a client that has every byte would already send its next request, so a
      // sequential client would look like two requests in flight.
      let sent = 0;
      for await (const chunk of source) {
        if (this.closed) return;
        this.#metrics.addBytesOut(chunk.byteLength);
        sent += chunk.byteLength;
        if (sent >= declaredBytes) {
          res.end(chunk);
          return;
        }
        if (!res.write(chunk) && !(await drained(res))) return;
      }
      res.end();
      return;
    }
    // The client should see the headers even when the body is cut at byte 0.
    res.flushHeaders();
    const cuts = [plan.truncateAfterBytes, plan.resetAfterBytes].filter((n): n is number => n !== undefined);
    let stallAt = plan.stallBody?.afterBytes;
    let sent = 0;
    for await (const chunk of source) {
      let offset = 0;
      while (offset < chunk.byteLength) {
        if (cuts.some((cut) => sent >= cut)) return await this.#cut(sent);
        if (stallAt !== undefined && sent >= stallAt) {
          stallAt = undefined;
          await this.#pause(plan.stallBody?.ms ?? 0);
          if (this.closed) return;
        }
        // Stop each piece at the next fault boundary so cuts and stalls land on the exact byte.
        let end = Math.min(chunk.byteLength, offset + (shaper?.sliceBytes ?? chunk.byteLength));
        for (const boundary of [...cuts, stallAt]) {
          if (boundary !== undefined && boundary > sent && boundary < sent + (end - offset)) end = offset + (boundary - sent);
        }
        let piece = chunk.subarray(offset, end);
        const flip = plan.flipByteAt;
        if (flip !== undefined && flip >= sent && flip < sent + piece.byteLength) {
          piece = Buffer.from(piece);
          piece[flip - sent] = (piece[flip - sent] as number) ^ 0xff;
        }
        if (shaper) await this.#pause(shaper.reserve(this.req.socket, 'down', piece.byteLength));
        if (this.closed) return;
        this.#metrics.addBytesOut(piece.byteLength);
        sent += piece.byteLength;
        offset = end;
        // Before a cut, wait until the bytes are really handed to the kernel, or the cut would drop them.
        const beforeCut = cuts.some((cut) => sent >= cut);
        if (beforeCut) await new Promise<void>((resolve) => res.write(piece, () => resolve()));
        else if (!res.write(piece) && !(await drained(res))) return;
      }
    }
    res.end();
  }

  /** Ends the connection mid-body: a clean close for `truncate-body`, a TCP reset for `reset-after`. */
  async #cut(sent: number): Promise<void> {
    const socket = this.req.socket;
    const truncate = this.plan.truncateAfterBytes;
    if (truncate !== undefined && sent >= truncate) {
      socket.destroySoon();
      return;
    }
    // A reset discards whatever the peer has received but not yet read, so let it read first: wait until
    // everything is handed to the kernel, then give the client a moment before the RST.
    await new Promise<void>((resolve) => socket.write('', () => resolve()));
    await sleep(RESET_GRACE_MS, this.#closing);
    socket.resetAndDestroy();
  }
}

/** Long enough for a loopback client to read what was sent before the reset, short enough not to matter. */
const RESET_GRACE_MS = 20;


/** Resolves true on `drain`, false if the response closes first (the client went away). */
function drained(res: ServerResponse): Promise<boolean> {
  // 'close' may already have fired (the client left while we were reading the next chunk).
  if (res.destroyed || res.closed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}


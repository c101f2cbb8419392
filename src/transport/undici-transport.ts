/**
 * The default {@link Transport}: one keep-alive undici Agent, bodies streamed both ways, typed errors, auth
 * headers from an {@link AuthProvider}. It moves bytes and nothing more: it does not retry (the media classes do,
 * under their RetryStrategy), does not check statuses and never follows redirects (GCS's 308 means "resume
 * incomplete", and any other 3xx is a protocol surprise the core must see).
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_READ_TIMEOUT_MS } from '../constants.js';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { throwIfAborted } from '../util/abort.js';
import { redactUrl } from '../util/redact.js';
import { NoAuthProvider, canSendCredentials, type AuthProvider } from './auth.js';
import { mapTransportError } from './error-mapping.js';
import { Agent, EnvHttpProxyAgent } from './undici-agents.js';
import {
  dumpBody,
  type HttpRequest,
  type HttpResponse,
  type RequestBody,
  type RequestOptions,
  type TimeoutOptions,
  type Transport,
} from './transport.js';

/** Sent unless the request sets its own `user-agent`. */
export const DEFAULT_USER_AGENT = 'gcs-transfer';

export interface UndiciTransportOptions {
  /**
   * Credentials for every request. Anonymous by default; credentials are only sent over https or to a loopback
   * host, and a request that would carry them anywhere else is refused.
   * @default new NoAuthProvider()
   */
  auth?: AuthProvider;
  /**
   * Default timeouts; a request's own `timeout` overrides them.
   * @default { connectMs: 61_000, readMs: 60_000 }
   */
  timeout?: TimeoutOptions;
  /**
   * The `user-agent` header, unless a request sets its own.
   * @default 'gcs-transfer'
   */
  userAgent?: string;
  /**
   * Maximum simultaneous connections per origin. Parallel transfers open one connection per part in flight;
   * requests beyond this wait for a free connection.
   * @default 64
   */
  connections?: number;
  /**
   * How long an idle connection stays open for reuse.
   * @default 4_000
   */
  keepAliveTimeoutMs?: number;
  /**
   * Send requests through this undici dispatcher instead of an Agent of our own (a proxy agent, a MockAgent in
   * tests). It is not closed by {@link UndiciTransport.close}, and `connectMs` cannot be applied to it.
   * @default an Agent owned by this transport
   */
  dispatcher?: Dispatcher;
}

function checkTimeout(option: string, value: number | undefined): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a positive number of milliseconds, got \`${String(value)}\` (${typeof value})`);
  }
}

function checkTimeouts(prefix: string, timeout: TimeoutOptions | undefined): void {
  checkTimeout(`${prefix}.connectMs`, timeout?.connectMs);
  checkTimeout(`${prefix}.readMs`, timeout?.readMs);
}

/** Whether `body` can be sent a second time (for the one retry after a 401). Streams cannot. */
function isReplayable(body: RequestBody | null | undefined): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}

/** undici's body types: Buffers are passed as views (no copy), async iterables as a Readable. */
function toUndiciBody(body: RequestBody | null | undefined): string | Uint8Array | Readable | null {
  if (body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array) return body ?? null;
  if (body instanceof Readable) return body;
  return Readable.from(body, { objectMode: false });
}

/** Lower-case names (undici already lower-cases them) without undefined entries. */
function plainHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}

/**
 * Origin and raw path of `url`. The path is cut from the string rather than taken from `URL.pathname`, because
 * the URL parser would collapse `.`/`..` segments and re-encode characters, changing which object is addressed.
 */
function splitUrl(url: string): { parsed: URL; origin: string; path: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`Expected the request URL to be absolute, got \`${redactUrl(url)}\``);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidArgumentError(`Expected an http(s) request URL, got \`${redactUrl(url)}\``);
  }
  const afterScheme = url.indexOf('//') + 2;
  const slash = url.indexOf('/', afterScheme);
  const query = url.indexOf('?', afterScheme);
  const start = slash < 0 ? query : query < 0 ? slash : Math.min(slash, query);
  let path = start < 0 ? '/' : url.slice(start);
  if (path.startsWith('?')) path = `/${path}`;
  const hash = path.indexOf('#');
  return { parsed, origin: parsed.origin, path: hash < 0 ? path : path.slice(0, hash) };
}

/** Whether the environment names an HTTP(S) proxy. */
function proxyConfigured(): boolean {
  return ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy'].some((name) => (process.env[name] ?? '') !== '');
}

/** The undici implementation of {@link Transport}. Create one per process (or per TransferManager) and share it. */
export class UndiciTransport implements Transport {
  readonly #auth: AuthProvider;
  readonly #anonymous: boolean;
  readonly #connectMs: number;
  readonly #readMs: number;
  readonly #userAgent: string;
  readonly #connections: number;
  readonly #keepAliveTimeoutMs: number;
  readonly #external: Dispatcher | undefined;
  /** One Agent per connect timeout in use: undici fixes the connect timeout per Agent, not per request. */
  readonly #agents = new Map<number, Dispatcher>();
  #closed = false;

  constructor(options: UndiciTransportOptions = {}) {
    checkTimeouts('timeout', options.timeout);
    if (options.connections !== undefined && (!Number.isSafeInteger(options.connections) || options.connections < 1)) {
      throw new InvalidArgumentError(`Expected \`connections\` to be a positive integer, got \`${String(options.connections)}\``);
    }
    checkTimeout('keepAliveTimeoutMs', options.keepAliveTimeoutMs);
    if (options.userAgent !== undefined && (typeof options.userAgent !== 'string' || /[\r\n]/.test(options.userAgent))) {
      throw new InvalidArgumentError(`Expected \`userAgent\` to be a single-line string, got \`${String(options.userAgent)}\``);
    }
    this.#auth = options.auth ?? new NoAuthProvider();
    this.#anonymous = this.#auth instanceof NoAuthProvider;
    this.#connectMs = options.timeout?.connectMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#readMs = options.timeout?.readMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#connections = options.connections ?? 64;
    this.#keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 4_000;
    this.#external = options.dispatcher;
  }

  #dispatcher(connectMs: number): Dispatcher {
    if (this.#external) return this.#external;
    let agent = this.#agents.get(connectMs);
    if (!agent) {
      // With HTTP_PROXY / HTTPS_PROXY (or their lower-case forms) set, undici's EnvHttpProxyAgent sends every
      // host NO_PROXY does not exempt through the proxy, as curl and gcloud do; without them, a plain Agent
      // (the common path stays exactly what it was). Worker threads build their transport here too, so part
      // uploads follow the same rules.
      const Kind = proxyConfigured() ? EnvHttpProxyAgent : Agent;
      agent = new Kind({
        connections: this.#connections,
        // One request per connection at a time: a slow body must not hold up the requests queued behind it.
        pipelining: 1,
        keepAliveTimeout: this.#keepAliveTimeoutMs,
        connect: { timeout: connectMs },
      });
      this.#agents.set(connectMs, agent);
    }
    return agent;
  }

  /**
   * Sends `request` and resolves when the response headers arrive; the body is a stream the caller must consume
   * or dump. Errors thrown while reading that body are raw undici errors: convert them with
   * {@link mapTransportError}. A 401 is retried once with a refreshed token when the body can be replayed and the
   * credentials are the provider's; otherwise the 401 is returned like any status.
   *
   * @throws InvalidArgumentError when credentials would be sent over plain http to a non-loopback host;
   *   NetworkError/TimeoutError for connection failures; AbortError when `options.signal` fires.
   */
  async request(request: HttpRequest, options: RequestOptions = {}): Promise<HttpResponse> {
    if (this.#closed) throw new InvalidStateError('The transport is closed; create a new one.');
    checkTimeouts('options.timeout', options.timeout);
    throwIfAborted(options.signal);
    const target = splitUrl(request.url);
    const ownCredentials = Object.keys(request.headers).some((name) => name.toLowerCase() === 'authorization');
    const useProvider = !this.#anonymous && !ownCredentials;
    if ((useProvider || ownCredentials) && !canSendCredentials(target.parsed)) {
      throw new InvalidArgumentError(
        `Refusing to send credentials over plain http to ${target.origin}: use an https endpoint, a loopback ` +
          "emulator, or `auth: 'none'`.",
      );
    }
    const auth = useProvider ? await this.#auth.getHeaders(request.url) : {};
    throwIfAborted(options.signal);
    const first = await this.#send(request, target, auth, options);
    if (first.status !== 401 || !useProvider || !isReplayable(request.body)) return first;
    await dumpBody(first.body);
    const refreshed = await this.#auth.getHeaders(request.url, { forceRefresh: true });
    throwIfAborted(options.signal);
    return this.#send(request, target, refreshed, options);
  }

  async #send(
    request: HttpRequest,
    target: { origin: string; path: string },
    auth: Record<string, string>,
    options: RequestOptions,
  ): Promise<HttpResponse> {
    const readMs = options.timeout?.readMs ?? this.#readMs;
    const connectMs = options.timeout?.connectMs ?? this.#connectMs;
    // The request's own headers win over the defaults: callers may set their own user-agent.
    const headers: Record<string, string> = { 'user-agent': this.#userAgent, ...auth, ...request.headers };
    try {
      const response = await this.#dispatcher(connectMs).request({
        origin: target.origin,
        path: target.path,
        method: request.method,
        headers,
        body: toUndiciBody(request.body),
        signal: options.signal ?? null,
        headersTimeout: readMs,
        bodyTimeout: readMs,
      });
      return {
        status: response.statusCode,
        headers: plainHeaders(response.headers),
        body: response.body,
        url: request.url,
      };
    } catch (error) {
      throw mapTransportError(error, request, options.signal);
    }
  }

  /** Waits for in-flight requests, then closes every connection. Later requests are refused. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const agents = [...this.#agents.values()];
    this.#agents.clear();
    await Promise.all(agents.map((agent) => agent.close()));
  }

  toJSON(): Record<string, unknown> {
    return { type: 'UndiciTransport', connectMs: this.#connectMs, readMs: this.#readMs, connections: this.#connections };
  }
}

/**
 * Turns what undici and the socket layer throw into this library's typed errors, so the retry policy can tell
 * a transient connection failure (retry) from an abort (stop) from a bug (propagate).
 */
import { AbortError, GcsTransferError, InvalidArgumentError, NetworkError, TimeoutError, type RequestContext } from '../errors.js';
import { abortErrorFor } from '../util/abort.js';
import { redactUrl } from '../util/redact.js';

/** undici's timeouts plus the kernel's: the connection stalled or never came up. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/**
 * Connection-level failures, all transient from the protocol's point of view (the retry set of
 * google-resumable-media: reset, refused, closed early, DNS hiccups, TLS and HTTP framing errors).
 * `UND_ERR_RES_CONTENT_LENGTH_MISMATCH` is a body that ended before its Content-Length: a premature end.
 */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EPROTO',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The first string `code` along the `cause` chain: undici and fetch wrap the system error that matters. */
function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isAbortLike(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED' || code === 'UND_ERR_ABORT';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Maps a failure of one HTTP exchange to a {@link GcsTransferError}:
 * - our own errors pass through unchanged;
 * - anything while `signal` is aborted, or any abort-shaped error, becomes an {@link AbortError} whose `cause` is
 *   the signal's reason;
 * - undici/system timeouts (`UND_ERR_HEADERS_TIMEOUT`, `UND_ERR_BODY_TIMEOUT`, `UND_ERR_CONNECT_TIMEOUT`,
 *   `ETIMEDOUT`) become a {@link TimeoutError}, and connection failures (`ECONNRESET`, `ECONNREFUSED`, `EPIPE`,
 *   `UND_ERR_SOCKET`, `ENOTFOUND`, `EAI_AGAIN`, `UND_ERR_CLOSED`, HTTP parser `HPE_*` errors, a body that ended
 *   before its Content-Length, …) a {@link NetworkError}; both keep the code in `systemCode` and the original
 *   error as `cause`, and are retryable. Certificate errors are not: retrying cannot fix a misconfiguration;
 * - undici's `UND_ERR_INVALID_ARG` becomes an {@link InvalidArgumentError};
 * - anything else is returned unchanged: it is not a network failure, so it must not be retried.
 *
 * `UndiciTransport.request()` applies this itself. **Callers must apply it to errors thrown while reading a
 * response body** (`for await (const chunk of response.body)`, `pipeline(response.body, …)`), because those
 * happen after `request()` resolved: a reset or a stall in the middle of a download surfaces there. Apply it only
 * to errors of the body *read*: a failing destination (e.g. `ENOSPC`, or `EPIPE` from a closed stdout) is not a
 * network failure of this request, so distinguish the two (e.g. by which side of the pipeline failed).
 *
 * Messages name the method and the redacted URL, never headers or tokens.
 *
 * @example
 * try {
 *   for await (const chunk of response.body) sink.write(chunk);
 * } catch (error) {
 *   throw mapTransportError(error, request, options.signal);
 * }
 */
export function mapTransportError(error: unknown, request: RequestContext, signal?: AbortSignal): unknown {
  if (signal?.aborted) return error instanceof AbortError ? error : abortErrorFor(signal);
  if (error instanceof GcsTransferError) return error;
  const context = { method: request.method, url: request.url };
  const where = `${request.method} ${redactUrl(request.url)}`;
  if (isAbortLike(error)) return new AbortError(`${where} was aborted`, { cause: error, request: context });
  const code = codeOf(error);
  if (code === undefined) return error;
  if (TIMEOUT_CODES.has(code)) {
    return new TimeoutError(`${where} timed out (${code}): ${messageOf(error)}`, { cause: error, request: context, systemCode: code });
  }
  if (NETWORK_CODES.has(code) || code.startsWith('HPE_')) {
    return new NetworkError(`${where} failed (${code}): ${messageOf(error)}`, { cause: error, request: context, systemCode: code });
  }
  if (code === 'UND_ERR_INVALID_ARG') {
    return new InvalidArgumentError(`${where} was rejected by undici: ${messageOf(error)}`, { cause: error, request: context });
  }
  return error;
}

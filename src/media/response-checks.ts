/**
 * Response checks shared by every media class: google-resumable-media's `require_status_code` and
 * `header_required`, raising our typed errors with the same message shapes. A failed status check reads the
 * start of the error body, because GCS puts the reason there (`notFound`, `NoSuchUpload`, `BadDigest`, ...)
 * and callers need it to tell a missing object from a missing upload session.
 */
import type { Readable } from 'node:stream';
import {
  AbortError,
  InvalidResponse,
  NetworkError,
  RETRYABLE_STATUSES,
  statusError,
  type RequestContext,
  type ResponseContext,
} from '../errors.js';
import { redactUrl } from '../util/redact.js';
import { dumpBody, type HttpResponse } from '../transport/transport.js';

/** The part of a response the header checks need; sans-I/O code can build one without a body. */
export interface ResponseHead {
  status: number;
  /** Lower-case names, as the transport delivers them. */
  headers: Record<string, string | string[]>;
}

/** How much of an error body is kept: enough for GCS's JSON or XML error document, never a whole page. */
export const ERROR_BODY_LIMIT = 4096;

/**
 * Past this many bytes an error body is abandoned (the connection is closed rather than drained): a broken
 * server must not make us read an unbounded error page.
 */
const ERROR_BODY_DRAIN_LIMIT = 64 * 1024;

/** The redacted response context an error carries. */
export function responseContext(response: ResponseHead, body?: string): ResponseContext {
  const context: ResponseContext = { status: response.status, headers: response.headers };
  if (body !== undefined) context.body = body;
  return context;
}

/** The request context for an error about `response`, when the method is known. */
function requestContext(response: ResponseHead & { url?: string }, method?: string): RequestContext | undefined {
  if (method === undefined || response.url === undefined) return undefined;
  return { method, url: response.url };
}

/**
 * Reads at most {@link ERROR_BODY_LIMIT} bytes of `body` as UTF-8 and discards the rest.
 *
 * A body that breaks off (reset, closed before its Content-Length) is a NetworkError, which the retry policy
 * retries: the status alone is not the server's whole answer. A 404 whose body was cut has lost the reason
 * that tells a missing upload (`NoSuchUpload`, which may mean "already completed") from a missing object, and
 * reporting it as a plain 404 would skip the checks that reason triggers.
 */
export async function readErrorBody(body: Readable, limit = ERROR_BODY_LIMIT, status?: number): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let seen = 0;
  try {
    for await (const chunk of body) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      if (keptBytes < limit) {
        const part = buf.subarray(0, limit - keptBytes);
        kept.push(part);
        keptBytes += part.byteLength;
      }
      seen += buf.byteLength;
      // Leaving the loop destroys the body: cheaper than draining an error page that never ends.
      if (seen > ERROR_BODY_DRAIN_LIMIT) break;
    }
  } catch (error) {
    if (isAbort(error)) throw error;
    const code = (error as { code?: unknown } | undefined)?.code;
    throw new NetworkError(`The body of a ${status ?? 'failed'} response broke off after ${seen} bytes: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      ...(typeof code === 'string' ? { systemCode: code } : {}),
    });
  }
  return Buffer.concat(kept).toString('utf8');
}

function isAbort(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return error instanceof AbortError || name === 'AbortError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED';
}

/** What GCS said in an error body: JSON API `error.errors[0].reason` / `error.message`, XML `<Code>` / `<Message>`. */
export interface GcsErrorDetails {
  reason?: string;
  message?: string;
}

/** Extracts GCS's reason and message from an error body (possibly truncated); empty when it is neither form. */
export function parseGcsError(text: string): GcsErrorDetails {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as { error?: { message?: unknown; errors?: { reason?: unknown }[] } };
      const reason = parsed.error?.errors?.[0]?.reason;
      const message = parsed.error?.message;
      return {
        ...(typeof reason === 'string' ? { reason } : {}),
        ...(typeof message === 'string' ? { message } : {}),
      };
    } catch {
      // Truncated at the read limit: fall through to the patterns, which do not need the whole document.
    }
    const reason = /"reason"\s*:\s*"([^"]*)"/.exec(trimmed)?.[1];
    const message = /"message"\s*:\s*"([^"]*)"/.exec(trimmed)?.[1];
    return { ...(reason !== undefined ? { reason } : {}), ...(message !== undefined ? { message } : {}) };
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  return { ...(code !== undefined ? { reason: code } : {}), ...(message !== undefined ? { message } : {}) };
}

/**
 * Python's `require_status_code`: returns the status when it is one of `accepted`; otherwise calls
 * `onNonRetryable` (only when the status is NOT retryable, so a 503 never marks a chunked download or a
 * resumable upload invalid), reads the start of the error body, and throws an InvalidResponse —
 * `NotFound` for 404 and `PreconditionFailed` for 412 — whose `gcsCode` is GCS's reason.
 *
 * On success the body is left untouched for the caller; on failure it has been consumed or destroyed.
 *
 * Message: "Request failed with status code 404. Expected one of 200, 206. GCS said: notFound: No such object".
 * @param method The request's method, to name the request (URL redacted) in the error.
 */
export async function requireStatus(
  response: HttpResponse,
  accepted: readonly number[],
  onNonRetryable?: () => void,
  method?: string,
): Promise<number> {
  if (accepted.includes(response.status)) return response.status;
  if (!RETRYABLE_STATUSES.has(response.status)) onNonRetryable?.();
  const body = await readErrorBody(response.body, ERROR_BODY_LIMIT, response.status);
  const details = parseGcsError(body);
  let message = `Request failed with status code ${response.status}. Expected one of ${accepted.join(', ')}.`;
  if (details.reason !== undefined || details.message !== undefined) {
    message += ` GCS said: ${[details.reason, details.message].filter((s) => s !== undefined).join(': ')}`;
  }
  if (method !== undefined) message += ` (${method} ${redactUrl(response.url)})`;
  const request = requestContext(response, method);
  throw statusError(message, {
    response: responseContext(response, body === '' ? undefined : body),
    expected: accepted,
    ...(details.reason !== undefined ? { gcsCode: details.reason } : {}),
    ...(request ? { request } : {}),
  });
}

/**
 * Python's `header_required`: the first value of header `name` (lower case), or InvalidResponse
 * "Response headers must contain header <name>" after calling `onMissing`. Does not touch the body: the caller
 * that catches the error still owns it and must dump it.
 */
export function requireHeader(response: ResponseHead, name: string, onMissing?: () => void): string {
  const value = response.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first !== undefined) return first;
  onMissing?.();
  throw new InvalidResponse(`Response headers must contain header ${name}`, { response: responseContext(response) });
}

/**
 * Runs `process` on a response and makes sure its body is released whatever happens: on failure the body is
 * dumped before the error propagates, so no error path leaks a connection. After an abort the body is
 * destroyed instead: draining could wait on a stalled server, and the caller asked to stop now.
 */
export async function withResponse<T>(response: HttpResponse, process: (response: HttpResponse) => Promise<T>): Promise<T> {
  try {
    return await process(response);
  } catch (error) {
    if (error instanceof AbortError) response.body.destroy();
    else await dumpBody(response.body);
    throw error;
  }
}

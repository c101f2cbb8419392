/**
 * The one error classifier of the engine: what kind of failure an error is, so the retry controller, the
 * back-off and the per-object outcomes of a many-object job all read an error the same way.
 */
import { AbortError, DataCorruption, InvalidResponse, NetworkError, isRetryable } from '../errors.js';

/**
 * - `aborted`: the caller's signal fired;
 * - `throttled`: the service asked us to slow down (429, 503);
 * - `transient`: worth retrying as is (network failures, other 5xx, 408);
 * - `protocol`: an answer that broke the protocol or bytes that failed verification;
 * - `auth`: credentials missing or refused (401, 403);
 * - `fatal`: anything else (not found, precondition failed, bad arguments, local I/O).
 */
export type ErrorClass = 'aborted' | 'throttled' | 'transient' | 'protocol' | 'auth' | 'fatal';

export function classifyError(error: unknown): ErrorClass {
  if (error instanceof AbortError || (error as { name?: unknown } | null)?.name === 'AbortError') return 'aborted';
  if (error instanceof DataCorruption) return 'protocol';
  if (error instanceof InvalidResponse) {
    const { status } = error;
    if (status === 429 || status === 503) return 'throttled';
    if (status === 401 || status === 403) return 'auth';
    if (status === undefined || (status >= 200 && status < 300)) return 'protocol';
    return isRetryable(error) ? 'transient' : 'fatal';
  }
  if (error instanceof NetworkError) return 'transient';
  return 'fatal';
}

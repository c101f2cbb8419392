/**
 * Protocol constants shared by the media classes, the retry policy and the transport. Values follow
 * google-resumable-media (`google.resumable_media.common`); durations are in milliseconds here, where Python
 * uses seconds.
 */

/**
 * Resumable-upload chunks must be a multiple of 256 KiB: GCS only persists whole 256 KiB units of an unfinished
 * session, so any other size would make the server acknowledge less than was sent on every chunk.
 */
export const UPLOAD_CHUNK_SIZE = 262_144;

/**
 * GCS answers a resumable-upload chunk that is not the last with 308 ("resume incomplete"), reusing the
 * permanent-redirect status; the transport must therefore never follow redirects.
 */
export const PERMANENT_REDIRECT = 308;

/** GCS rate limiting ("slow down"); retried like a 503, honouring `Retry-After` when present. */
export const TOO_MANY_REQUESTS = 429;

/**
 * Cap on a single back-off sleep (before jitter). 64 s is where GCS's documented truncated exponential back-off
 * stops growing; longer waits only delay recovery after the service is healthy again.
 */
export const MAX_SLEEP_MS = 64_000;

/**
 * Default cap on the sum of back-off sleeps for one operation (10 minutes). Past this an outage is not transient
 * and the caller should hear about it rather than wait indefinitely.
 */
export const MAX_CUMULATIVE_RETRY_MS = 600_000;

/** First back-off sleep: 1 s, doubled on every retry (google-resumable-media's `initial_delay`). */
export const INITIAL_RETRY_DELAY_MS = 1_000;

/**
 * Time to establish a connection. 61 s, one more than the read timeout, as in google-resumable-media: a connect
 * timeout that coincides with a TCP retransmission boundary (multiples of 3 s) tends to fire needlessly.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 61_000;

/** Longest silence allowed while reading a response (google-resumable-media's read timeout). */
export const DEFAULT_READ_TIMEOUT_MS = 60_000;

/**
 * HTTP statuses that are retried (google-resumable-media's `RETRYABLE`): request timeout, rate limiting and the
 * transient 5xx family. Defined next to the error classes because `InvalidResponse.retryable` is derived from it.
 */
export { RETRYABLE_STATUSES } from './errors.js';

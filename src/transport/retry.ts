/**
 * Retries with truncated exponential back-off, as google-resumable-media's `RetryStrategy` and `wait_and_retry`
 *: waits of 1, 2, 4, … 64 s, each plus 0–1000 ms of jitter, until the next wait would take the
 * total past the budget (600 s by default) or a retry count is spent. Only errors that `isRetryable` accepts are
 * retried; the last error itself is rethrown when the budget runs out, so callers see what actually failed.
 */
import { InvalidArgumentError, InvalidResponse, isRetryable } from '../errors.js';
import { INITIAL_RETRY_DELAY_MS, MAX_CUMULATIVE_RETRY_MS, MAX_SLEEP_MS } from '../constants.js';
import { sleep as abortableSleep, throwIfAborted } from '../util/abort.js';
import { headerValue } from './transport.js';

export interface RetryStrategyOptions {
  /**
   * Cap on one back-off wait, before jitter. Also caps a server's `Retry-After`.
   * @default 64_000
   */
  maxSleepMs?: number;
  /**
   * Budget for the sum of all waits of one operation. Mutually exclusive with `maxRetries`.
   * @default 600_000 (when `maxRetries` is not given)
   */
  maxCumulativeRetryMs?: number;
  /**
   * Maximum number of retries (0: one attempt only). Mutually exclusive with `maxCumulativeRetryMs`.
   * @default undefined (the cumulative budget applies)
   */
  maxRetries?: number;
  /**
   * First wait, before jitter.
   * @default 1_000
   */
  initialDelayMs?: number;
  /**
   * Growth factor of the wait between retries.
   * @default 2
   */
  multiplier?: number;
  /**
   * Source of randomness in [0, 1) for the jitter; inject it to make waits exact in tests.
   * @default Math.random
   */
  random?: () => number;
  /**
   * Waits `ms`, rejecting with an AbortError as soon as `signal` fires; inject it to make tests instant.
   * @default an abortable setTimeout
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Current time in ms since the epoch, used to turn an HTTP-date `Retry-After` into a wait.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Told before every back-off wait of every operation that uses this strategy (what failed, which attempt,
   * how long until the next): a command line shows retries as they happen with it. Must not throw.
   * @default undefined
   */
  onRetry?: (event: RetryEvent) => void;
}

function checkNumber(name: string, value: number | undefined, min: number, integer = false): void {
  if (value === undefined) return;
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && (!integer || Number.isInteger(value));
  if (!ok) {
    const form = integer ? `an integer >= ${min}` : `a finite number >= ${min}`;
    throw new InvalidArgumentError(`Expected \`${name}\` to be ${form}, got \`${String(value)}\` (${typeof value})`);
  }
}

/** Port of google-resumable-media's `RetryStrategy`. Immutable; share one instance freely. */
export class RetryStrategy {
  readonly maxSleepMs: number;
  /** `undefined` when the strategy is bounded by `maxRetries` instead. */
  readonly maxCumulativeRetryMs: number | undefined;
  /** `undefined` when the strategy is bounded by `maxCumulativeRetryMs` instead. */
  readonly maxRetries: number | undefined;
  readonly initialDelayMs: number;
  readonly multiplier: number;
  readonly random: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now: () => number;
  readonly onRetry: ((event: RetryEvent) => void) | undefined;

  constructor(options: RetryStrategyOptions = {}) {
    if (options.maxCumulativeRetryMs !== undefined && options.maxRetries !== undefined) {
      throw new InvalidArgumentError('At most one of `maxCumulativeRetryMs` and `maxRetries` can be specified.');
    }
    checkNumber('maxSleepMs', options.maxSleepMs, 0);
    checkNumber('maxCumulativeRetryMs', options.maxCumulativeRetryMs, 0);
    checkNumber('maxRetries', options.maxRetries, 0, true);
    checkNumber('initialDelayMs', options.initialDelayMs, 0);
    checkNumber('multiplier', options.multiplier, 1);
    this.maxSleepMs = options.maxSleepMs ?? MAX_SLEEP_MS;
    this.maxRetries = options.maxRetries;
    this.maxCumulativeRetryMs =
      options.maxRetries === undefined ? (options.maxCumulativeRetryMs ?? MAX_CUMULATIVE_RETRY_MS) : undefined;
    this.initialDelayMs = options.initialDelayMs ?? INITIAL_RETRY_DELAY_MS;
    this.multiplier = options.multiplier ?? 2;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? abortableSleep;
    this.now = options.now ?? Date.now;
    if (options.onRetry !== undefined && typeof options.onRetry !== 'function') {
      throw new InvalidArgumentError(`Expected \`onRetry\` to be a function, got \`${String(options.onRetry)}\``);
    }
    this.onRetry = options.onRetry;
  }

  /**
   * Whether another retry may happen, given the total sleep *including the wait about to be taken* and the
   * number of retries including this one. Both bounds are inclusive (Python's `retry_allowed`).
   */
  retryAllowed(totalSleepMs: number, numRetries: number): boolean {
    if (this.maxCumulativeRetryMs === undefined) return numRetries <= (this.maxRetries as number);
    return totalSleepMs <= this.maxCumulativeRetryMs;
  }
}

/**
 * The next back-off step (Python's `calculate_retry_wait`): the base grows by `multiplier` up to `maxSleepMs`,
 * and the wait is that base plus a jitter of 0 to 1000 ms inclusive (an integer number of ms, as `randint`).
 */
export function calculateRetryWait(
  baseWaitMs: number,
  maxSleepMs: number,
  multiplier = 2,
  random: () => number = Math.random,
): { baseWaitMs: number; waitMs: number } {
  const next = Math.min(baseWaitMs * multiplier, maxSleepMs);
  const jitterMs = Math.min(1000, Math.floor(random() * 1001));
  return { baseWaitMs: next, waitMs: next + jitterMs };
}

/**
 * How long a `Retry-After` header asks us to wait, in ms: delay-seconds or an HTTP-date (relative to `now`).
 * `undefined` when absent or unparsable, so a garbled header falls back to plain back-off.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form starts with a day name; without this check Date.parse accepts things like "-5".
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The server's requested wait when `error` is a retryable status response carrying `Retry-After`. */
function retryAfterOf(error: unknown, now: number): number | undefined {
  if (!(error instanceof InvalidResponse) || !error.headers) return undefined;
  return parseRetryAfter(headerValue(error.headers, 'retry-after'), now);
}

/** What `onRetry` is told before each back-off wait. */
export interface RetryEvent {
  /** The error that will be retried. */
  error: unknown;
  /** The attempt that failed, 0 for the first call. */
  attempt: number;
  /** How long the retry loop is about to sleep. */
  delayMs: number;
}

export interface RetryOptions {
  /** Stops the loop: rejects at once with an AbortError, also in the middle of a back-off wait. */
  signal?: AbortSignal;
  /** Called before each wait, e.g. for logs and metrics. Must not throw. */
  onRetry?: (event: RetryEvent) => void;
}

/**
 * Calls `fn` until it resolves, retrying retryable failures (`isRetryable`) under `strategy` (Python's
 * `wait_and_retry`). `fn` receives the attempt number (0 first) and must rebuild its request each time: a
 * streamed body cannot be sent twice. A server's `Retry-After` (on a 429/503 `InvalidResponse`) lengthens the
 * wait to what it asks, capped at `maxSleepMs`; that wait counts against the budget like any other.
 *
 * @throws the last error itself once the budget is spent (never a wrapper), any non-retryable error at once,
 *   and an AbortError when `signal` fires.
 */
export async function retryWithStrategy<T>(
  fn: (attempt: number) => Promise<T>,
  strategy: RetryStrategy,
  options: RetryOptions = {},
): Promise<T> {
  const { signal, onRetry } = options;
  let totalSleepMs = 0;
  let numRetries = 0;
  let baseWaitMs = strategy.initialDelayMs / strategy.multiplier;
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal);
    try {
      return await fn(attempt);
    } catch (error) {
      throwIfAborted(signal);
      if (!isRetryable(error)) throw error;
      const step = calculateRetryWait(baseWaitMs, strategy.maxSleepMs, strategy.multiplier, strategy.random);
      baseWaitMs = step.baseWaitMs;
      let waitMs = step.waitMs;
      const retryAfterMs = retryAfterOf(error, strategy.now());
      if (retryAfterMs !== undefined) waitMs = Math.max(waitMs, Math.min(retryAfterMs, strategy.maxSleepMs));
      numRetries += 1;
      totalSleepMs += waitMs;
      // The prospective total decides: a wait that would overrun the budget is never slept.
      if (!strategy.retryAllowed(totalSleepMs, numRetries)) throw error;
      const event: RetryEvent = { error, attempt, delayMs: waitMs };
      onRetry?.(event);
      strategy.onRetry?.(event);
      await strategy.sleep(waitMs, signal);
    }
  }
}

/** The default strategy of every media class: 64 s cap, 600 s budget, 1 s doubling. */
export const DEFAULT_RETRY = new RetryStrategy();

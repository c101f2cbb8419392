/**
 * A RetryStrategy reduced to what can cross into a worker thread: its numbers (its functions and its shared
 * budget stay on the main thread; a worker rebuilds a strategy from the numbers and reports each retry back).
 */
import type { RetryStrategy } from '../transport/retry.js';
import type { RetrySettings } from './protocol.js';

/** The numbers of a RetryStrategy, which is all a worker can receive. */
export function retrySettings(strategy: RetryStrategy): RetrySettings {
  return {
    maxSleepMs: strategy.maxSleepMs,
    initialDelayMs: strategy.initialDelayMs,
    multiplier: strategy.multiplier,
    ...(strategy.maxRetries === undefined ? {} : { maxRetries: strategy.maxRetries }),
    ...(strategy.maxRetries === undefined && strategy.maxCumulativeRetryMs !== undefined
      ? { maxCumulativeRetryMs: strategy.maxCumulativeRetryMs }
      : {}),
  };
}

/**
 * The retry controller's per-transfer budget. A RetryStrategy bounds the waits of one request (600 s by
 * default); a transfer of a thousand ranges, or a job of a thousand objects, would otherwise get a thousand
 * fresh budgets. Here every request of one transfer shares a single account: the wall-clock time during which
 * at least one of its requests was waiting to retry. Once that reaches the budget, no new retry starts and the
 * request's own error is what the transfer fails with.
 */
import { RetryStrategy } from '../transport/retry.js';

/** Wall-clock retry waiting of one transfer. */
class RetryAccount {
  #sleeping = 0;
  #since = 0;
  #spentMs = 0;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  get spentMs(): number {
    return this.#spentMs + (this.#sleeping > 0 ? this.#now() - this.#since : 0);
  }

  begin(): void {
    if (this.#sleeping++ === 0) this.#since = this.#now();
  }

  end(): void {
    if (--this.#sleeping === 0) this.#spentMs += this.#now() - this.#since;
  }
}

class TransferRetryStrategy extends RetryStrategy {
  readonly #account: RetryAccount;
  readonly #budgetMs: number;

  constructor(base: RetryStrategy, budgetMs: number, account: RetryAccount) {
    super({
      maxSleepMs: base.maxSleepMs,
      ...(base.maxRetries === undefined
        ? { maxCumulativeRetryMs: base.maxCumulativeRetryMs as number }
        : { maxRetries: base.maxRetries }),
      initialDelayMs: base.initialDelayMs,
      multiplier: base.multiplier,
      random: base.random,
      now: base.now,
      ...(base.onRetry ? { onRetry: base.onRetry } : {}),
      sleep: async (ms, signal) => {
        account.begin();
        try {
          await base.sleep(ms, signal);
        } finally {
          account.end();
        }
      },
    });
    this.#account = account;
    this.#budgetMs = budgetMs;
  }

  override retryAllowed(totalSleepMs: number, numRetries: number): boolean {
    return super.retryAllowed(totalSleepMs, numRetries) && this.#account.spentMs < this.#budgetMs;
  }
}

/**
 * A strategy with `base`'s back-off whose requests share one retry budget: `base.maxCumulativeRetryMs` (600 s by
 * default) for the whole transfer, or `budgetMs` when given. With a `maxRetries`-bounded base, each request
 * keeps its count and the transfer shares `budgetMs` (default 600 s) of waiting.
 */
export function transferRetry(base: RetryStrategy, budgetMs?: number): RetryStrategy {
  const budget = budgetMs ?? base.maxCumulativeRetryMs ?? 600_000;
  return new TransferRetryStrategy(base, budget, new RetryAccount(base.now));
}

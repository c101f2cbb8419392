/**
 * The scheduler a TransferManager owns: the manager-wide budgets every transfer (single or many objects) draws
 * from. Requests in flight are limited by an {@link AdaptiveLimit} (`maxConnections`, with AIMD back-off on
 * 429/503), bytes held in memory by small-object tasks by a {@link ByteBudget} (`maxBufferedBytes`); worker
 * threads are the pool's. Per-call `concurrency` stays a cap under these.
 */
import { AdaptiveLimit, type AdaptiveLimitStats } from './adaptive-limit.js';
import { ByteBudget } from './byte-budget.js';
import type { RequestBudget } from './request-budget.js';

/** Default manager-wide requests in flight: four transfers at the default per-transfer concurrency of 16. */
export const DEFAULT_MAX_CONNECTIONS = 64;

/** Default manager-wide bytes small-object tasks may hold in memory at once. */
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

export interface SchedulerStats {
  requests: AdaptiveLimitStats;
  /** Bytes reserved by tasks now. */
  bufferedBytes: number;
  /**
   * Worker threads running now: they start with the first task that needs them (download ranges of objects
   * not known to be small, upload parts) and stop after 30 s without one.
   */
  workerThreads: number;
}

export class Scheduler {
  readonly #requests: AdaptiveLimit;
  readonly #bytes: ByteBudget;

  constructor(options: { maxConnections?: number; maxBufferedBytes?: number } = {}) {
    this.#requests = new AdaptiveLimit(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
    this.#bytes = new ByteBudget(options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
  }

  /** The request budget handed to jobs (the seam: see request-budget.ts). */
  get requests(): RequestBudget {
    return this.#requests;
  }

  get bytes(): ByteBudget {
    return this.#bytes;
  }

  /** The scheduler's own figures; its owner adds the worker threads it runs. */
  get stats(): Omit<SchedulerStats, 'workerThreads'> {
    return { requests: this.#requests.stats, bufferedBytes: this.#bytes.used };
  }
}

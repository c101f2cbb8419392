/**
 * The manager-wide request limit with AIMD back-off. Up to `max` requests run at once; when the service
 * throttles (429 or 503) the limit halves, at most once per round of requests in flight (the throttled answers
 * of one burst are one congestion signal, not sixty-four), and every successful answer grows it back by
 * `1 / limit`, so it regains one slot per round of successes (TCP's congestion avoidance). Waiters are served
 * first come, first served; a waiter whose signal fires leaves the queue.
 */
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { abortErrorFor } from '../util/abort.js';
import type { RequestBudget, RequestSlot } from './request-budget.js';

/** Statuses that mean "slow down": Too Many Requests and Service Unavailable (GCS's overload answers). */
const THROTTLE_STATUSES = new Set([429, 503]);

/** What the limit has done so far (for tests, the bench and the CLI's diagnostics). */
export interface AdaptiveLimitStats {
  /** The current limit (a whole number of requests). */
  limit: number;
  /** The configured maximum. */
  max: number;
  /** Requests in flight now. */
  active: number;
  /** Requests waiting for a slot now. */
  waiting: number;
  /** Throttled answers seen (429/503). */
  throttled: number;
  /** Times the limit was cut. */
  decreases: number;
  /** The lowest the limit has been. */
  lowest: number;
}

interface Waiter {
  grant: (slot: RequestSlot) => void;
  reject: (error: unknown) => void;
  dispose: () => void;
}

export class AdaptiveLimit implements RequestBudget {
  readonly #max: number;
  /** Fractional, so additive increase can add `1 / limit` per success. */
  #limit: number;
  #active = 0;
  /** Sequence number of the next slot granted; a throttle cuts only if its slot started after the last cut. */
  #sequence = 0;
  #cutAt = 0;
  #throttled = 0;
  #decreases = 0;
  #lowest: number;
  readonly #waiters: Waiter[] = [];

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new InvalidArgumentError(`Expected \`maxConnections\` to be a positive integer, got \`${String(max)}\` (${typeof max})`);
    }
    this.#max = max;
    this.#limit = max;
    this.#lowest = max;
  }

  get stats(): AdaptiveLimitStats {
    return {
      limit: Math.floor(this.#limit),
      max: this.#max,
      active: this.#active,
      waiting: this.#waiters.length,
      throttled: this.#throttled,
      decreases: this.#decreases,
      lowest: this.#lowest,
    };
  }

  acquire(signal?: AbortSignal): Promise<RequestSlot> {
    if (signal?.aborted) return Promise.reject(abortErrorFor(signal));
    if (this.#waiters.length === 0 && this.#active < Math.floor(this.#limit)) return Promise.resolve(this.#grant());
    return new Promise<RequestSlot>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(abortErrorFor(signal as AbortSignal));
      };
      const waiter: Waiter = { grant: resolve, reject, dispose: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #grant(): RequestSlot {
    this.#active++;
    const started = this.#sequence++;
    let released = false;
    return {
      release: (status?: number) => {
        if (released) throw new InvalidStateError('A request slot was released twice');
        released = true;
        this.#active--;
        this.#observe(started, status);
        this.#drain();
      },
    };
  }

  #observe(started: number, status: number | undefined): void {
    if (status === undefined) return;
    if (THROTTLE_STATUSES.has(status)) {
      this.#throttled++;
      if (started >= this.#cutAt) {
        this.#limit = Math.max(1, Math.floor(this.#limit / 2));
        this.#cutAt = this.#sequence;
        this.#decreases++;
        this.#lowest = Math.min(this.#lowest, this.#limit);
      }
      return;
    }
    if (status < 500) this.#limit = Math.min(this.#max, this.#limit + 1 / Math.floor(this.#limit));
  }

  #drain(): void {
    while (this.#waiters.length > 0 && this.#active < Math.floor(this.#limit)) {
      const waiter = this.#waiters.shift() as Waiter;
      waiter.dispose();
      waiter.grant(this.#grant());
    }
  }
}

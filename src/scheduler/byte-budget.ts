/**
 * A weighted FIFO semaphore over bytes: the manager-wide `maxBufferedBytes` that tasks holding data in memory
 * (a small object read whole for its single-request upload) reserve before they read. A reservation larger
 * than the whole budget is cut to the budget, so it runs alone instead of never.
 */
import { InvalidArgumentError } from '../errors.js';
import { abortErrorFor } from '../util/abort.js';

interface Waiter {
  bytes: number;
  resolve: () => void;
  dispose: () => void;
}

export class ByteBudget {
  readonly #capacity: number;
  #used = 0;
  readonly #waiters: Waiter[] = [];

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new InvalidArgumentError(`Expected \`maxBufferedBytes\` to be a positive integer, got \`${String(capacity)}\` (${typeof capacity})`);
    }
    this.#capacity = capacity;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }

  /** Reserves `bytes` (at most the capacity); resolves with the function that returns them. */
  async reserve(bytes: number, signal?: AbortSignal): Promise<() => void> {
    const amount = Math.min(Math.max(0, bytes), this.#capacity);
    if (signal?.aborted) throw abortErrorFor(signal);
    if (this.#waiters.length > 0 || this.#used + amount > this.#capacity) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(abortErrorFor(signal as AbortSignal));
          this.#drain();
        };
        const waiter: Waiter = { bytes: amount, resolve, dispose: () => signal?.removeEventListener('abort', onAbort) };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(waiter);
      });
    } else {
      this.#used += amount;
    }
    let returned = false;
    return () => {
      if (returned) return;
      returned = true;
      this.#used -= amount;
      this.#drain();
    };
  }

  #drain(): void {
    for (let head = this.#waiters[0]; head !== undefined && this.#used + head.bytes <= this.#capacity; head = this.#waiters[0]) {
      this.#waiters.shift();
      this.#used += head.bytes;
      head.dispose();
      head.resolve();
    }
  }
}

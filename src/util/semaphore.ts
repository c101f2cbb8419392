/**
 * A FIFO counting semaphore: the sliding window behind every parallel job. A job acquires a slot before it
 * starts a request and releases it when the request settles, so exactly `capacity` requests are in flight while
 * work remains, with no batch barriers.
 *
 * Why not p-limit (which the project uses where a bounded queue of calls is what is needed, e.g. re-hashing a
 * resumed download's ranges): p-limit limits *calls*, and a call must exist before it is queued. The jobs here
 * need what it cannot do: take a slot *before* pulling the next item from a lazy plan (so a stream's part
 * buffer is only filled when it can be sent, and a plan of millions of parts is never materialised); hold a
 * slot across call boundaries (a download's discovery releases its slot when its body ends, not when its call
 * returns; the buffer pool hands slots out and takes them back from different places); and leave the queue
 * when a waiter's AbortSignal fires.
 */
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { abortErrorFor } from './abort.js';

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  dispose: () => void;
}

export class Semaphore {
  readonly #capacity: number;
  #active = 0;
  /** Waiters in arrival order; a waiter leaves the queue when it is granted a slot or its signal fires. */
  readonly #waiters: Waiter[] = [];

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new InvalidArgumentError(
        `Expected \`capacity\` to be a positive integer, got \`${String(capacity)}\` (${typeof capacity})`,
      );
    }
    this.#capacity = capacity;
  }

  /** The number of slots. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Slots currently held. */
  get active(): number {
    return this.#active;
  }

  /** Callers waiting for a slot. */
  get pending(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves when a slot is granted (in the order callers asked). Rejects with an AbortError, and leaves the
   * queue, when `signal` fires first; a slot granted before the signal fired stays granted.
   */
  acquire(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortErrorFor(signal));
    if (this.#active < this.#capacity && this.#waiters.length === 0) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(abortErrorFor(signal as AbortSignal));
      };
      const waiter: Waiter = {
        resolve,
        reject,
        dispose: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Returns a slot; the longest waiter, if any, gets it. */
  release(): void {
    if (this.#active === 0) throw new InvalidStateError('Semaphore released more times than it was acquired');
    const next = this.#waiters.shift();
    if (next) {
      // The slot passes straight to the waiter, so `active` does not change.
      next.dispose();
      next.resolve();
      return;
    }
    this.#active--;
  }

  /** Runs `task` holding one slot, releasing it however the task ends. */
  async run<T>(task: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    await this.acquire(options);
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}

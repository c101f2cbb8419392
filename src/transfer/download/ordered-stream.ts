/**
 * Turns ranges that complete out of order into one in-order `Readable` (aws-c-s3's read window). Each range is
 * a numbered slot; the slot at the head streams straight to the consumer, later slots hold their bytes until
 * the head reaches them. A slot may only start once it is inside the window, `[head, head + window)`, so the
 * bytes held are bounded by `window × rangeSize` plus the readable's `highWaterMark`, however slow the consumer.
 */
import { Readable } from 'node:stream';
import { InvalidStateError } from '../../errors.js';
import { abortErrorFor } from '../../util/abort.js';

interface Slot {
  chunks: Uint8Array[];
  complete: boolean;
}

interface Waiter {
  sequence: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  dispose: () => void;
}

export interface OrderedStreamOptions {
  /** Number of slots that may hold bytes at once, the head included. */
  window: number;
  /** Bytes the consumer may have buffered before the head slot stops being flushed to it. */
  highWaterMark?: number;
}

export class OrderedStream extends Readable {
  readonly #window: number;
  readonly #slots = new Map<number, Slot>();
  readonly #waiters: Waiter[] = [];
  /** The slot whose bytes are delivered next. Everything before it has been pushed. */
  #head = 0;
  /** Number of slots in the whole stream, once known. */
  #total: number | undefined;
  /** Whether the consumer asked for data and has not been refused since (Readable's `_read` contract). */
  #wanted = false;
  #ended = false;

  constructor(options: OrderedStreamOptions) {
    super(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark });
    if (!Number.isSafeInteger(options.window) || options.window < 1) {
      throw new InvalidStateError(`OrderedStream window must be a positive integer, got ${String(options.window)}`);
    }
    this.#window = options.window;
  }

  /** The slot the consumer is waiting on. */
  get head(): number {
    return this.#head;
  }

  /** Slots that hold or may receive bytes right now. */
  get openSlots(): number {
    return this.#slots.size;
  }

  /**
   * Resolves once slot `sequence` is inside the window and may start receiving bytes. Rejects when the stream
   * is destroyed or `signal` fires.
   */
  reserve(sequence: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    if (this.destroyed) return Promise.reject(this.errored ?? new InvalidStateError('The stream was destroyed'));
    if (signal?.aborted) return Promise.reject(abortErrorFor(signal));
    if (sequence < this.#head + this.#window) {
      this.#open(sequence);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#removeWaiter(waiter);
        reject(abortErrorFor(signal as AbortSignal));
      };
      const waiter: Waiter = {
        sequence,
        resolve: () => {
          this.#open(sequence);
          resolve();
        },
        reject,
        dispose: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Adds the next bytes of slot `sequence` (in order within the slot). */
  append(sequence: number, chunk: Uint8Array): void {
    const slot = this.#slot(sequence);
    if (slot.complete) throw new InvalidStateError(`Slot ${sequence} received bytes after it was completed`);
    if (chunk.byteLength === 0) return;
    slot.chunks.push(chunk);
    if (sequence === this.#head) this.#flush();
  }

  /** Marks slot `sequence` as having all its bytes. */
  complete(sequence: number): void {
    this.#slot(sequence).complete = true;
    if (sequence === this.#head) this.#flush();
  }

  /** Declares how many slots the stream has; it ends after the last one is delivered. */
  setTotal(total: number): void {
    this.#total = total;
    this.#flush();
  }

  override _read(): void {
    this.#wanted = true;
    this.#flush();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const reason = error ?? new InvalidStateError('The stream was destroyed before the download finished');
    for (const waiter of this.#waiters.splice(0)) {
      waiter.dispose();
      waiter.reject(reason);
    }
    this.#slots.clear();
    callback(error);
  }

  #slot(sequence: number): Slot {
    const slot = this.#slots.get(sequence);
    if (!slot) throw new InvalidStateError(`Slot ${sequence} was not reserved (head ${this.#head})`);
    return slot;
  }

  #open(sequence: number): void {
    if (sequence < this.#head || this.#slots.has(sequence)) {
      throw new InvalidStateError(`Slot ${sequence} was reserved twice`);
    }
    this.#slots.set(sequence, { chunks: [], complete: false });
  }

  #flush(): void {
    if (this.destroyed) return;
    while (this.#wanted) {
      const slot = this.#slots.get(this.#head);
      if (!slot) break;
      const chunk = slot.chunks.shift();
      if (chunk) {
        this.#wanted = this.push(chunk);
        continue;
      }
      if (!slot.complete) break;
      this.#slots.delete(this.#head);
      this.#head++;
      this.#admitWaiters();
    }
    if (this.#total !== undefined && this.#head >= this.#total && this.#slots.size === 0 && !this.#ended) {
      this.#ended = true;
      this.push(null);
    }
  }

  #admitWaiters(): void {
    const limit = this.#head + this.#window;
    for (let i = 0; i < this.#waiters.length; ) {
      const waiter = this.#waiters[i] as Waiter;
      if (waiter.sequence < limit) {
        this.#waiters.splice(i, 1);
        waiter.dispose();
        waiter.resolve();
      } else i++;
    }
  }

  #removeWaiter(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }
}

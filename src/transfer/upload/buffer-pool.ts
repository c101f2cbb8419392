/**
 * A fixed budget of equal-size part buffers for stream uploads. Buffers are plain `ArrayBuffer`s owned by the
 * pool (never slices of Node's shared `Buffer` pool, which cannot be transferred to a worker); they are
 * transferred to a worker with each part and come back with its result, so a long upload allocates at most
 * `maxBuffers` of them in total.
 */
import { InvalidStateError } from '../../errors.js';
import { Semaphore } from '../../util/semaphore.js';

export class BufferPool {
  readonly #bufferSize: number;
  /** Bounds the buffers out of the pool: in the chunker, in flight to a worker, or being returned. */
  readonly #slots: Semaphore;
  /** Returned buffers ready for reuse. */
  readonly #free: ArrayBuffer[] = [];

  constructor(bufferSize: number, maxBuffers: number) {
    this.#bufferSize = bufferSize;
    this.#slots = new Semaphore(maxBuffers);
  }

  get bufferSize(): number {
    return this.#bufferSize;
  }

  /** Buffers currently handed out. */
  get outstanding(): number {
    return this.#slots.active;
  }

  /** A buffer of `bufferSize` bytes (contents unspecified); waits while all of them are out. */
  async acquire(options: { signal?: AbortSignal } = {}): Promise<ArrayBuffer> {
    await this.#slots.acquire(options);
    return this.#free.pop() ?? new ArrayBuffer(this.#bufferSize);
  }

  /**
   * Gives a buffer back. Pass `undefined` when it was lost (a worker died holding it, or it was detached), so
   * its slot frees up and a fresh one is allocated next time.
   */
  release(buffer: ArrayBuffer | undefined): void {
    this.#slots.release();
    if (buffer === undefined) return;
    if (buffer.byteLength !== this.#bufferSize) {
      throw new InvalidStateError(
        `A buffer of ${buffer.byteLength} bytes was returned to a pool of ${this.#bufferSize}-byte buffers (detached?)`,
      );
    }
    this.#free.push(buffer);
  }
}

/**
 * The receiving end of one download range: hands the bytes to a store at their offset, hashes them (CRC32C, as
 * they are stored, so no second read is needed), and counts them. A range may take several attempts (a fresh
 * `RawChunkedDownload` each); every attempt writes through its own Writable, but all of them go through one
 * queue, so the bytes are stored and hashed strictly in order and `written` is always exactly what is stored.
 *
 * Pieces are handed to the store in batches of about {@link WRITE_BUFFER_BYTES}, as the list of pieces the
 * network delivered (never concatenated): a file store writes them with one vectored positional write, a
 * stream store passes them on as they are. Runs on the main thread (inline downloads) and in pool workers.
 */
import { Writable } from 'node:stream';
import { crc32c } from '../../checksum/crc32c.js';
import { InvalidResponse } from '../../errors.js';

/** Where a range's bytes go: vectored positional file writes, a slot of an ordered stream, or another thread. */
export interface RangeStore {
  /** Stores `chunks` (`length` bytes in all, in order) at byte `position` of the object. */
  write(index: number, position: number, chunks: readonly Buffer[], length: number): Promise<void> | void;
}

/**
 * Bytes gathered before the store is called. The network delivers 16–64 KiB pieces; a write per piece costs a
 * thread-pool round trip each (measured: about half the CPU per GiB on loopback). 1 MiB batches make that
 * negligible while staying small next to a range: at most 2 MiB per range in flight (this batch plus the
 * Writable's buffer while a write is pending).
 */
export const WRITE_BUFFER_BYTES = 1024 * 1024;

export interface RangeReceiverOptions {
  /** The range's sequence number (slot of an ordered stream). */
  index: number;
  /** Offset of the first byte kept. */
  start: number;
  /** Most bytes to keep. */
  limit: number;
  /** Bytes at the front of the response to drop (a resume re-reads one byte it already has). @default 0 */
  discard?: number;
  store: RangeStore;
  /** Called after each batch is stored, with its size. */
  onStored?: (count: number) => void;
  /** Called once, when the first piece of any attempt arrives (its response headers are then known). */
  onFirstBytes?: () => void;
}

export class RangeReceiver {
  readonly index: number;
  readonly start: number;
  readonly limit: number;
  readonly #store: RangeStore;
  readonly #onStored: ((count: number) => void) | undefined;
  #onFirstBytes: (() => void) | undefined;
  /** CRC32C and length of the bytes stored. */
  #stored = { crc32c: 0, length: 0 };
  /**
   * CRC32C of the bytes accepted (stored or batched). Pieces are hashed as they arrive, while they are still in
   * the CPU's cache; each batch carries the CRC at its end, which becomes the stored CRC once it is written.
   */
  #acceptedCrc = 0;
  #discard: number;
  #tail: Promise<void> = Promise.resolve();
  /** Pieces received in order but not yet handed to the store (less than WRITE_BUFFER_BYTES). */
  #batch: Buffer[] = [];
  #batchBytes = 0;
  /** CRC32C of the bytes before the current batch (what `discardBatch` rolls back to). */
  #batchStartCrc = 0;
  /** Bytes accepted from the network, stored or batched: the limit check must count both. */
  #accepted = 0;

  constructor(options: RangeReceiverOptions) {
    this.index = options.index;
    this.start = options.start;
    this.limit = options.limit;
    this.#discard = options.discard ?? 0;
    this.#store = options.store;
    this.#onStored = options.onStored;
    this.#onFirstBytes = options.onFirstBytes;
  }

  /** Bytes kept (stored and hashed) so far. */
  get written(): number {
    return this.#stored.length;
  }

  /** CRC32C of the bytes kept. */
  get crc32c(): number {
    return this.#stored.crc32c;
  }

  /** Where the next request must start: before `start` while bytes to drop remain. */
  get nextRequestStart(): number {
    return this.#discard > 0 ? this.start - this.#discard : this.start + this.written;
  }

  /** A Writable for one attempt. Destroy it when the attempt fails, then await {@link settle}. */
  attemptStream(): Writable {
    return new Writable({
      highWaterMark: WRITE_BUFFER_BYTES,
      write: (chunk: Buffer, _encoding, callback) => {
        const pending = this.#accept(chunk);
        if (pending === undefined) callback();
        else pending.then(() => callback(), callback);
      },
    });
  }

  /**
   * Drops the bytes batched but not yet stored, after a failed attempt: only what an attempt that ended well
   * delivered is trusted (the next attempt fetches the rest again, as for bytes still in a destroyed Writable).
   */
  discardBatch(): void {
    this.#accepted -= this.#batchBytes;
    this.#acceptedCrc = this.#batchStartCrc;
    this.#batch = [];
    this.#batchBytes = 0;
  }

  /** Stores what is still batched and waits for the write in progress, so `written` and `nextRequestStart` are final. */
  async settle(): Promise<void> {
    await this.#flush();
    await this.#tail;
  }

  /** Takes one piece; returns a promise only when a batch had to be stored (the back-pressure). */
  #accept(chunk: Buffer): Promise<void> | undefined {
    this.#onFirstBytes?.();
    this.#onFirstBytes = undefined;
    let data = chunk;
    if (this.#discard > 0) {
      const drop = Math.min(this.#discard, data.byteLength);
      data = data.subarray(drop);
      this.#discard -= drop;
    }
    if (data.byteLength === 0) return undefined;
    if (this.#accepted + data.byteLength > this.limit) {
      // The media class already refuses bodies longer than their Content-Range; this guards the offsets.
      return Promise.reject(
        new InvalidResponse(`The server sent more than the ${this.limit} bytes of range [${this.start}, ${this.start + this.limit})`),
      );
    }
    this.#accepted += data.byteLength;
    this.#acceptedCrc = crc32c(data, this.#acceptedCrc);
    this.#batch.push(data);
    this.#batchBytes += data.byteLength;
    return this.#batchBytes >= WRITE_BUFFER_BYTES ? this.#flush() : undefined;
  }

  #flush(): Promise<void> {
    if (this.#batch.length === 0) return this.#tail;
    const chunks = this.#batch;
    const length = this.#batchBytes;
    const endCrc = this.#acceptedCrc;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#batchStartCrc = endCrc;
    const run = this.#tail.then(() => this.#keep(chunks, length, endCrc));
    // The queue survives a failed write; the failure reaches the attempt through `run`.
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #keep(chunks: readonly Buffer[], length: number, endCrc: number): Promise<void> {
    await this.#store.write(this.index, this.start + this.written, chunks, length);
    this.#stored = { crc32c: endCrc, length: this.#stored.length + length };
    this.#onStored?.(length);
  }
}

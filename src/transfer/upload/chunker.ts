/**
 * Cuts a byte stream into exact-size upload parts (the last one smaller), copying the incoming pieces into
 * pooled part buffers. One shared async generator: the upload job pulls a part only when it has a free
 * slot, so reading the source is paced by the uploads and memory stays within the pool's budget
 * (lib-storage's work-stealing chunker, with owned buffers instead of `Buffer.concat`).
 */
import { InvalidArgumentError } from '../../errors.js';
import { abortErrorFor, onAbort } from '../../util/abort.js';
import type { BufferPool } from './buffer-pool.js';

/** One part cut from the stream. The consumer owns `buffer` and must give it back to the pool. */
export interface StreamPart {
  /** 1-based. */
  partNumber: number;
  /** A pool buffer; the part's bytes are `[0, length)`. */
  buffer: ArrayBuffer;
  length: number;
  /** True when no byte follows this part (known thanks to a one-piece lookahead). */
  last: boolean;
}

/**
 * Yields the parts of `source`, each `pool.bufferSize` bytes except the last. An empty source yields nothing.
 * When `signal` fires, a pending read is abandoned, the source is closed and the generator rejects with an
 * AbortError; a buffer acquired but not yet yielded goes back to the pool whenever the generator ends.
 */
export async function* chunkStream(
  source: AsyncIterable<Uint8Array | string>,
  pool: BufferPool,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<StreamPart, void, undefined> {
  const { signal } = options;
  const partSize = pool.bufferSize;
  const iterator = source[Symbol.asyncIterator]();
  let piece: Uint8Array | undefined;
  let sourceDone = false;
  /** A read abandoned by an abort is still pending inside the source's iterator. */
  let reading = false;
  let held: ArrayBuffer | undefined;

  const nextPiece = async (): Promise<Uint8Array | undefined> => {
    while (!sourceDone) {
      reading = true;
      const result = await raceAbort(iterator.next(), signal);
      reading = false;
      if (result.done) {
        sourceDone = true;
        return undefined;
      }
      const value = toBytes(result.value);
      if (value.byteLength > 0) return value;
    }
    return undefined;
  };

  try {
    let partNumber = 0;
    let filled = 0;
    piece = await nextPiece();
    while (piece) {
      held ??= await pool.acquire(signal ? { signal } : {});
      const take = Math.min(piece.byteLength, partSize - filled);
      new Uint8Array(held, filled, take).set(piece.subarray(0, take));
      filled += take;
      piece = take < piece.byteLength ? piece.subarray(take) : await nextPiece();
      if (filled === partSize || !piece) {
        const buffer = held;
        held = undefined;
        const length = filled;
        filled = 0;
        yield { partNumber: ++partNumber, buffer, length, last: !piece };
      }
    }
  } finally {
    if (held) pool.release(held);
    if (!sourceDone) await closeSource(source, iterator, reading);
  }
}

/**
 * Closes a source the consumer stopped reading early (a Readable is destroyed). An async generator queues
 * `return()` behind a pending `next()`, so a source with a read in flight is destroyed directly when it can be,
 * and never awaited.
 */
async function closeSource(
  source: AsyncIterable<unknown>,
  iterator: AsyncIterator<unknown>,
  reading: boolean,
): Promise<void> {
  const destroy = (source as { destroy?: (error?: Error) => void }).destroy;
  if (reading) {
    if (typeof destroy === 'function') destroy.call(source);
    iterator.return?.().catch(() => undefined);
    return;
  }
  await iterator.return?.().catch(() => undefined);
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new InvalidArgumentError(
    `Expected the upload source to yield Uint8Array or string chunks, got \`${String(value)}\` (${typeof value})`,
  );
}

/** Settles with `promise`, or rejects with an AbortError as soon as `signal` fires. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const dispose = onAbort(signal, () => reject(abortErrorFor(signal)));
    promise.then(
      (value) => {
        dispose();
        resolve(value);
      },
      (error: unknown) => {
        dispose();
        reject(error);
      },
    );
  });
}

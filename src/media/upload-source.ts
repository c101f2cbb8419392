/**
 * Where upload bytes come from. A resumable upload reads its source by offset, because after a failure the
 * server decides where to resume (its `Range` answer), which may be before the end of what was sent:
 *
 * - bytes (`Uint8Array`/`Buffer`) and files are *seekable*: any offset can be read again;
 * - a `Readable` (or any async iterable of bytes) is not: the source keeps the bytes from the last offset the
 *   server acknowledged (see {@link UploadSource.release}) up to what was read, so memory stays at about one
 *   chunk, and a rewind into that window works; a rewind before it is reported by the caller as data loss.
 */
import { createReadStream, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InvalidArgumentError, InvalidStateError, SourceChangedError } from '../errors.js';
import { abortErrorFor, onAbort, throwIfAborted } from '../util/abort.js';
import { describe } from './arguments.js';

/** What an upload accepts as its data: bytes, a file path, or a stream of bytes. */
export type UploadSourceInput = Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

export interface UploadSource {
  /** Whether any offset can be read again (bytes and files), or only those not yet released (streams). */
  readonly seekable: boolean;
  /** The lowest offset that can still be read: 0 for seekable sources, the released offset for streams. */
  readonly floor: number;
  /** The total length when the source knows it (bytes, files); undefined for streams. */
  length(): Promise<number | undefined>;
  /**
   * Reads `length` bytes at `offset`, or fewer when the source ends first. `offset` must be >= `floor`.
   * @throws SourceChangedError when a file changed (size or modification time) since `length()` was called.
   */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Declares that no offset below `offset` will be read again, so a stream can free those bytes. */
  release(offset: number): void;
}

/** An in-memory source: reads are views, never copies. */
class BytesSource implements UploadSource {
  readonly seekable = true;
  readonly floor = 0;
  readonly #data: Uint8Array;

  constructor(data: Uint8Array) {
    this.#data = data;
  }

  async length(): Promise<number> {
    return this.#data.byteLength;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    return this.#data.subarray(offset, offset + length);
  }

  release(): void {}
}

/**
 * A file read by offset. The file is opened for each read rather than held open: an upload abandoned halfway
 * leaks no descriptor, and one open per chunk (>= 256 KiB) costs nothing measurable.
 */
class FileSource implements UploadSource {
  readonly seekable = true;
  readonly floor = 0;
  readonly #path: string;
  #identity: Pick<Stats, 'size' | 'mtimeMs' | 'ino'> | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  async length(): Promise<number> {
    const handle = await open(this.#path, 'r');
    try {
      const stats = await handle.stat();
      this.#identity = { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino };
      return stats.size;
    } finally {
      await handle.close();
    }
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    const handle = await open(this.#path, 'r');
    try {
      if (this.#identity) {
        const now = await handle.stat();
        const before = this.#identity;
        if (now.size !== before.size || now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) {
          throw new SourceChangedError(
            `The file ${this.#path} changed during the upload (size ${before.size} → ${now.size}, ` +
              `mtime ${before.mtimeMs} → ${now.mtimeMs}); the uploaded object would mix two versions of it`,
          );
        }
      }
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  release(): void {}
}

/**
 * A stream read on demand. It is consumed with `read()` and per-pull listeners rather than an async iterator,
 * so nothing stays attached between reads, an aborted read loses no data, and the caller's stream is never
 * destroyed by us.
 */
class StreamSource implements UploadSource {
  readonly seekable = false;
  readonly #stream: Readable;
  /** Bytes from `#floor` on, in order; their total is `#retained`. */
  readonly #chunks: Buffer[] = [];
  #floor = 0;
  #retained = 0;
  #ended = false;

  constructor(stream: Readable) {
    this.#stream = stream;
  }

  get floor(): number {
    return this.#floor;
  }

  async length(): Promise<undefined> {
    return undefined;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (offset < this.#floor) {
      throw new InvalidStateError(`Cannot read offset ${offset} of a stream: bytes before ${this.#floor} were released`);
    }
    while (!this.#ended && this.#floor + this.#retained < offset + length) {
      const chunk = await this.#pull(signal);
      if (chunk === null) this.#ended = true;
      else {
        this.#chunks.push(chunk);
        this.#retained += chunk.byteLength;
      }
    }
    // Copy the window out: later releases must not change what a request is sending.
    const out = Buffer.allocUnsafe(Math.max(0, Math.min(length, this.#floor + this.#retained - offset)));
    let position = this.#floor;
    for (const chunk of this.#chunks) {
      const from = Math.max(offset - position, 0);
      const to = Math.min(offset + out.byteLength - position, chunk.byteLength);
      if (to > from) chunk.copy(out, position + from - offset, from, to);
      position += chunk.byteLength;
      if (position >= offset + out.byteLength) break;
    }
    return out;
  }

  release(offset: number): void {
    while (this.#floor < offset) {
      const first = this.#chunks[0];
      if (!first) break;
      const drop = Math.min(first.byteLength, offset - this.#floor);
      if (drop === first.byteLength) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(drop);
      this.#floor += drop;
      this.#retained -= drop;
    }
  }

  /** The next chunk of the stream, or null at its end. */
  async #pull(signal?: AbortSignal): Promise<Buffer | null> {
    const stream = this.#stream;
    for (;;) {
      throwIfAborted(signal);
      const chunk: unknown = stream.read();
      if (chunk !== null) return toBuffer(chunk);
      if (stream.readableEnded) return null;
      if (stream.errored) throw stream.errored;
      if (stream.destroyed) throw new SourceChangedError('The source stream was destroyed before it ended');
      await new Promise<void>((resolve, reject) => {
        const settle = (error?: unknown): void => {
          stream.off('readable', onReadable);
          stream.off('end', onReadable);
          stream.off('close', onReadable);
          stream.off('error', settle);
          disposeAbort();
          if (error === undefined) resolve();
          else reject(error);
        };
        const onReadable = (): void => settle();
        stream.on('readable', onReadable);
        stream.once('end', onReadable);
        stream.once('close', onReadable);
        stream.once('error', settle);
        const disposeAbort = onAbort(signal, () => settle(abortErrorFor(signal as AbortSignal)));
      });
    }
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new InvalidArgumentError(`Expected the source stream to yield bytes, got a chunk of type ${typeof chunk}`);
}

function isReadable(value: object): value is Readable {
  return typeof (value as Readable).read === 'function' && typeof (value as Readable).on === 'function';
}

/**
 * The source for `input`: bytes, a file path, a `Readable`, or any async iterable of byte chunks.
 * @param argument The argument's name, for the InvalidArgumentError thrown for anything else.
 */
export function createUploadSource(input: unknown, argument = 'source'): UploadSource {
  if (input instanceof Uint8Array) return new BytesSource(input);
  if (typeof input === 'string') {
    if (input === '') throw new InvalidArgumentError(`Expected \`${argument}\` to be a non-empty file path, got ''`);
    return new FileSource(input);
  }
  if (typeof input === 'object' && input !== null) {
    if (isReadable(input)) return new StreamSource(input);
    if (Symbol.asyncIterator in input) return new StreamSource(Readable.from(input as AsyncIterable<Uint8Array>, { objectMode: false }));
  }
  throw new InvalidArgumentError(
    `Expected \`${argument}\` to be a Uint8Array/Buffer, a file path or a Readable, got ${describe(input)}`,
  );
}

/**
 * Streams `[start, end)` of a file, for part uploads: one fresh stream per attempt, so a retry re-reads the
 * range from disk instead of holding the part in memory.
 */
export function fileRangeStream(path: string, start: number, end: number): Readable {
  // createReadStream's `end` is inclusive; an empty range cannot be expressed, so give an empty stream.
  if (end <= start) return Readable.from([]);
  return createReadStream(path, { start, end: end - 1, highWaterMark: 256 * 1024 });
}

/**
 * Where downloaded bytes go: the caller's `Writable`, a file we open by path, or memory (no destination given,
 * the body is returned). Writes honour back-pressure, so a slow destination slows the download instead of
 * filling memory, and every wait is abortable.
 */
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { abortErrorFor, onAbort } from '../util/abort.js';

/** A download destination: a Writable (never ended by us) or a file path (created or truncated). */
export type DownloadDestination = Writable | string;

/** Whether `value` is a Node Writable (or quacks like one: `write`, `once` and `writable`). */
export function isWritable(value: unknown): value is Writable {
  if (value instanceof Writable) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Writable>;
  return typeof candidate.write === 'function' && typeof candidate.once === 'function' && 'writable' in candidate;
}

/** A short description of a value for error messages: its type, and its value when it is a primitive. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string') return `'${value}' (string)`;
  if (typeof value !== 'object') return `${String(value)} (${typeof value})`;
  return `an instance of ${value.constructor?.name ?? 'Object'}`;
}

/** Checks a `stream` argument: a Writable, or (when `allowPath`) a non-empty file path. */
export function assertDestination(value: unknown, argument: string, allowPath: boolean): asserts value is DownloadDestination {
  if (isWritable(value)) return;
  if (allowPath && typeof value === 'string' && value !== '') return;
  const expected = allowPath ? 'a Writable stream or a non-empty file path' : 'a Writable stream';
  throw new InvalidArgumentError(`Expected \`${argument}\` to be ${expected}, got ${describeValue(value)}`);
}

function closedError(): InvalidStateError {
  return new InvalidStateError('The destination stream was closed before the download finished');
}

/**
 * Hands `chunk` to `stream`, first waiting for 'drain' if an earlier write filled its buffer. Waiting *before*
 * writing means that once this settles the bytes are the stream's, and when it fails they are not: callers
 * can count exactly what the destination holds. Returns a promise only when it had to wait (no promise per
 * piece while the destination keeps up); fails (throws, or rejects after a wait) with the stream's own error,
 * with InvalidStateError when it was closed under us, and with AbortError when `signal` fires. `onWritten` is
 * the write's callback (it runs once the destination has processed the bytes).
 */
export function writeChunk(
  stream: Writable,
  chunk: Uint8Array,
  signal?: AbortSignal,
  onWritten?: (error?: Error | null) => void,
): Promise<void> | void {
  if (stream.writableNeedDrain) return drained(stream, signal).then(() => writeNow(stream, chunk, signal, onWritten));
  writeNow(stream, chunk, signal, onWritten);
}

function writeNow(stream: Writable, chunk: Uint8Array, signal: AbortSignal | undefined, onWritten?: (error?: Error | null) => void): void {
  if (signal?.aborted) throw abortErrorFor(signal);
  if (stream.errored) throw stream.errored;
  if (stream.destroyed || stream.writableEnded) throw closedError();
  stream.write(chunk, onWritten);
}

/** Resolves on 'drain'; rejects on the stream's error or close, or when `signal` fires. */
function drained(stream: Writable, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error): void => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      disposeAbort();
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onError = (error: Error): void => settle(error);
    const onClose = (): void => settle(stream.errored ?? closedError());
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
    const disposeAbort = onAbort(signal, () => settle(abortErrorFor(signal as AbortSignal)));
  });
}

/** Where one download writes; `finish` or `fail` is called exactly once at the end. */
export interface DownloadSink {
  /** Takes `chunk`; a promise only when the destination asked to wait (see {@link writeChunk}). */
  write(chunk: Uint8Array, signal?: AbortSignal): Promise<void> | void;
  /** Makes sure everything written has reached the destination (a file is closed). */
  finish(): Promise<void>;
  /** Releases the destination after a failure (a file we created is closed and removed). */
  fail(): Promise<void>;
  /** The bytes received, for the in-memory sink only. */
  readonly body?: Buffer;
}

/** Writes to a stream and can wait until every write has been taken by it. */
class StreamSink implements DownloadSink {
  protected readonly stream: Writable;
  /** Writes handed to the stream whose callback has not run yet, and the first error one reported. */
  #unsettled = 0;
  #writeError: Error | undefined;
  #onSettled: (() => void) | undefined;

  constructor(stream: Writable) {
    this.stream = stream;
  }

  write(chunk: Uint8Array, signal?: AbortSignal): Promise<void> | void {
    const pending = writeChunk(this.stream, chunk, signal, this.#written);
    // Counted once the stream has the bytes (it then calls back exactly once, in order).
    if (pending === undefined) this.#unsettled++;
    else return pending.then(() => void this.#unsettled++);
  }

  readonly #written = (error?: Error | null): void => {
    if (error) this.#writeError ??= error;
    if (--this.#unsettled === 0) this.#onSettled?.();
  };

  async finish(): Promise<void> {
    // Writable callbacks run in order, so none unsettled means every write has landed.
    if (this.#unsettled > 0) await new Promise<void>((resolve) => (this.#onSettled = resolve));
    this.#onSettled = undefined;
    if (this.#writeError) throw this.#writeError;
  }

  async fail(): Promise<void> {
    // The caller owns the stream: what was written stays and it is not ended, as in Python.
  }
}

/** A file opened by path when the download starts: closed when it finishes, removed when it fails. */
class FileSink extends StreamSink {
  readonly #path: string;

  constructor(path: string) {
    super(createWriteStream(path, { flags: 'w' }));
    this.#path = path;
    // An open or write failure is kept in `stream.errored` and rethrown by the next write or `finish`; without
    // a listener it would be an uncaught 'error' event.
    this.stream.on('error', () => undefined);
  }

  override async finish(): Promise<void> {
    await super.finish();
    await new Promise<void>((resolve, reject) => {
      const settle = (): void => (this.stream.errored ? reject(this.stream.errored) : resolve());
      if (this.stream.closed) settle();
      else {
        this.stream.once('close', settle);
        this.stream.end();
      }
    });
  }

  override async fail(): Promise<void> {
    // Half a file must not pass for the object: the caller asked for the object or nothing.
    await new Promise<void>((resolve) => {
      if (this.stream.closed) resolve();
      else {
        this.stream.once('close', () => resolve());
        this.stream.destroy();
      }
    });
    await unlink(this.#path).catch(() => undefined);
  }
}

/** Collects the body in memory, for a download without a destination. */
class MemorySink implements DownloadSink {
  readonly #chunks: Buffer[] = [];

  write(chunk: Uint8Array): void {
    // Copy: a transport may reuse its buffers once the piece has been handed over.
    this.#chunks.push(Buffer.from(chunk));
  }

  get body(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  async finish(): Promise<void> {}

  async fail(): Promise<void> {
    this.#chunks.length = 0;
  }
}

/** The sink for a destination: its stream, a file at its path, or memory when there is none. */
export function openSink(destination: DownloadDestination | undefined): DownloadSink {
  if (destination === undefined) return new MemorySink();
  if (typeof destination === 'string') return new FileSink(destination);
  return new StreamSink(destination);
}

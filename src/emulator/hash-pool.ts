/**
 * MD5 and CRC32C of uploaded bodies, off the event loop. MD5 runs at ~0.5–0.7 GiB/s per core, so hashing on the
 * event loop made one core the emulator's upload ceiling whatever the machine. Bodies are
 * now written and hashed by a few threads: the event loop only copies arriving chunks into 1 MiB batch buffers
 * shared with the thread that owns the stream (hash state cannot move between threads, so a stream
 * stays on one). Measured with bench/emulator-upload-cost.ts; see the README's emulator section.
 *
 * One pool per process, started on first use and shared by every emulator in it; its threads are unref'd, so
 * they never keep a process alive.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Digests } from './hashes.js';
import type { HashReply, HashRequest } from './hash-thread.js';

const THREAD_FILE =
  extname(fileURLToPath(import.meta.url)) === '.ts' ? new URL('./hash-thread-from-source.mjs', import.meta.url) : new URL('./hash-thread.js', import.meta.url);

/** Bytes copied together before a batch crosses to its thread: few messages per GiB, little memory. */
const BATCH_BYTES = 1024 * 1024;
/** Batches of one stream allowed in flight before `write` waits: bounds memory per upload at 4 MiB. */
const MAX_PENDING_BATCHES = 4;
/** Idle batch buffers kept for reuse by later uploads, so a busy emulator does not allocate per upload. */
const MAX_IDLE_BATCHES = 64;
const idleBatches: SharedArrayBuffer[] = [];

/**
 * Threads: all cores but the one the event loop needs, at least 1 and at most 4 (four MD5 threads outrun any
 * loopback client this emulator has served).
 */
export const HASH_THREADS = Math.max(1, Math.min(4, availableParallelism() - 1));

type Request = HashRequest extends infer R ? (R extends unknown ? Omit<R, 'seq'> : never) : never;

class HashThread {
  readonly worker: Worker;
  streams = 0;
  #seq = 0;
  readonly #pending = new Map<number, { resolve: (reply: HashReply) => void; reject: (error: Error) => void }>();
  #failed: Error | undefined;

  constructor(onDeath: () => void) {
    this.worker = new Worker(THREAD_FILE);
    const die = (error: Error): void => {
      this.#failed = error;
      for (const { reject } of this.#pending.values()) reject(error);
      this.#pending.clear();
      onDeath();
    };
    this.worker.on('message', (reply: HashReply) => {
      const waiter = this.#pending.get(reply.seq);
      this.#pending.delete(reply.seq);
      if (this.#pending.size === 0) this.worker.unref();
      if (reply.error !== undefined) waiter?.reject(new Error(reply.error));
      else waiter?.resolve(reply);
    });
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`the hashing thread exited (code ${code})`)));
    // After the listeners: an idle thread must never keep a process alive (one with work in flight does).
    this.worker.unref();
  }

  send(request: Request): Promise<HashReply> {
    if (this.#failed) return Promise.reject(this.#failed);
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.worker.ref();
      this.#pending.set(seq, { resolve, reject });
      this.worker.postMessage({ ...request, seq });
    });
  }
}

let threads: HashThread[] | undefined;
let nextStreamId = 0;

function leastBusyThread(): HashThread {
  threads ??= Array.from({ length: HASH_THREADS }, () =>
    new HashThread(() => {
      // A dead thread fails its own streams; later uploads get a fresh pool.
      threads = undefined;
    }),
  );
  return threads.reduce((best, t) => (t.streams < best.streams ? t : best));
}

/**
 * A file being written and hashed by a hashing thread. Call `write` for each chunk in order, `digest` once at
 * the end (after which the hashes are spent), and always `close`. Memory: one batch being filled plus up to
 * `MAX_PENDING_BATCHES` in flight.
 */
export class HashingFile {
  readonly #thread: HashThread;
  readonly #id = ++nextStreamId;
  readonly #opened: Promise<HashReply>;
  /**
   * Batch buffers, shared with the thread and reused: transferring fresh buffers instead left their memory to
   * the thread's garbage collector, which let ~70 MiB pile up during one large upload.
   */
  readonly #slots: SharedArrayBuffer[] = [];
  readonly #free: number[] = [];
  #slot: number | undefined;
  #filled = 0;
  readonly #inFlight: Promise<void>[] = [];
  #closed = false;

  /** Opens `path` (`'w'` truncates, `'a'` appends) in a hashing thread; `md5: false` computes CRC32C only. */
  constructor(path: string, options: { flags?: 'w' | 'a'; md5?: boolean } = {}) {
    this.#thread = leastBusyThread();
    this.#thread.streams += 1;
    this.#opened = this.#thread.send({ op: 'open', id: this.#id, path, flags: options.flags ?? 'w', md5: options.md5 !== false });
    // Failures surface through flush(); this keeps an early one from being an unhandled rejection.
    this.#opened.catch(() => undefined);
  }

  /** Copies `chunk` into the current batch; waits when every batch buffer is in flight (backpressure). */
  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.byteLength) {
      this.#slot ??= await this.#takeSlot();
      const n = Math.min(chunk.byteLength - offset, BATCH_BYTES - this.#filled);
      new Uint8Array(this.#slots[this.#slot] as SharedArrayBuffer).set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === BATCH_BYTES) this.#send();
    }
  }

  async #takeSlot(): Promise<number> {
    for (;;) {
      const free = this.#free.pop();
      if (free !== undefined) return free;
      if (this.#slots.length < MAX_PENDING_BATCHES) return this.#slots.push(idleBatches.pop() ?? new SharedArrayBuffer(BATCH_BYTES)) - 1;
      await this.#inFlight.shift();
    }
  }

  #send(): void {
    const slot = this.#slot;
    if (slot === undefined || this.#filled === 0) return;
    const length = this.#filled;
    this.#slot = undefined;
    this.#filled = 0;
    const written = this.#thread
      .send({ op: 'write', id: this.#id, buffer: this.#slots[slot] as SharedArrayBuffer, length })
      .then(() => void this.#free.push(slot));
    written.catch(() => undefined);
    this.#inFlight.push(written);
  }

  /** Sends what is batched and waits until every byte written so far is on disk and hashed. */
  async flush(): Promise<void> {
    await this.#opened;
    this.#send();
    while (this.#inFlight.length > 0) await this.#inFlight.shift();
  }

  /** The hashes of everything written. Call once. */
  async digest(): Promise<Digests> {
    await this.flush();
    const reply = await this.#thread.send({ op: 'digest', id: this.#id });
    const crc32c = reply.crc32c ?? '';
    return reply.md5 === undefined ? { crc32c } : { crc32c, md5: reply.md5 };
  }

  /** Waits for pending writes (ignoring their errors) and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#slot = undefined;
    this.#filled = 0;
    await Promise.allSettled([this.#opened, ...this.#inFlight.splice(0)]);
    // Every write has been answered, so no thread still reads these buffers.
    for (const slot of this.#slots.splice(0)) if (idleBatches.length < MAX_IDLE_BATCHES) idleBatches.push(slot);
    try {
      await this.#thread.send({ op: 'close', id: this.#id });
    } catch {
      // The thread is gone, and the descriptor with it.
    } finally {
      this.#thread.streams -= 1;
    }
  }
}

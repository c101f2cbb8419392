/**
 * The engine's piscina pool. Workers run download ranges, part uploads and range hashing off the main thread; this side turns
 * each run into a typed outcome and wires cooperative cancellation and progress through a per-task
 * `MessageChannel` (never `pool.run`'s own `signal`, which would terminate the thread and its warm sockets).
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { InvalidArgumentError, InvalidStateError, WorkerError, deserializeError } from '../errors.js';
import type { RetryEvent } from '../transport/retry.js';
import { abortErrorFor, onAbort } from '../util/abort.js';
import {
  HANDLERS,
  TASK_CANCELLED,
  TASK_QUEUED,
  type CancelMessage,
  type DownloadRangeTask,
  type DownloadRangeValue,
  type HashRangeTask,
  type HashRangeValue,
  type PortMessage,
  type ProgressMessage,
  type RangeHeadMessage,
  type RangeStoredMessage,
  type TaskReply,
  type UploadPartTask,
  type UploadPartValue,
} from './protocol.js';

/**
 * The worker file, chosen by this module's own extension: `entry.js` in the built package; from the TypeScript
 * sources (under tsx), a small `.mjs` bootstrap that registers tsx inside the thread, because Node 20 does not
 * apply the parent's `--import tsx` hooks to worker threads.
 */
const WORKER_ENTRY =
  extname(fileURLToPath(import.meta.url)) === '.ts'
    ? new URL('../../workers/entry-from-source.mjs', import.meta.url)
    : new URL('../../workers/entry.js', import.meta.url);

/**
 * One thread per core, up to 4. Both directions now move their bytes in the workers (a download range costs
 * its worker about 2.5 CPU seconds per GiB with CRC32C and disk writes, an upload part about 2.5), so one
 * thread tops out near 400–500 MiB/s on the machines measured and a fast NIC needs several; each thread costs
 * about 50 MiB of resident memory (its own V8 heap, a second copy of undici), which is why the default stops at
 * 4 (the bench's per-GiB figures show when more would pay: set `workers`). Requests in flight (`concurrency`)
 * are independent of it: one thread serves many requests.
 */
export const DEFAULT_MAX_THREADS = Math.max(1, Math.min(availableParallelism(), 4));

/**
 * Young-generation cap of each worker's V8 heap. Workers allocate mostly short-lived read buffers; a small young
 * generation collects them sooner, which measured about 8 MiB less RSS per uploading thread at no visible cost.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/**
 * Parts each thread runs at once. Tasks are I/O-bound, so a thread can carry many; this is high enough that the
 * engine's own windows, not piscina's queue, decide how many parts are in flight.
 */
export const DEFAULT_TASKS_PER_THREAD = 16;

/** With no task running for this long, the threads (and their keep-alive sockets) are stopped; the next task starts them again. */
const IDLE_TIMEOUT_MS = 30_000;

export interface WorkerPoolOptions {
  /**
   * Worker threads.
   * @default min(os.availableParallelism(), 2)
   */
  maxThreads?: number;
}

/**
 * Spreads tasks over every thread the pool may have. piscina's default balancer keeps giving tasks to the
 * threads it has until each carries `concurrentTasksPerWorker`, so 16 ranges in flight would all share one
 * thread and one core; this one lets the pool start another thread while none is idle, then picks the least
 * busy.
 */
/** How a task ended, with the transferred buffer (if any) handed back either way so it can be reused. */
export type TaskOutcome<T> = { ok: true; value: T; buffer?: ArrayBuffer } | { ok: false; error: Error; buffer?: ArrayBuffer };

export interface RunOptions {
  /** Cancels the task cooperatively; it then ends with an AbortError outcome. */
  signal?: AbortSignal;
  /** Buffers moved to the worker with the task (the caller's references are detached). */
  transfer?: ArrayBuffer[];
  /** Worker progress reports for the task. */
  onProgress?: (message: ProgressMessage) => void;
  /** A download range's reports: its response's object facts, and each stored batch. */
  onRange?: (message: RangeHeadMessage | RangeStoredMessage) => void;
  /** A request of the task failed and is being retried in the worker. */
  onRetry?: (event: RetryEvent) => void;
}

type TaskWithoutPort<T> = Omit<T, 'port' | 'state'>;

export class WorkerPool {
  readonly #maxThreads: number;
  #piscina: Piscina | undefined;
  #closed = false;
  /** Tasks in flight, and the timer that retires the threads once there have been none for a while. */
  #running = 0;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(options: WorkerPoolOptions = {}) {
    const maxThreads = options.maxThreads ?? DEFAULT_MAX_THREADS;
    if (!Number.isSafeInteger(maxThreads) || maxThreads < 1) {
      throw new InvalidArgumentError(
        `Expected \`workers\` to be a positive integer, got \`${String(maxThreads)}\` (${typeof maxThreads})`,
      );
    }
    this.#maxThreads = maxThreads;
  }

  get maxThreads(): number {
    return this.#maxThreads;
  }

  /** Threads started so far (threads start lazily, with the first task). */
  get threads(): number {
    return this.#piscina?.threads.length ?? 0;
  }

  uploadPart(task: TaskWithoutPort<UploadPartTask>, options: RunOptions = {}): Promise<TaskOutcome<UploadPartValue>> {
    return this.#run<UploadPartTask, UploadPartValue>(HANDLERS.uploadPart, task, options);
  }

  hashRange(task: TaskWithoutPort<HashRangeTask>, options: RunOptions = {}): Promise<TaskOutcome<HashRangeValue>> {
    return this.#run<HashRangeTask, HashRangeValue>(HANDLERS.hashRange, task, options);
  }

  /**
   * Downloads one range in a worker. The outcome is always a value (with `failure` set when the range did not
   * complete), so the caller knows what was stored either way.
   */
  downloadRange(task: TaskWithoutPort<DownloadRangeTask>, options: RunOptions = {}): Promise<TaskOutcome<DownloadRangeValue>> {
    return this.#run<DownloadRangeTask, DownloadRangeValue>(HANDLERS.downloadRange, task, options);
  }

  /** Waits for running tasks, then stops the threads. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    const piscina = this.#piscina;
    this.#piscina = undefined;
    await piscina?.close();
  }

  /**
   * Runs one task. Resolves with the handler's outcome (errors rebuilt into their typed classes); rejects with a
   * WorkerError only when the thread itself failed (then a transferred buffer is lost).
   */
  async #run<T extends { port: unknown; state: unknown }, R>(
    name: string,
    task: TaskWithoutPort<T>,
    options: RunOptions,
  ): Promise<TaskOutcome<R>> {
    const piscina = this.#pool();
    this.#taskStarted();
    const { port1, port2 } = new MessageChannel();
    let received = 0;
    let expected = Infinity;
    let drained: () => void = () => undefined;
    const allReceived = new Promise<void>((resolve) => (drained = resolve));
    port1.on('message', (message: PortMessage) => {
      if (++received >= expected) drained();
      if (message.type === 'progress') options.onProgress?.(message);
      else if (message.type === 'head' || message.type === 'stored') options.onRange?.(message);
      else if (message.type === 'retry') {
        options.onRetry?.({ error: deserializeError(message.error), attempt: message.attempt, delayMs: message.delayMs });
      }
    });
    const state = new Int32Array(new SharedArrayBuffer(4));
    let cancelledEarly: () => void = () => undefined;
    const early = new Promise<'cancelled'>((resolve) => (cancelledEarly = () => resolve('cancelled')));
    const disposeAbort = onAbort(options.signal, () => {
      if (Atomics.compareExchange(state, 0, TASK_QUEUED, TASK_CANCELLED) === TASK_QUEUED) {
        cancelledEarly();
        return;
      }
      const cancel: CancelMessage = { type: 'cancel' };
      port1.postMessage(cancel);
    });
    try {
      let reply: TaskReply<R>;
      try {
        const running = piscina.run({ ...task, port: port2, state }, { name, transferList: [port2, ...(options.transfer ?? [])] });
        const first = await Promise.race([running, early]);
        if (first === 'cancelled') {
          // The worker will answer without doing anything once it gets to the task; nobody needs that answer.
          running.catch(() => undefined);
          return { ok: false, error: abortErrorFor(options.signal as AbortSignal) };
        }
        reply = first as TaskReply<R>;
      } catch (error) {
        throw new WorkerError(`The worker running ${name} failed: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
      if (reply.messages !== undefined && received < reply.messages) {
        expected = reply.messages;
        await allReceived;
      }
      const buffer = reply.buffer ? { buffer: reply.buffer } : {};
      if (reply.result.ok) return { ok: true, value: reply.result.value, ...buffer };
      return { ok: false, error: deserializeError(reply.result.error), ...buffer };
    } finally {
      disposeAbort();
      port1.close();
      this.#taskEnded();
    }
  }

  #taskStarted(): void {
    this.#running++;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** The last running task ended: retire the threads if nothing else comes within IDLE_TIMEOUT_MS. */
  #taskEnded(): void {
    if (--this.#running > 0) return;
    this.#idleTimer = setTimeout(() => {
      const piscina = this.#piscina;
      this.#piscina = undefined;
      this.#idleTimer = undefined;
      void piscina?.close();
    }, IDLE_TIMEOUT_MS);
    // An idle pool must not keep the process alive.
    this.#idleTimer.unref();
  }

  #pool(): Piscina {
    if (this.#closed) throw new InvalidStateError('The worker pool is closed');
    this.#piscina ??= new Piscina({
      filename: WORKER_ENTRY.href,
      maxThreads: this.#maxThreads,
      // Every thread starts with the first task, so that tasks spread over all of them at once (piscina would
      // otherwise fill one thread up to concurrentTasksPerWorker before starting the next, and 16 ranges would
      // share one core). The whole pool is retired after an idle spell instead (see #taskEnded).
      minThreads: this.#maxThreads,
      concurrentTasksPerWorker: DEFAULT_TASKS_PER_THREAD,
      // Parked threads would freeze their keep-alive sockets and port listeners between tasks (piscina's
      // default 'sync' mode uses Atomics.wait); measured faster for undici PUTs too.
      atomics: 'disabled',
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    return this.#piscina;
  }
}

/**
 * A worker machine of distributed transfers: takes tasks of any job from the Redis queue and runs them with
 * this machine's own GCS connection and credentials (Application Default Credentials unless told otherwise;
 * nothing secret travels through Redis). A worker that dies mid-task loses its BullMQ lease; another worker's
 * stalled-job check hands the task to someone else after `leaseMs`.
 */
import { setMaxListeners } from 'node:events';
import { DelayedError, FlowProducer, Job, Queue, Worker, type RedisClient } from 'bullmq';
import { InvalidArgumentError } from '../errors.js';
import { TransferManager } from '../transfer/transfer-manager.js';
import { RetryStrategy } from '../transport/retry.js';
import type { AuthOption } from '../transport/create-transport.js';
import { createTransport } from '../transport/create-transport.js';
import { GcsEndpoint } from '../transport/endpoint.js';
import type { AnyTask, JobSpec } from './job-spec.js';
import { JobStore, KEY_PREFIX } from './job-state.js';
import { DEFAULT_ATTEMPTS, MAX_STALLED, QUEUE_NAME, RETRY_BACKOFF } from './queue-names.js';
import { parseQueueUrl, type QueueConnection } from './queue-url.js';
import { probeRedis, redisOptions } from './redis-connection.js';
import type { Engine, Enqueuer, FlowChildren, NewTask, TaskContext } from './task-context.js';
import { failTask, isTransient, runTask, unrecoverable } from './task-runner.js';

/** Tasks one worker process runs at once. @default 16 */
export const DEFAULT_WORKER_CONCURRENCY = 16;
/** How long a task's lease lasts without renewal: a dead worker's tasks move elsewhere after about this. @default 30 s */
export const DEFAULT_LEASE_MS = 30_000;
/** Waiting tasks above which listing holds back. @default 10_000 */
export const DEFAULT_MAX_BACKLOG = 10_000;

export interface WorkerOptions {
  /** `redis://host:port[/db]` (or `rediss://`), or parsed connection settings. */
  queue: string | QueueConnection;
  /**
   * Tasks this process runs at once (parts, ranges, small objects, listings). Memory: up to
   * `concurrency × chunkSize` for single-request uploads of small files, a few MiB per part or range otherwise.
   * @default 16
   */
  concurrency?: number;
  /**
   * How this machine authenticates to GCS.
   * @default 'none' for emulators and plain-http endpoints, else 'adc'
   */
  auth?: AuthOption;
  /**
   * Lease of a running task, in ms: renewed at half this while the worker lives; when a worker dies, its tasks
   * are handed to others after one to two leases.
   * @default 30_000
   */
  leaseMs?: number;
  /**
   * Tasks that may wait in the queue before listing tasks hold back (they go back to the queue for a second
   * and look again), bounding Redis memory at about 1 KiB per waiting task.
   * @default 10_000
   */
  maxBacklog?: number;
  /** Worker threads of this machine's TransferManager. @default min(cores, 4) */
  threads?: number;
  /** Stops waiting for Redis at start. @default undefined */
  signal?: AbortSignal;
  /** Called for each task that failed its object for good, and for worker errors. @default undefined */
  onEvent?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'failed'; task: string; job: string; message: string }
  | { type: 'deferred'; task: string; job: string }
  | { type: 'error'; message: string };

/** A running worker. */
export interface TransferWorker {
  /** BullMQ's id of this worker: the prefix of the lock tokens of the tasks it holds (for audits and tests). */
  readonly id: string;
  /** Stops taking tasks, waits for the running ones, and disconnects. */
  close(): Promise<void>;
}

/** Starts a worker; resolves once it is connected and taking tasks. */
export async function startWorker(options: WorkerOptions): Promise<TransferWorker> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected the worker options to be an object');
  const connection = typeof options.queue === 'string' ? parseQueueUrl(options.queue, 'queue') : options.queue;
  const concurrency = checkCount(options.concurrency ?? DEFAULT_WORKER_CONCURRENCY, 'concurrency', 1, 1024);
  const leaseMs = checkCount(options.leaseMs ?? DEFAULT_LEASE_MS, 'leaseMs', 1000, 3_600_000);
  const maxBacklog = checkCount(options.maxBacklog ?? DEFAULT_MAX_BACKLOG, 'maxBacklog', 0, 100_000_000);
  await probeRedis(connection, options.signal);
  const redis = redisOptions(connection);
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: KEY_PREFIX });
  const flows = new FlowProducer({ connection: redis, prefix: KEY_PREFIX });
  const client = await queue.client;
  const engines = new EngineCache(options.auth, options.threads);
  const specs = new Map<string, JobSpec>();
  const stop = new AbortController();
  // Every running task listens on this one signal (a few listeners each): not a leak, a bound of the concurrency.
  setMaxListeners(concurrency * 8 + 16, stop.signal);
  const pending = new Set<Promise<void>>();
  /** Tasks whose final failure the processor recorded (the 'failed' event then has nothing to add). */
  const recorded = new Set<string>();
  const emit = (event: WorkerEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A logging callback must not take the worker down.
    }
  };

  const contextFor = async (job: Job, token?: string): Promise<TaskContext> => {
    const data = job.data as AnyTask;
    const store = new JobStore(client, data.job);
    let spec = specs.get(data.job);
    if (spec === undefined) {
      spec = await store.spec();
      if (specs.size > 256) specs.clear();
      specs.set(data.job, spec);
    }
    return {
      spec,
      store,
      engine: engines.for(spec),
      enqueue: enqueuer(queue, flows, spec),
      children: childrenOf(job),
      signal: stop.signal,
      maxBacklog,
      async defer(ms: number): Promise<never> {
        await job.moveToDelayed(Date.now() + ms, token);
        emit({ type: 'deferred', task: job.name, job: data.job });
        throw new DelayedError();
      },
    };
  };

  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job, token?: string) => {
      const ctx = await contextFor(job, token);
      try {
        return await runTask(ctx, job.name, job.data as AnyTask);
      } catch (error) {
        if (error instanceof DelayedError) throw error;
        const attempts = job.opts.attempts ?? 1;
        if (isTransient(error) && job.attemptsMade + 1 < attempts) throw error;
        try {
          await failTask(ctx, job.name, job.data as AnyTask, error);
          if (job.id !== undefined) recorded.add(job.id);
        } catch (cause) {
          // Redis or the cleanup failed: the 'failed' handler below tries once more.
          emit({ type: 'error', message: `recording the failure of ${job.id ?? '?'}: ${String(cause)}` });
        }
        emit({ type: 'failed', task: job.name, job: ctx.spec.name, message: unrecoverable(error).message });
        throw unrecoverable(error);
      }
    },
    {
      connection: redis,
      prefix: KEY_PREFIX,
      concurrency,
      lockDuration: leaseMs,
      stalledInterval: leaseMs,
      maxStalledCount: MAX_STALLED,
    },
  );
  // Every final failure must reach the job's state, or the job never ends. The processor records its own;
  // this covers a task BullMQ failed without running it (it lost its worker too often) and a processor whose
  // recording failed. `finishedOn` is set only when BullMQ gives up on the task (not when it will retry).
  worker.on('failed', (job: Job | undefined, error: Error) => {
    if (job === undefined || job.finishedOn === undefined) return;
    if (job.id !== undefined && recorded.delete(job.id)) return;
    const done = contextFor(job)
      .then(async (ctx) => {
        await failTask(ctx, job.name, job.data as AnyTask, error);
        emit({ type: 'failed', task: job.name, job: ctx.spec.name, message: error.message });
      })
      .catch((cause: unknown) => emit({ type: 'error', message: `recording the failure of ${job.id ?? '?'}: ${String(cause)}` }))
      .finally(() => pending.delete(done));
    pending.add(done);
  });
  worker.on('error', (error: Error) => emit({ type: 'error', message: error.message }));
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  return {
    id: worker.id,
    close() {
      closing ??= (async () => {
        await worker.close();
        await Promise.allSettled([...pending]);
        stop.abort();
        await Promise.allSettled([queue.close(), flows.close(), engines.close()]);
      })();
      return closing;
    },
  };
}

function checkCount(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got \`${String(value)}\``);
  }
  return value;
}

/** BullMQ options of every task of a job: bounded attempts with back-off, finished tasks removed. */
export function taskOptions(spec: JobSpec, id: string): Record<string, unknown> {
  return {
    jobId: id,
    attempts: spec.attempts ?? DEFAULT_ATTEMPTS,
    backoff: RETRY_BACKOFF,
    removeOnComplete: true,
    // Failures are recorded in the job's own state; BullMQ's copy is kept a day for inspection.
    removeOnFail: { age: 24 * 3600 },
  };
}

function enqueuer(queue: Queue, flows: FlowProducer, spec: JobSpec): Enqueuer {
  return {
    async add(tasks: readonly NewTask[]) {
      if (tasks.length === 0) return;
      await queue.addBulk(tasks.map((t) => ({ name: t.name, data: t.data, opts: taskOptions(spec, t.id) })));
    },
    async addFlow(parent: NewTask, children: readonly NewTask[]) {
      await flows.add({
        name: parent.name,
        queueName: QUEUE_NAME,
        data: parent.data,
        opts: taskOptions(spec, parent.id),
        children: children.map((c) => ({
          name: c.name,
          queueName: QUEUE_NAME,
          data: c.data,
          opts: { ...taskOptions(spec, c.id), ignoreDependencyOnFailure: true },
        })),
      });
    },
    async exists(id: string) {
      return (await Job.fromId(queue, id)) !== undefined;
    },
    backlog() {
      return queue.getWaitingCount();
    },
  };
}

function childrenOf(job: Job): FlowChildren {
  return {
    async values<T>() {
      return Object.values(await job.getChildrenValues<T>());
    },
    async failures() {
      return Object.values(await job.getIgnoredChildrenFailures());
    },
  };
}

/** This machine's connection to each endpoint the jobs name, built on first use. */
class EngineCache {
  readonly #auth: AuthOption | undefined;
  readonly #threads: number | undefined;
  readonly #engines = new Map<string, Engine>();

  constructor(auth: AuthOption | undefined, threads: number | undefined) {
    this.#auth = auth;
    this.#threads = threads;
  }

  for(spec: JobSpec): Engine {
    const key = spec.endpoint ?? '';
    let engine = this.#engines.get(key);
    if (engine === undefined) {
      const endpoint = new GcsEndpoint(spec.endpoint);
      const auth = this.#auth ?? (endpoint.isEmulator || !endpoint.secure ? 'none' : 'adc');
      const transport = createTransport({ endpoint: endpoint.url, auth });
      const tm = new TransferManager({
        endpoint: endpoint.url,
        auth,
        transport,
        ...(this.#threads === undefined ? {} : { workers: this.#threads }),
      });
      engine = { endpoint, transport, tm, retry: new RetryStrategy() };
      this.#engines.set(key, engine);
    }
    return engine;
  }

  async close(): Promise<void> {
    for (const engine of this.#engines.values()) {
      await engine.tm.close();
      await engine.transport.close();
    }
    this.#engines.clear();
  }
}

export type { RedisClient };

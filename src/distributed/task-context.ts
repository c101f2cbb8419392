/**
 * What a task needs to run on a worker machine: the job's spec and state, the machine's own connection to GCS
 * (its transport and a TransferManager, authenticated with the machine's own credentials), and a way to add
 * more tasks. Built by the worker per task; nothing in it crosses Redis.
 */
import { join } from 'node:path';
import type { TransferManager } from '../transfer/transfer-manager.js';
import type { GcsEndpoint } from '../transport/endpoint.js';
import type { RetryStrategy } from '../transport/retry.js';
import type { Transport } from '../transport/transport.js';
import type { JobSpec, TaskName } from './job-spec.js';
import type { JobStore } from './job-state.js';

/** One GCS endpoint as this machine reaches it. */
export interface Engine {
  endpoint: GcsEndpoint;
  transport: Transport;
  /** Small objects go through the single-object engine (worker threads, checksums, retries). */
  tm: TransferManager;
  retry: RetryStrategy;
}

/** A task to add: its kind, payload, and deterministic id. */
export interface NewTask {
  name: TaskName;
  id: string;
  data: object;
}

export interface Enqueuer {
  /** Adds tasks (a task whose id is still queued or running is not added twice). */
  add(tasks: readonly NewTask[]): Promise<void>;
  /**
   * Adds a parent that runs once all its children have finished (completed, or failed for good: a child's
   * failure does not strand the parent, which then cancels instead of finalizing).
   */
  addFlow(parent: NewTask, children: readonly NewTask[]): Promise<void>;
  /** Whether a task with this id is queued, waiting for children, or running. */
  exists(id: string): Promise<boolean>;
  /** Tasks waiting to be taken, over all jobs. */
  backlog(): Promise<number>;
}

/** What the parent of a flow can read of its children. */
export interface FlowChildren {
  values<T>(): Promise<T[]>;
  /** Child failures, as `job key → reason`. */
  failures(): Promise<string[]>;
}

export interface TaskContext {
  spec: JobSpec;
  store: JobStore;
  engine: Engine;
  enqueue: Enqueuer;
  children: FlowChildren;
  signal: AbortSignal;
  /**
   * Tasks that may wait in the queue before a listing task holds back (see {@link holdBackListing}).
   * @default 10_000
   */
  maxBacklog: number;
  /** Puts this task back in the queue for `ms` without counting an attempt, freeing its slot meanwhile. */
  defer(ms: number): Promise<never>;
}

/** How long a listing task that finds the queue full waits before looking again. */
export const LISTING_DEFER_MS = 1000;

/**
 * Listing runs ahead of the transfers unless held back: a listing task that finds more than `maxBacklog` tasks
 * waiting goes back to the queue for a second, so Redis holds a bounded backlog (about 1 KiB per task) instead
 * of every object of a million-object job at once. Resolves only when the task may go on.
 */
export async function holdBackListing(ctx: TaskContext): Promise<void> {
  if ((await ctx.enqueue.backlog()) > ctx.maxBacklog) await ctx.defer(LISTING_DEFER_MS);
}

/** The local file of a relative path: the spec's path itself for a single file, else under the root. */
export function localPath(spec: JobSpec, rel: string): string {
  return spec.single ? spec.local : join(spec.local, ...rel.split('/'));
}

/**
 * Submitting a distributed transfer and watching it: the submitter validates the request, stores the plan in
 * Redis and enqueues one listing task; the workers do everything else, listing included, so a million objects
 * are never enumerated by one process up front. `status` and `wait` read the counters the workers keep.
 */
import { mkdir, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { InvalidArgumentError } from '../errors.js';
import { parseObjectRef } from '../transfer/object-ref.js';
import { DEFAULT_CHUNK_SIZE, DEFAULT_CONCURRENCY, MAX_CONCURRENCY } from '../transfer/options.js';
import { GcsEndpoint } from '../transport/endpoint.js';
import { sleep } from '../util/abort.js';
import { SPEC_VERSION, TASK, checkJobName, newJobName, taskId, type JobSpec } from './job-spec.js';
import { JobStore, KEY_PREFIX, type JobStatus } from './job-state.js';
import { DEFAULT_ATTEMPTS, QUEUE_NAME } from './queue-names.js';
import { parseQueueUrl, type QueueConnection } from './queue-url.js';
import { probeRedis, redisOptions } from './redis-connection.js';
import { pageListingKey } from './download-tasks.js';
import { dirListingKey } from './upload-tasks.js';
import { taskOptions } from './worker.js';

export interface SubmitOptions {
  /** `redis://host:port[/db]` (or `rediss://`), or parsed connection settings. */
  queue: string | QueueConnection;
  /**
   * A local file or directory (upload), or `gs://bucket/object` / `gs://bucket/prefix/` (download). Local paths
   * must be the same on every worker machine (a shared filesystem).
   */
  source: string;
  /** `gs://bucket/prefix/` or `gs://bucket/object` (upload), or a local directory or file (download). */
  destination: string;
  /** Copy a whole directory or prefix. @default false */
  recursive?: boolean;
  /** The job's name, for `status`. @default `t-<UTC date>-<time>-<4 hex digits>` */
  job?: string;
  /** Base URL of the GCS APIs. @default each worker's own (`STORAGE_EMULATOR_HOST`, else production) */
  endpoint?: string;
  /** Range / part size; larger objects become a flow of ranges or parts. @default 16 MiB */
  chunkSize?: number;
  /** Requests in flight within one small-object task. @default 16 */
  concurrency?: number;
  /** CRC32C verification of every range, part and object. @default true */
  checksum?: boolean;
  /** Content-Type of uploaded objects. @default 'application/octet-stream' */
  contentType?: string;
  /** Attempts of each task before it fails its object. @default 5 */
  attempts?: number;
  /** Resolves relative local paths. @default process.cwd() */
  cwd?: string;
  /** Stops waiting for Redis. @default undefined */
  signal?: AbortSignal;
}

/** Validates the request, stores the plan and enqueues the first listing task; resolves with the job's name. */
export async function submitTransfer(options: SubmitOptions): Promise<{ name: string; spec: JobSpec }> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Expected the submit options to be an object');
  const connection = typeof options.queue === 'string' ? parseQueueUrl(options.queue, 'queue') : options.queue;
  const spec = await planJob(options);
  await probeRedis(connection, options.signal);
  const queue = new Queue(QUEUE_NAME, { connection: redisOptions(connection, 'short-lived'), prefix: KEY_PREFIX });
  try {
    const store = new JobStore(await queue.client, spec.name);
    const upload = spec.direction === 'upload';
    const created = await store.create(spec, upload ? dirListingKey('') : pageListingKey(0));
    if (!created) throw new InvalidArgumentError(`A transfer named '${spec.name}' already exists in ${connection.display}; choose another --job name`);
    const root = upload
      ? { name: TASK.listDir, id: taskId.listDir(spec.name, ''), data: { job: spec.name, dir: '' } }
      : { name: TASK.listBucket, id: taskId.listBucket(spec.name, 0), data: { job: spec.name, page: 0 } };
    await queue.add(root.name, root.data, taskOptions(spec, root.id));
    return { name: spec.name, spec };
  } finally {
    await queue.close();
  }
}

/** Turns the request into the immutable plan, checking everything that can be checked here. */
async function planJob(options: SubmitOptions): Promise<JobSpec> {
  const cwd = options.cwd ?? process.cwd();
  const recursive = options.recursive ?? false;
  const { source, destination } = options;
  if (typeof source !== 'string' || typeof destination !== 'string' || source === '' || destination === '') {
    throw new InvalidArgumentError('Expected `source` and `destination` to be non-empty strings');
  }
  if (source.startsWith('gs://') === destination.startsWith('gs://')) {
    throw new InvalidArgumentError(`Exactly one of source and destination must be gs://…, got '${source}' and '${destination}'`);
  }
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new InvalidArgumentError(`Expected \`chunkSize\` to be a positive integer, got \`${String(chunkSize)}\``);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new InvalidArgumentError(`Expected \`concurrency\` to be an integer from 1 to ${MAX_CONCURRENCY}, got \`${String(concurrency)}\``);
  }
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  if (!Number.isSafeInteger(attempts) || attempts < 1 || attempts > 100) {
    throw new InvalidArgumentError(`Expected \`attempts\` to be an integer from 1 to 100, got \`${String(attempts)}\``);
  }
  if (options.endpoint !== undefined) new GcsEndpoint(options.endpoint);
  const base = {
    version: SPEC_VERSION,
    name: options.job === undefined ? newJobName() : checkJobName(options.job, 'job'),
    chunkSize,
    concurrency,
    checksum: options.checksum ?? true,
    attempts,
    createdAt: Date.now(),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
  } as const;

  if (destination.startsWith('gs://')) {
    const local = resolve(cwd, source);
    const info = await stat(local).catch(() => {
      throw new InvalidArgumentError(`The source '${source}' does not exist (it must be readable at the same path on every worker)`);
    });
    if (info.isDirectory() && !recursive) throw new InvalidArgumentError(`'${source}' is a directory: add -r (recursive) to copy it`);
    if (!info.isDirectory() && !info.isFile()) throw new InvalidArgumentError(`'${source}' is neither a file nor a directory`);
    const { bucket, path } = splitRemote(destination, 'destination');
    const single = info.isFile();
    // gcloud's naming: a file keeps its name under a folder-like destination; a directory copied with -r keeps
    // its last segment (`cp -r data gs://b/in/` → `in/data/…`).
    const prefix = single ? (path === '' || path.endsWith('/') ? `${path}${basename(local)}` : path) : `${asPrefix(path)}${basename(local)}/`;
    parseObjectRef({ bucket, name: prefix === '' ? 'x' : prefix }, 'destination');
    return { ...base, direction: 'upload', local, bucket, prefix, single };
  }

  const { bucket, path } = splitRemote(source, 'source');
  let local = resolve(cwd, destination);
  if (recursive) {
    // A prefix copied with -r keeps its last segment (`cp -r gs://b/in/data ./x` → `./x/data/…`); a whole
    // bucket lands directly in the directory.
    const last = path.replace(/\/+$/, '').split('/').at(-1) ?? '';
    if (last !== '') local = resolve(local, last);
    await mkdir(local, { recursive: true });
    parseObjectRef({ bucket, name: 'x' }, 'source');
    return { ...base, direction: 'download', local, bucket, prefix: asPrefix(path), single: false };
  }
  parseObjectRef({ bucket, name: path }, 'source');
  const isDir = destination.endsWith('/') || (await stat(local).then((s) => s.isDirectory(), () => false));
  if (isDir) local = resolve(local, path.split('/').at(-1) as string);
  await mkdir(resolve(local, '..'), { recursive: true });
  return { ...base, direction: 'download', local, bucket, prefix: path, single: true };
}

function splitRemote(value: string, option: string): { bucket: string; path: string } {
  const match = /^gs:\/\/([^/]+)\/?(.*)$/s.exec(value);
  if (!match) throw new InvalidArgumentError(`Expected \`${option}\` to look like gs://BUCKET[/PATH], got '${value}'`);
  return { bucket: match[1] as string, path: match[2] as string };
}

/** A non-empty prefix always ends in `/`: `gs://b/data` copies `data/…`, not also `database/…`. */
function asPrefix(path: string): string {
  return path === '' || path.endsWith('/') ? path : `${path}/`;
}

/** Connects, runs `use` with the job's store, and disconnects. */
async function withStore<T>(
  queue: string | QueueConnection,
  name: string,
  signal: AbortSignal | undefined,
  use: (store: JobStore) => Promise<T>,
): Promise<T> {
  const connection = typeof queue === 'string' ? parseQueueUrl(queue, 'queue') : queue;
  const jobName = checkJobName(name, 'job');
  await probeRedis(connection, signal);
  const handle = new Queue(QUEUE_NAME, { connection: redisOptions(connection, 'short-lived'), prefix: KEY_PREFIX });
  try {
    return await use(new JobStore(await handle.client, jobName));
  } finally {
    await handle.close();
  }
}

/** The job's progress, aggregated from every worker (objects and bytes done/total, rate, failures). */
export function getTransferStatus(
  queue: string | QueueConnection,
  name: string,
  options: { failureLimit?: number; signal?: AbortSignal } = {},
): Promise<JobStatus> {
  return withStore(queue, name, options.signal, (store) => store.status(options.failureLimit));
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Time between two reads of the counters. @default 1000 */
  intervalMs?: number;
  /** Called with each status read. @default undefined */
  onStatus?: (status: JobStatus) => void;
  failureLimit?: number;
}

/** Resolves with the final status once the job is `complete` or `failed` (some objects failed). */
export function waitForTransfer(queue: string | QueueConnection, name: string, options: WaitOptions = {}): Promise<JobStatus> {
  const interval = options.intervalMs ?? 1000;
  return withStore(queue, name, options.signal, async (store) => {
    for (;;) {
      const status = await store.status(options.failureLimit);
      options.onStatus?.(status);
      if (status.state !== 'running') return status;
      await sleep(interval, options.signal);
    }
  });
}


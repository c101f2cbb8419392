/**
 * The progress and outcome of a distributed transfer, kept in Redis next to BullMQ's queue and changed only by
 * one Lua script, so that every update is atomic and idempotent: a task that runs twice (its worker was
 * killed after the work but before BullMQ heard of it) counts once.
 *
 * Sets hold fixed-size keys ({@link objectKey}): `listings`/`listed` (listing tasks registered / finished),
 * `objects`/`done` (objects registered / transferred), `counted` (parts and objects whose bytes were added to
 * `bytesDone`); the `failed` hash maps a key to its failure. The job is finished when every registered listing
 * is finished and every registered object is done or failed; the update that observes this sets `state` to
 * `complete` or `failed` and gives every key of the job a 7-day expiry. The first outcome of an object wins. All keys of a job share one hash tag, so the
 * script also runs on Redis Cluster.
 */
import type { RedisClient } from 'bullmq';
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { SPEC_VERSION, type JobSpec } from './job-spec.js';

/** Redis key prefix of BullMQ's queue and of our job state. */
export const KEY_PREFIX = 'gcs-transfer';

/** What happened to one failed object (or listing). */
export interface ObjectFailure {
  /** The object name (or, for a listing, the directory or page that could not be listed). */
  name: string;
  /** The error's stable code (`ERR_GCS_…`, or a system code such as `ENOENT`), when it has one. */
  code?: string;
  message: string;
}

export type JobState = 'running' | 'complete' | 'failed';

/** A transfer's progress, aggregated from every worker. */
export interface JobStatus {
  name: string;
  state: JobState;
  direction: JobSpec['direction'];
  /** True while listing tasks are still discovering objects (totals still grow). */
  listing: boolean;
  objectsTotal: number;
  objectsDone: number;
  objectsFailed: number;
  bytesTotal: number;
  /** Bytes of finished parts, ranges and small objects. */
  bytesDone: number;
  createdAt: number;
  finishedAt?: number;
  /** Average rate since submission (until the end), bytes per second. */
  bytesPerSecond: number;
  /** Up to `failureLimit` failures (see `failuresOmitted`). */
  failures: ObjectFailure[];
  failuresOmitted: number;
}

const KEYS = ['meta', 'listings', 'listed', 'objects', 'done', 'failed', 'counted', 'uploads'] as const;

const SCRIPT = `
local meta, listings, listed, objects, done, failed, counted, uploads = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local op, now = ARGV[1], ARGV[2]
-- The last argument is the expiry of a finished job's keys; the op's own arguments come before it.
local nargs, ttl = #ARGV - 1, ARGV[#ARGV]
local function settle()
  if redis.call('HGET', meta, 'state') ~= 'running' then return end
  if redis.call('SCARD', listings) ~= redis.call('SCARD', listed) then return end
  local nf = redis.call('HLEN', failed)
  if redis.call('SCARD', objects) ~= redis.call('SCARD', done) + nf then return end
  local state = 'complete'
  if nf > 0 then state = 'failed' end
  redis.call('HSET', meta, 'state', state, 'finishedAt', now)
  for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
end
local function finished(key)
  return redis.call('SISMEMBER', done, key) == 1 or redis.call('HEXISTS', failed, key) == 1
end
if op == 'create' then
  if redis.call('EXISTS', meta) == 1 then return 'exists' end
  redis.call('HSET', meta, 'spec', ARGV[3], 'state', 'running', 'createdAt', now, 'bytesTotal', 0, 'bytesDone', 0)
  redis.call('SADD', listings, ARGV[4])
  return 'created'
elseif op == 'listings' then
  for i = 3, nargs do redis.call('SADD', listings, ARGV[i]) end
elseif op == 'objects' then
  for i = 3, nargs, 2 do
    if redis.call('SADD', objects, ARGV[i]) == 1 then redis.call('HINCRBY', meta, 'bytesTotal', ARGV[i + 1]) end
  end
elseif op == 'listed' then
  redis.call('SADD', listed, ARGV[3])
  settle()
elseif op == 'listfail' then
  if redis.call('SADD', objects, ARGV[3]) == 1 then redis.call('HSET', failed, ARGV[3], ARGV[4]) end
  redis.call('SADD', listed, ARGV[3])
  settle()
elseif op == 'bytes' then
  if redis.call('SADD', counted, ARGV[3]) == 1 then redis.call('HINCRBY', meta, 'bytesDone', ARGV[4]) end
elseif op == 'done' then
  if not finished(ARGV[3]) then
    redis.call('SADD', done, ARGV[3])
    if redis.call('SADD', counted, ARGV[3]) == 1 then redis.call('HINCRBY', meta, 'bytesDone', ARGV[4]) end
  end
  settle()
elseif op == 'fail' then
  if not finished(ARGV[3]) then redis.call('HSET', failed, ARGV[3], ARGV[4]) end
  settle()
elseif op == 'isdone' then
  if finished(ARGV[3]) then return 1 end
  return 0
elseif op == 'upload' then
  if redis.call('HSETNX', uploads, ARGV[3], ARGV[4]) == 1 then return ARGV[4] end
  return redis.call('HGET', uploads, ARGV[3])
elseif op == 'status' then
  local n = tonumber(ARGV[3])
  local sample = {}
  if n > 0 then sample = redis.call('HSCAN', failed, 0, 'COUNT', n)[2] end
  return {
    redis.call('HGETALL', meta), redis.call('SCARD', listings), redis.call('SCARD', listed),
    redis.call('SCARD', objects), redis.call('SCARD', done), redis.call('HLEN', failed), sample,
  }
end
return redis.call('HGET', meta, 'state')
`;

const COMMAND = 'gcsTransferState';

/** A finished job's state stays this long (7 days) for `status`, then Redis drops it. */
export const STATE_TTL_S = 7 * 24 * 3600;

/** The state of one job, bound to a Redis client. */
export class JobStore {
  readonly #client: RedisClient;
  readonly #keys: string[];
  readonly name: string;

  constructor(client: RedisClient, name: string) {
    this.#client = client;
    this.name = name;
    // The braces make every key of the job hash to one cluster slot.
    this.#keys = KEYS.map((key) => `${KEY_PREFIX}:{job:${name}}:${key}`);
    defineOnce(client);
  }

  async #run(op: string, ...args: (string | number)[]): Promise<unknown> {
    return this.#client.runCommand(COMMAND, [...this.#keys, op, Date.now(), ...args, STATE_TTL_S]);
  }

  /** Stores the spec and registers the root listing; false when a job of that name exists. */
  async create(spec: JobSpec, rootListing: string): Promise<boolean> {
    return (await this.#run('create', JSON.stringify(spec), rootListing)) === 'created';
  }

  /** The job's spec, checked for a version this code understands. */
  async spec(): Promise<JobSpec> {
    const text = await this.#client.hget(this.#keys[0] as string, 'spec');
    if (text === null) throw new InvalidArgumentError(`No distributed transfer named '${this.name}' in this Redis`);
    const spec = JSON.parse(text) as JobSpec;
    if (spec.version !== SPEC_VERSION) {
      throw new InvalidStateError(`Job '${this.name}' was submitted by another version (spec ${String(spec.version)}, this worker reads ${SPEC_VERSION})`);
    }
    return spec;
  }

  registerListings(keys: readonly string[]): Promise<unknown> {
    return keys.length === 0 ? Promise.resolve() : this.#run('listings', ...keys);
  }

  /** Registers objects with their sizes (added to `bytesTotal` once each). */
  registerObjects(objects: readonly { key: string; size: number }[]): Promise<unknown> {
    return objects.length === 0 ? Promise.resolve() : this.#run('objects', ...objects.flatMap((o) => [o.key, o.size]));
  }

  listingFinished(key: string): Promise<unknown> {
    return this.#run('listed', key);
  }

  /** A listing that cannot be done counts as one failed entry, so the job still finishes. */
  listingFailed(key: string, failure: ObjectFailure): Promise<unknown> {
    return this.#run('listfail', key, JSON.stringify(failure));
  }

  /** Adds a finished part's or range's bytes to `bytesDone` (once per `key`). */
  addBytes(key: string, bytes: number): Promise<unknown> {
    return this.#run('bytes', key, bytes);
  }

  /** Marks an object transferred; `bytes` are added unless its parts already counted them (pass 0). */
  objectDone(key: string, bytes: number): Promise<unknown> {
    return this.#run('done', key, bytes);
  }

  objectFailed(key: string, failure: ObjectFailure): Promise<unknown> {
    return this.#run('fail', key, JSON.stringify(failure));
  }

  async isFinished(key: string): Promise<boolean> {
    return (await this.#run('isdone', key)) === 1;
  }

  /** Records `uploadId` for the object unless one is recorded already; resolves with the recorded one. */
  async claimUpload(key: string, uploadId: string): Promise<string> {
    return String(await this.#run('upload', key, uploadId));
  }

  /** The multipart upload recorded for an object, if any. */
  async recordedUpload(key: string): Promise<string | undefined> {
    return (await this.#client.hget(this.#keys[7] as string, key)) ?? undefined;
  }

  /** Every multipart upload id this job started (for tests and audits). */
  async uploads(): Promise<Record<string, string>> {
    return this.#client.hgetall(this.#keys[7] as string);
  }

  /** The aggregated progress; throws when there is no such job. */
  async status(failureLimit = 20): Promise<JobStatus> {
    const [metaFlat, listings, listed, objects, done, failedCount, sample] = (await this.#run('status', failureLimit)) as [
      string[] | Record<string, string>,
      number,
      number,
      number,
      number,
      number,
      string[],
    ];
    const meta = Array.isArray(metaFlat) ? pairs(metaFlat) : metaFlat;
    if (meta['spec'] === undefined) throw new InvalidArgumentError(`No distributed transfer named '${this.name}' in this Redis`);
    const spec = JSON.parse(meta['spec']) as JobSpec;
    const createdAt = Number(meta['createdAt']);
    const finishedAt = meta['finishedAt'] === undefined ? undefined : Number(meta['finishedAt']);
    const bytesDone = Number(meta['bytesDone'] ?? 0);
    const elapsed = Math.max(1, (finishedAt ?? Date.now()) - createdAt);
    const failures: ObjectFailure[] = [];
    for (let i = 1; i < sample.length && failures.length < failureLimit; i += 2) failures.push(JSON.parse(sample[i] as string) as ObjectFailure);
    return {
      name: this.name,
      state: (meta['state'] ?? 'running') as JobState,
      direction: spec.direction,
      listing: listed < listings,
      objectsTotal: objects,
      objectsDone: done,
      objectsFailed: failedCount,
      bytesTotal: Number(meta['bytesTotal'] ?? 0),
      bytesDone,
      createdAt,
      ...(finishedAt === undefined ? {} : { finishedAt }),
      bytesPerSecond: (bytesDone * 1000) / elapsed,
      failures,
      failuresOmitted: failedCount - failures.length,
    };
  }
}

const defined = new WeakSet<object>();

function defineOnce(client: RedisClient): void {
  if (defined.has(client)) return;
  client.defineCommand(COMMAND, { numberOfKeys: KEYS.length, lua: SCRIPT });
  defined.add(client);
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

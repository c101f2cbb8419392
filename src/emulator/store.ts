/**
 * Buckets and objects on disk. Bodies stream into a temp file while they are hashed, and a commit renames the
 * file into place, so a half-written object is never visible and a 4 GiB object is never held in memory.
 * Each object has a JSON sidecar, so a store opened on an existing directory finds its objects again.
 *
 * Commits are synchronous on purpose (rename + a small sidecar write): the precondition check, the new
 * generation and the swap then happen in one turn of the event loop, so concurrent writers cannot interleave.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { once } from 'node:events';
import { checkDigests, StreamHasher, type Digests } from './hashes.js';
import { checkWrite, type Preconditions } from './preconditions.js';
import { GcsErrorReply, noSuchObject } from './errors.js';

/** Object fields a client sets. */
export interface ObjectMeta {
  contentType: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  /** Custom metadata (`x-goog-meta-*` on the XML API). */
  metadata?: Record<string, string>;
}

export interface StoredObject extends ObjectMeta {
  bucket: string;
  name: string;
  generation: number;
  metageneration: number;
  size: number;
  /** Base64 big-endian CRC32C of the whole object. */
  crc32c: string;
  /** Base64 MD5; absent for objects assembled by an XML multipart upload, as on GCS. */
  md5?: string;
  /** The XML API's ETag, quotes included. */
  xmlEtag: string;
  timeCreated: string;
  updated: string;
  /** The data file's name in the objects directory. */
  file: string;
}

export interface StoredBucket {
  name: string;
  timeCreated: string;
}

/** A body written to a temp file, waiting to be committed (or discarded). */
export interface StagedData {
  path: string;
  size: number;
  digests: Digests;
}

export interface StageOptions {
  /** Compute an MD5 too. @default true */
  md5?: boolean;
  /** Hashes the client claimed for the bytes (from headers or metadata); any mismatch rejects the body. */
  expect?: Partial<Digests>[];
}

/** Where and how a staged body becomes an object. */
export interface CommitTarget {
  bucket: string;
  name: string;
  meta: ObjectMeta;
  preconditions?: Preconditions;
  /** The ETag to use when there is no MD5 to derive it from. */
  xmlEtag?: string;
}

/** Big enough that a write stream issues few syscalls per MiB, small enough to keep memory flat. */
const WRITE_HIGH_WATER_MARK = 4 * 1024 * 1024;

export class ObjectStore {
  readonly dir: string;
  readonly #objectsDir: string;
  readonly #tmpDir: string;
  readonly #bucketsDir: string;
  readonly #objects = new Map<string, StoredObject>();
  readonly #buckets = new Map<string, StoredBucket>();
  #lastGeneration = 0;
  #tempCounter = 0;

  /** Opens (creating when needed) a store in `dir`, reloading objects a previous run left there. */
  constructor(dir: string) {
    this.dir = dir;
    this.#objectsDir = join(dir, 'objects');
    this.#tmpDir = join(dir, 'tmp');
    this.#bucketsDir = join(dir, 'buckets');
    for (const sub of [this.#objectsDir, this.#bucketsDir]) mkdirSync(sub, { recursive: true });
    // Temp files of a previous run belong to requests that can no longer finish.
    rmSync(this.#tmpDir, { recursive: true, force: true });
    mkdirSync(this.#tmpDir, { recursive: true });
    this.#reload();
  }

  #reload(): void {
    for (const entry of readdirSync(this.#bucketsDir)) {
      const bucket = readJson<StoredBucket>(join(this.#bucketsDir, entry));
      if (bucket) this.#buckets.set(bucket.name, bucket);
    }
    for (const entry of readdirSync(this.#objectsDir)) {
      if (!entry.endsWith('.json')) continue;
      const object = readJson<StoredObject>(join(this.#objectsDir, entry));
      if (!object) continue;
      this.#objects.set(objectKey(object.bucket, object.name), object);
      this.#lastGeneration = Math.max(this.#lastGeneration, object.generation);
    }
  }

  /** A fresh path in the temp directory (nothing is created). */
  tempPath(label = 'upload'): string {
    this.#tempCounter += 1;
    return join(this.#tmpDir, `${label}-${process.pid}-${this.#tempCounter}-${randomBytes(4).toString('hex')}`);
  }

  /**
   * Streams `source` into a temp file, hashing as it goes, then checks the hashes the client claimed (400
   * `BadDigest`). On any failure (including the client going away) the temp file is removed before the error
   * propagates.
   */
  async stage(source: AsyncIterable<Uint8Array>, options: StageOptions = {}): Promise<StagedData> {
    const path = this.tempPath();
    const hasher = new StreamHasher(options);
    const out = quietWriteStream(path, { highWaterMark: WRITE_HIGH_WATER_MARK });
    let size = 0;
    try {
      for await (const chunk of source) {
        hasher.update(chunk);
        size += chunk.byteLength;
        await writeChunk(out, chunk);
      }
      out.end();
      await finished(out);
      const digests = hasher.digest();
      for (const claimed of options.expect ?? []) checkDigests(claimed, digests);
      return { path, size, digests };
    } catch (error) {
      out.destroy();
      rmSync(path, { force: true });
      throw error;
    }
  }

  /** Removes a staged body that will not be committed. */
  discard(staged: StagedData | string): void {
    rmSync(typeof staged === 'string' ? staged : staged.path, { force: true });
  }

  /**
   * Makes `staged` the live object, with a new generation larger than any before it. Throws a 412 (and
   * discards the body) when `target.preconditions` do not hold against the current object.
   */
  commit(staged: StagedData, target: CommitTarget): StoredObject {
    const key = objectKey(target.bucket, target.name);
    const current = this.#objects.get(key);
    try {
      checkWrite(current, target.preconditions ?? {});
    } catch (error) {
      this.discard(staged);
      throw error;
    }
    this.ensureBucket(target.bucket);
    const generation = this.#nextGeneration();
    const file = `${key}.${generation}`;
    renameSync(staged.path, join(this.#objectsDir, file));
    const now = new Date().toISOString();
    const md5 = staged.digests.md5;
    const object: StoredObject = {
      ...target.meta,
      bucket: target.bucket,
      name: target.name,
      generation,
      metageneration: 1,
      size: staged.size,
      crc32c: staged.digests.crc32c,
      ...(md5 === undefined ? {} : { md5 }),
      xmlEtag: target.xmlEtag ?? `"${Buffer.from(md5 ?? '', 'base64').toString('hex')}"`,
      timeCreated: now,
      updated: now,
      file,
    };
    this.#save(key, object);
    if (current) rmSync(join(this.#objectsDir, current.file), { force: true });
    return object;
  }

  /** The live object, or undefined. */
  get(bucket: string, name: string): StoredObject | undefined {
    return this.#objects.get(objectKey(bucket, name));
  }

  /** The live object, or a 404 naming it. */
  require(bucket: string, name: string): StoredObject {
    const object = this.get(bucket, name);
    if (!object) throw noSuchObject(bucket, name);
    return object;
  }

  /** Live objects of `bucket` whose names start with `prefix`, sorted by name (code-unit order, as GCS lists). */
  list(bucket: string, prefix = ''): StoredObject[] {
    const out: StoredObject[] = [];
    for (const object of this.#objects.values()) {
      if (object.bucket === bucket && object.name.startsWith(prefix)) out.push(object);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Deletes the live object (a 404 when absent). Readers with an open descriptor finish their read. */
  delete(bucket: string, name: string): void {
    const key = objectKey(bucket, name);
    const object = this.require(bucket, name);
    this.#objects.delete(key);
    rmSync(join(this.#objectsDir, `${key}.json`), { force: true });
    rmSync(join(this.#objectsDir, object.file), { force: true });
  }

  /**
   * Gives the object a new generation with the same bytes, as if it had been overwritten by an identical
   * upload. Used by the `bump-generation` fault. Returns the new record, or undefined if the object is gone.
   */
  bumpGeneration(bucket: string, name: string): StoredObject | undefined {
    const key = objectKey(bucket, name);
    const current = this.#objects.get(key);
    if (!current) return undefined;
    const generation = this.#nextGeneration();
    const file = `${key}.${generation}`;
    renameSync(join(this.#objectsDir, current.file), join(this.#objectsDir, file));
    const now = new Date().toISOString();
    const next: StoredObject = { ...current, generation, metageneration: 1, timeCreated: now, updated: now, file };
    this.#save(key, next);
    return next;
  }

  /**
   * Opens the object's data for reading. Synchronous so that the descriptor is taken in the same turn as the
   * lookup: an overwrite that lands later cannot pull the file away from this reader.
   */
  openData(object: StoredObject): number {
    return openSync(join(this.#objectsDir, object.file), 'r');
  }

  /** The bucket, created on first use (GCS tests need no set-up calls). */
  ensureBucket(name: string): StoredBucket {
    return this.#buckets.get(name) ?? this.createBucket(name);
  }

  getBucket(name: string): StoredBucket | undefined {
    return this.#buckets.get(name);
  }

  /** Creates a bucket; a 409 when it exists, as the JSON API's bucket insert answers. */
  createBucket(name: string): StoredBucket {
    if (this.#buckets.has(name)) {
      throw new GcsErrorReply(409, 'conflict', 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.');
    }
    const bucket: StoredBucket = { name, timeCreated: new Date().toISOString() };
    this.#buckets.set(name, bucket);
    writeAtomically(join(this.#bucketsDir, `${createHash('sha256').update(name).digest('hex')}.json`), JSON.stringify(bucket));
    return bucket;
  }

  #save(key: string, object: StoredObject): void {
    this.#objects.set(key, object);
    writeAtomically(join(this.#objectsDir, `${key}.json`), JSON.stringify(object));
  }

  /** Microseconds since the epoch like GCS, but strictly increasing even within one microsecond. */
  #nextGeneration(): number {
    this.#lastGeneration = Math.max(Date.now() * 1000, this.#lastGeneration + 1);
    return this.#lastGeneration;
  }
}

/**
 * A file write stream whose errors are reported through `writeChunk` and `finished()` only. Without the
 * listener, a write still queued when the stream is destroyed (the client went away) would surface as an
 * uncaught 'error' event and take the process down.
 */
export function quietWriteStream(path: string, options: { flags?: string; highWaterMark?: number }): WriteStream {
  // Opened synchronously: with a lazy open, a failure path could unlink the file before the open created it.
  const fd = openSync(path, options.flags ?? 'w');
  return createWriteStream(path, { fd, ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }) }).on('error', () => undefined);
}

/** Writes with backpressure; throws the stream's error instead of waiting forever on a broken stream. */
export async function writeChunk(out: WriteStream, chunk: Uint8Array): Promise<void> {
  if (out.errored) throw out.errored;
  if (!out.write(chunk)) await once(out, 'drain');
}

/** Object names may hold any character, so files are named by a hash of bucket and name. */
function objectKey(bucket: string, name: string): string {
  return createHash('sha256').update(bucket).update('\n').update(name).digest('hex');
}

function writeAtomically(path: string, text: string): void {
  const temp = `${path}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

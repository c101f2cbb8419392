/**
 * Buckets and objects on disk. Bodies stream into a temp file while a hashing thread hashes them, and a commit
 * renames the file into place, so a half-written object is never visible and a 4 GiB object is never held in
 * memory. An object is a list of data files (segments) read back to back: one for an upload, one per part for
 * an XML multipart upload, one per source segment for a compose, so assembling never copies bytes (parts are
 * renamed, sources hard-linked). Each object has a JSON sidecar, so a store opened on an existing directory
 * finds its objects again.
 *
 * A reader retains the files of the object it reads; files an overwrite or delete retires are removed only once
 * no reader holds them, so a GET that began before an overwrite finishes with the bytes it started on.
 *
 * Commits are synchronous on purpose (rename + a small sidecar write): the precondition check, the new
 * generation and the swap then happen in one turn of the event loop, so concurrent writers cannot interleave.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashingFile } from './hash-pool.js';
import { checkDigests, type Digests } from './hashes.js';
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

/** One data file of an object. */
export interface Segment {
  /** The file's name in the objects directory. */
  file: string;
  size: number;
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
  /** The data files, read back to back. */
  segments: Segment[];
  /** Set for composite objects (compose): how many components it was built from, as GCS counts them. */
  componentCount?: number;
}

export interface StoredBucket {
  name: string;
  timeCreated: string;
  /** Bumped by every patch. @default 1 */
  metageneration?: number;
  updated?: string;
  /** Bucket labels (patchable). */
  labels?: Record<string, string>;
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
  /** Set on composite objects. */
  componentCount?: number;
}

/** Data for a new object: files in order, with their sizes, and the whole object's digests. */
export interface Assembly {
  /** Absolute paths, each with its size. */
  files: { path: string; size: number }[];
  digests: Digests;
  /** `move` renames the files into place (temp files); `link` hard-links them (another object's data). */
  how: 'move' | 'link';
}

export class ObjectStore {
  readonly dir: string;
  readonly #objectsDir: string;
  readonly #tmpDir: string;
  readonly #bucketsDir: string;
  readonly #objects = new Map<string, StoredObject>();
  readonly #buckets = new Map<string, StoredBucket>();
  /** Readers per data file (see `retain`). */
  readonly #readers = new Map<string, number>();
  /** Files of objects no longer live, kept until their last reader is done. */
  readonly #retired = new Set<string>();
  /** Per-bucket sorted listings (see `list`), dropped whenever an object of the bucket changes. */
  readonly #sorted = new Map<string, StoredObject[]>();
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
      const object = readJson<StoredObject & { file?: string }>(join(this.#objectsDir, entry));
      if (!object) continue;
      // Sidecars written before objects had segments name a single data file.
      if (object.segments === undefined && object.file !== undefined) object.segments = [{ file: object.file, size: object.size }];
      delete object.file;
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
    const out = new HashingFile(path, { md5: options.md5 !== false });
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.byteLength;
        await out.write(chunk);
      }
      const digests = await out.digest();
      await out.close();
      for (const claimed of options.expect ?? []) checkDigests(claimed, digests);
      return { path, size, digests };
    } catch (error) {
      await out.close();
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
    try {
      return this.assemble({ files: [{ path: staged.path, size: staged.size }], digests: staged.digests, how: 'move' }, target);
    } catch (error) {
      this.discard(staged);
      throw error;
    }
  }

  /**
   * Makes an object of `assembly`'s files, in order, without copying a byte: temp files are renamed into place,
   * another object's files hard-linked. Checks `target.preconditions` first (a 412, leaving the files alone).
   */
  assemble(assembly: Assembly, target: CommitTarget): StoredObject {
    const key = objectKey(target.bucket, target.name);
    const current = this.#objects.get(key);
    checkWrite(current, target.preconditions ?? {});
    this.ensureBucket(target.bucket);
    const generation = this.#nextGeneration();
    const segments = assembly.files.map((source, i): Segment => {
      const file = assembly.files.length === 1 ? `${key}.${generation}` : `${key}.${generation}.${i}`;
      if (assembly.how === 'move') renameSync(source.path, join(this.#objectsDir, file));
      else linkOrCopy(source.path, join(this.#objectsDir, file));
      return { file, size: source.size };
    });
    const now = new Date().toISOString();
    const md5 = assembly.digests.md5;
    const object: StoredObject = {
      ...target.meta,
      bucket: target.bucket,
      name: target.name,
      generation,
      metageneration: 1,
      size: segments.reduce((sum, segment) => sum + segment.size, 0),
      crc32c: assembly.digests.crc32c,
      ...(md5 === undefined ? {} : { md5 }),
      ...(target.componentCount === undefined ? {} : { componentCount: target.componentCount }),
      xmlEtag: target.xmlEtag ?? `"${Buffer.from(md5 ?? '', 'base64').toString('hex')}"`,
      timeCreated: now,
      updated: now,
      segments,
    };
    this.#save(key, object);
    if (current) this.#retire(current);
    return object;
  }

  /** Absolute paths of the object's data files, for linking them into another object. */
  dataFiles(object: StoredObject): { path: string; size: number }[] {
    return object.segments.map((segment) => ({ path: join(this.#objectsDir, segment.file), size: segment.size }));
  }

  /**
   * Replaces the live object's metadata (same bytes, same generation, metageneration + 1), as a PATCH or
   * metadata PUT does. Checks preconditions against the current object.
   */
  updateMeta(object: StoredObject, meta: ObjectMeta, preconditions: Preconditions): StoredObject {
    const key = objectKey(object.bucket, object.name);
    const current = this.#objects.get(key);
    if (current?.generation !== object.generation) throw noSuchObject(object.bucket, object.name);
    checkWrite(current, preconditions);
    const next: StoredObject = {
      ...meta,
      bucket: current.bucket,
      name: current.name,
      generation: current.generation,
      metageneration: current.metageneration + 1,
      size: current.size,
      crc32c: current.crc32c,
      ...(current.md5 === undefined ? {} : { md5: current.md5 }),
      ...(current.componentCount === undefined ? {} : { componentCount: current.componentCount }),
      xmlEtag: current.xmlEtag,
      timeCreated: current.timeCreated,
      updated: new Date().toISOString(),
      segments: current.segments,
    };
    this.#save(key, next);
    return next;
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
  list(bucket: string, prefix = '', from = ''): StoredObject[] {
    const sorted = this.#sortedNames(bucket);
    // Binary search for the first name ≥ max(prefix, from): a page deep into a large listing starts there.
    const start = prefix > from ? prefix : from;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as StoredObject).name < start) lo = mid + 1;
      else hi = mid;
    }
    const out: StoredObject[] = [];
    for (let i = lo; i < sorted.length; i += 1) {
      const object = sorted[i] as StoredObject;
      if (!object.name.startsWith(prefix)) break;
      out.push(object);
    }
    return out;
  }

  /** The bucket's live objects sorted by name, cached until the bucket's next change. */
  #sortedNames(bucket: string): StoredObject[] {
    let sorted = this.#sorted.get(bucket);
    if (!sorted) {
      sorted = [];
      for (const object of this.#objects.values()) if (object.bucket === bucket) sorted.push(object);
      sorted.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      this.#sorted.set(bucket, sorted);
    }
    return sorted;
  }

  /** Deletes the live object (a 404 when absent). Readers with an open descriptor finish their read. */
  delete(bucket: string, name: string): void {
    const key = objectKey(bucket, name);
    const object = this.require(bucket, name);
    this.#objects.delete(key);
    this.#sorted.delete(bucket);
    rmSync(join(this.#objectsDir, `${key}.json`), { force: true });
    this.#retire(object);
  }

  /** Keeps the object's files on disk until `release`, whatever overwrites or deletes happen meanwhile. */
  retain(object: StoredObject): void {
    for (const { file } of object.segments) this.#readers.set(file, (this.#readers.get(file) ?? 0) + 1);
  }

  /** Ends a `retain`; files retired meanwhile are removed once their last reader is gone. */
  release(object: StoredObject): void {
    for (const { file } of object.segments) {
      const left = (this.#readers.get(file) ?? 1) - 1;
      if (left > 0) {
        this.#readers.set(file, left);
        continue;
      }
      this.#readers.delete(file);
      if (this.#retired.delete(file)) rmSync(join(this.#objectsDir, file), { force: true });
    }
  }

  /** Absolute path of one of the object's data files (only while retained, or in the same turn as a lookup). */
  segmentPath(segment: Segment): string {
    return join(this.#objectsDir, segment.file);
  }

  /** Removes the files of an object that is no longer live, or marks them for removal when readers hold them. */
  #retire(object: StoredObject): void {
    for (const { file } of object.segments) {
      if (this.#readers.has(file)) this.#retired.add(file);
      else rmSync(join(this.#objectsDir, file), { force: true });
    }
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
    // Links, not renames: a reader of the old generation may still hold its files.
    const segments = current.segments.map((segment, i): Segment => {
      const file = current.segments.length === 1 ? `${key}.${generation}` : `${key}.${generation}.${i}`;
      linkOrCopy(join(this.#objectsDir, segment.file), join(this.#objectsDir, file));
      return { file, size: segment.size };
    });
    const now = new Date().toISOString();
    const next: StoredObject = { ...current, generation, metageneration: 1, timeCreated: now, updated: now, segments };
    this.#save(key, next);
    this.#retire(current);
    return next;
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
    writeAtomically(this.#bucketFile(name), JSON.stringify(bucket));
    return bucket;
  }

  /** Every bucket, sorted by name. */
  listBuckets(): StoredBucket[] {
    return [...this.#buckets.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The bucket, or a 404 naming it. */
  requireBucket(name: string): StoredBucket {
    const bucket = this.#buckets.get(name);
    if (!bucket) throw new GcsErrorReply(404, 'notFound', 'NoSuchBucket', 'The specified bucket does not exist.', { details: `No such bucket: ${name}` });
    return bucket;
  }

  /** Deletes an empty bucket: a 404 when it does not exist, a 409 while it holds objects (as GCS answers). */
  deleteBucket(name: string): void {
    this.requireBucket(name);
    for (const object of this.#objects.values()) {
      if (object.bucket === name) {
        throw new GcsErrorReply(409, 'conflict', 'BucketNotEmpty', 'The bucket you tried to delete is not empty.');
      }
    }
    this.#buckets.delete(name);
    rmSync(this.#bucketFile(name), { force: true });
  }

  /** Replaces the bucket's record (a patch), bumping its metageneration. */
  updateBucket(name: string, change: (bucket: StoredBucket) => StoredBucket): StoredBucket {
    const current = this.requireBucket(name);
    const next = { ...change(current), name, metageneration: (current.metageneration ?? 1) + 1, updated: new Date().toISOString() };
    this.#buckets.set(name, next);
    writeAtomically(this.#bucketFile(name), JSON.stringify(next));
    return next;
  }

  #bucketFile(name: string): string {
    return join(this.#bucketsDir, `${createHash('sha256').update(name).digest('hex')}.json`);
  }

  /**
   * Hard-links the object's data files into the temp directory (no bytes copied), for work that must outlive
   * the object itself (a rewrite spread over several calls). Remove them with `discard`.
   */
  linkToTemp(object: StoredObject): { path: string; size: number }[] {
    return this.dataFiles(object).map((source) => {
      const path = this.tempPath('rewrite');
      linkOrCopy(source.path, path);
      return { path, size: source.size };
    });
  }

  #save(key: string, object: StoredObject): void {
    this.#objects.set(key, object);
    this.#sorted.delete(object.bucket);
    writeAtomically(join(this.#objectsDir, `${key}.json`), JSON.stringify(object));
  }

  /** Microseconds since the epoch like GCS, but strictly increasing even within one microsecond. */
  #nextGeneration(): number {
    this.#lastGeneration = Math.max(Date.now() * 1000, this.#lastGeneration + 1);
    return this.#lastGeneration;
  }
}

/** A hard link (no bytes copied); a copy where the file system has no hard links. */
function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw error;
    copyFileSync(from, to);
  }
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

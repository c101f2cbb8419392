/**
 * The download side of a distributed transfer: list the bucket a page per task (each page enqueues its objects
 * and the next page), fetch each small object in one task, and split each large one into range tasks that
 * write their bytes in place into `<file>.partial` on the shared destination filesystem; the parent combines
 * the ranges' CRC32Cs, compares with the object's, and renames the file into place.
 *
 * Every range reads the generation that was listed, so an object overwritten mid-way fails instead of mixing
 * two versions; a range run twice rewrites the same offsets.
 */
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { combineCrc32c } from '../checksum/combine.js';
import { crc32cToBase64, Crc32cHasher } from '../checksum/crc32c.js';
import { DataCorruption, InvalidArgumentError, InvalidResponse } from '../errors.js';
import { RawChunkedDownload } from '../media/chunked-download.js';
import { fileRangeStream } from '../media/upload-source.js';
import {
  TASK,
  objectKey,
  objectName,
  taskId,
  type FinalizeDownloadTask,
  type JobSpec,
  type ListBucketTask,
  type ObjectTask,
  type RangeTask,
  type RangeValue,
} from './job-spec.js';
import { listBucketPage, statObject, type ListedObject } from './listing.js';
import { PositionalWriter } from './positional-writer.js';
import { holdBackListing, localPath, type NewTask, type TaskContext } from './task-context.js';
import { objectTask } from './upload-tasks.js';

/** The key of a listing page's task. */
export function pageListingKey(page: number): string {
  return objectKey(`page:${page}`);
}

/** Where a download lands while it is incomplete. */
export function partialPath(spec: JobSpec, rel: string): string {
  return `${localPath(spec, rel)}.partial`;
}

export async function listBucket(ctx: TaskContext, task: ListBucketTask): Promise<void> {
  const { spec, store, engine } = ctx;
  await holdBackListing(ctx);
  const request = { signal: ctx.signal };
  let objects: ListedObject[];
  let next: string | undefined;
  if (spec.single) {
    const object = await statObject(engine.transport, engine.endpoint, engine.retry, spec.bucket, spec.prefix, request);
    objects = [{ ...object, name: object.name.split('/').at(-1) ?? object.name }];
  } else {
    const page = await listBucketPage(engine.transport, engine.endpoint, engine.retry, spec.bucket, spec.prefix, task.pageToken, request);
    // Names ending in '/' are folder placeholders, not files.
    objects = page.objects.filter((o) => !o.name.endsWith('/')).map((o) => ({ ...o, name: o.name.slice(spec.prefix.length) }));
    next = page.nextPageToken;
  }
  const tasks: NewTask[] = [];
  const unsafe: ListedObject[] = [];
  for (const object of objects) {
    if (!safeRelativePath(object.name)) unsafe.push(object);
    else tasks.push(objectTask(spec, { job: spec.name, rel: object.name, size: object.size, generation: object.generation, ...(object.crc32c ? { crc32c: object.crc32c } : {}) }));
  }
  if (next !== undefined) {
    await store.registerListings([pageListingKey(task.page + 1)]);
    tasks.push({ name: TASK.listBucket, id: taskId.listBucket(spec.name, task.page + 1), data: { job: spec.name, page: task.page + 1, pageToken: next } });
  }
  await store.registerObjects(objects.map((o) => ({ key: objectKey(o.name), size: o.size })));
  for (const object of unsafe) {
    await store.objectFailed(objectKey(object.name), {
      name: `gs://${spec.bucket}/${spec.prefix}${object.name}`,
      code: 'ERR_GCS_INVALID_ARG',
      message: 'The object name does not map to a safe local path (empty, `.` or `..` segments, a leading `/`, or NUL); not downloaded',
    });
  }
  await ctx.enqueue.add(tasks);
  await store.listingFinished(pageListingKey(task.page));
}

/** A relative path that stays inside the destination directory on every platform we run on. */
export function safeRelativePath(rel: string): boolean {
  if (rel === '' || rel.startsWith('/') || rel.includes('\0') || rel.includes('\\')) return false;
  return rel.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

export async function downloadObject(ctx: TaskContext, task: ObjectTask): Promise<void> {
  const { spec, store, engine } = ctx;
  const key = objectKey(task.rel);
  if (await store.isFinished(key)) return;
  const generation = requireGeneration(task);
  const dest = localPath(spec, task.rel);
  await mkdir(dirname(dest), { recursive: true });
  if (task.size <= spec.chunkSize) {
    await engine.tm.downloadFile({ bucket: spec.bucket, name: objectName(spec, task.rel), generation }, dest, {
      chunkSize: spec.chunkSize,
      checksum: spec.checksum,
      signal: ctx.signal,
    });
    await store.objectDone(key, task.size);
    return;
  }
  const finalizeId = taskId.finalize(spec.name, task.rel);
  if (await ctx.enqueue.exists(finalizeId)) return;
  // 'a' creates without truncating: a re-run must not wipe ranges that other machines already wrote.
  const file = await open(partialPath(spec, task.rel), 'a');
  try {
    await file.truncate(task.size);
  } finally {
    await file.close();
  }
  const children: NewTask[] = [];
  for (let start = 0, n = 1; start < task.size; start += spec.chunkSize, n++) {
    const data: RangeTask = { job: spec.name, rel: task.rel, generation, start, end: Math.min(start + spec.chunkSize, task.size) };
    children.push({ name: TASK.range, id: taskId.child(spec.name, task.rel, n), data });
  }
  const parent: FinalizeDownloadTask = {
    job: spec.name,
    rel: task.rel,
    size: task.size,
    generation,
    ...(task.crc32c === undefined ? {} : { crc32c: task.crc32c }),
  };
  await ctx.enqueue.addFlow({ name: TASK.finalizeDownload, id: finalizeId, data: parent }, children);
}

function requireGeneration(task: ObjectTask): string {
  if (task.generation === undefined) throw new InvalidArgumentError(`The download task for '${task.rel}' has no generation`);
  return task.generation;
}

export async function downloadRange(ctx: TaskContext, task: RangeTask): Promise<RangeValue> {
  const { spec, engine } = ctx;
  const url = engine.endpoint.mediaUrl(spec.bucket, objectName(spec, task.rel), { generation: task.generation });
  const file = await open(partialPath(spec, task.rel), 'r+');
  try {
    const writer = new PositionalWriter(file, task.start);
    const download = new RawChunkedDownload(url, task.end - task.start, writer, { start: task.start, end: task.end - 1 });
    download.retryStrategy = engine.retry;
    while (!download.finished) await download.consumeNextChunk(engine.transport, { signal: ctx.signal });
    await new Promise<void>((resolve, reject) => writer.end((error?: Error | null) => (error ? reject(error) : resolve())));
    if (writer.bytes !== task.end - task.start) {
      throw new InvalidResponse(`Range ${task.start}-${task.end} of '${task.rel}' delivered ${writer.bytes} bytes`);
    }
    await ctx.store.addBytes(`${objectKey(task.rel)}.r${task.start}`, writer.bytes);
    return { start: task.start, end: task.end, crc32c: writer.crc32c };
  } finally {
    await file.close();
  }
}

/**
 * Checks that the ranges cover the object, combines their CRC32Cs, compares with the object's, and renames the
 * partial file into place (after an fsync, so the name never points at bytes still in a cache).
 */
export async function finalizeDownload(ctx: TaskContext, task: FinalizeDownloadTask): Promise<void> {
  const { spec, store } = ctx;
  const key = objectKey(task.rel);
  if (await store.isFinished(key)) return;
  const ranges = (await ctx.children.values<RangeValue>()).sort((a, b) => a.start - b.start);
  const failures = await ctx.children.failures();
  let covered = 0;
  for (const range of ranges) if (range.start === covered) covered = range.end;
  if (failures.length > 0 || covered !== task.size) {
    throw new InvalidResponse(
      `${ranges.length} ranges of '${task.rel}' arrived, covering ${covered} of ${task.size} bytes` +
        (failures.length > 0 ? `: ${failures.slice(0, 3).join('; ')}` : ''),
    );
  }
  const crc32c = crc32cToBase64(combineCrc32c(ranges.map((r) => ({ crc32c: r.crc32c, length: r.end - r.start }))));
  const dest = localPath(spec, task.rel);
  const partial = partialPath(spec, task.rel);
  const present = await stat(partial).then(() => true, () => false);
  if (!present) {
    // An earlier run renamed it and died before recording: the file is in place if its bytes say so.
    if ((await hashFile(dest, task.size)) !== crc32c) throw new InvalidResponse(`Neither '${partial}' nor a complete '${dest}' is there`);
  } else {
    if (spec.checksum && task.crc32c !== undefined && task.crc32c !== crc32c) {
      throw new DataCorruption(`The ranges of '${task.rel}' combine to CRC32C ${crc32c}, the object has ${task.crc32c}`, {
        algorithm: 'crc32c',
        expected: task.crc32c,
        actual: crc32c,
      });
    }
    const file = await open(partial, 'r+');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(partial, dest);
  }
  await store.objectDone(key, 0);
}

async function hashFile(path: string, size: number): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info?.size !== size) return undefined;
  const crc = new Crc32cHasher();
  for await (const chunk of fileRangeStream(path, 0, size)) crc.update(chunk as Buffer);
  return crc.digestBase64();
}

/** Removes what a failed download left (a partial file). */
export async function removePartial(spec: JobSpec, rel: string): Promise<void> {
  await rm(partialPath(spec, rel), { force: true });
}


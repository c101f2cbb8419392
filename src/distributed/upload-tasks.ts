/**
 * The upload side of a distributed transfer: list a directory tree (a batch of entries per step), send each
 * small file in one task, and split each large file into an XML multipart upload whose parts are child tasks
 * and whose parent finalizes it. Every task is idempotent: the upload id is recorded in Redis before any part
 * exists, a part sent twice replaces itself, and a finalize that already happened is recognised.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { combineCrc32c } from '../checksum/combine.js';
import { crc32cFromBase64, crc32cToBase64 } from '../checksum/crc32c.js';
import { parseGoogHash } from '../checksum/goog-hash.js';
import { NotFound, SourceChangedError, MultipartUploadError } from '../errors.js';
import { requireStatus, responseContext } from '../media/response-checks.js';
import { sendWithRetry } from '../media/send-with-retry.js';
import { XMLMPUContainer } from '../media/xml-mpu-container.js';
import { XMLMPUPart } from '../media/xml-mpu-part.js';
import { partRange, planUpload } from '../transfer/part-plan.js';
import {
  TASK,
  objectKey,
  objectName,
  taskId,
  type FinalizeUploadTask,
  type JobSpec,
  type ListDirTask,
  type ObjectTask,
  type PartTask,
  type PartValue,
} from './job-spec.js';
import { readDirectoryBatches } from './listing.js';
import { holdBackListing, localPath, type NewTask, type TaskContext } from './task-context.js';

/** Directory entries registered and enqueued per step: bounds the memory of a listing task. */
export const LIST_BATCH = 500;

/** The key of a directory's listing task. */
export function dirListingKey(dir: string): string {
  return objectKey(`dir:${dir}`);
}

export async function listDir(ctx: TaskContext, task: ListDirTask): Promise<void> {
  const { spec, store } = ctx;
  await holdBackListing(ctx);
  if (spec.single) {
    const size = (await stat(spec.local)).size;
    const rel = basename(spec.local);
    await store.registerObjects([{ key: objectKey(rel), size }]);
    await ctx.enqueue.add([objectTask(spec, { job: spec.name, rel, size })]);
  } else {
    for await (const batch of readDirectoryBatches(spec.local, task.dir, LIST_BATCH)) {
      await store.registerListings(batch.dirs.map(dirListingKey));
      await store.registerObjects(batch.files.map((f) => ({ key: objectKey(f.rel), size: f.size })));
      await ctx.enqueue.add([
        ...batch.dirs.map((dir) => ({ name: TASK.listDir, id: taskId.listDir(spec.name, dir), data: { job: spec.name, dir } })),
        ...batch.files.map((f) => objectTask(spec, { job: spec.name, rel: f.rel, size: f.size })),
      ]);
    }
  }
  await store.listingFinished(dirListingKey(task.dir));
}

export function objectTask(spec: JobSpec, data: ObjectTask): NewTask {
  return { name: TASK.object, id: taskId.object(spec.name, data.rel), data };
}

export async function uploadObject(ctx: TaskContext, task: ObjectTask): Promise<void> {
  const { spec, store, engine } = ctx;
  const key = objectKey(task.rel);
  if (await store.isFinished(key)) return;
  const path = localPath(spec, task.rel);
  const size = (await stat(path)).size;
  if (size !== task.size) {
    throw new SourceChangedError(`${path} changed size since it was listed (${task.size} → ${size} bytes); not uploading a moving target`);
  }
  const destination = { bucket: spec.bucket, name: objectName(spec, task.rel) };
  if (size <= spec.chunkSize) {
    await engine.tm.uploadFile(path, destination, {
      chunkSize: spec.chunkSize,
      singleRequestThreshold: spec.chunkSize,
      checksum: spec.checksum,
      ...(spec.contentType === undefined ? {} : { contentType: spec.contentType }),
      signal: ctx.signal,
    });
    await store.objectDone(key, size);
    return;
  }
  const plan = planUpload(size, spec.chunkSize);
  const finalizeId = taskId.finalize(spec.name, task.rel);
  const uploadId = (await store.recordedUpload(key)) ?? (await initiate(ctx, task.rel, key));
  if (await ctx.enqueue.exists(finalizeId)) return;
  const children: NewTask[] = [];
  for (let partNumber = 1; partNumber <= plan.partCount; partNumber++) {
    const { start, end } = partRange(plan, partNumber);
    const data: PartTask = { job: spec.name, rel: task.rel, uploadId, partNumber, start, end };
    children.push({ name: TASK.part, id: taskId.child(spec.name, task.rel, partNumber), data });
  }
  const parent: FinalizeUploadTask = { job: spec.name, rel: task.rel, uploadId, size, parts: plan.partCount };
  await ctx.enqueue.addFlow({ name: TASK.finalizeUpload, id: finalizeId, data: parent }, children);
}

/**
 * Starts the multipart upload and records its id. Two runs racing (a stalled task re-run while the first is
 * still alive) both initiate; the loser cancels its own upload and adopts the recorded one.
 */
async function initiate(ctx: TaskContext, rel: string, key: string): Promise<string> {
  const container = container_(ctx, rel);
  const mine = await container.initiate(ctx.engine.transport, ctx.spec.contentType ?? 'application/octet-stream', { signal: ctx.signal });
  const recorded = await ctx.store.claimUpload(key, mine);
  if (recorded !== mine) await cancelUpload(ctx, rel, mine);
  return recorded;
}

function container_(ctx: TaskContext, rel: string, uploadId?: string): XMLMPUContainer {
  const { spec, engine } = ctx;
  const container = new XMLMPUContainer(
    engine.endpoint.xmlObjectUrl(spec.bucket, objectName(spec, rel)),
    localPath(spec, rel),
    uploadId === undefined ? {} : { uploadId },
  );
  container.retryStrategy = engine.retry;
  return container;
}

export async function uploadPart(ctx: TaskContext, task: PartTask): Promise<PartValue> {
  const { spec, engine } = ctx;
  const part = new XMLMPUPart(
    engine.endpoint.xmlObjectUrl(spec.bucket, objectName(spec, task.rel)),
    task.uploadId,
    localPath(spec, task.rel),
    task.start,
    task.end,
    task.partNumber,
    { checksum: spec.checksum ? 'crc32c' : null },
  );
  part.retryStrategy = engine.retry;
  const uploaded = await part.upload(engine.transport, { signal: ctx.signal });
  await ctx.store.addBytes(`${objectKey(task.rel)}.${task.partNumber}`, uploaded.size);
  return { partNumber: uploaded.partNumber, etag: uploaded.etag, crc32c: uploaded.crc32c, size: uploaded.size };
}

/**
 * Completes the upload from its children's ETags, checking the server's CRC32C of the assembled object against
 * the one combined from the parts'. A part that failed for good cancels the upload instead.
 */
export async function finalizeUpload(ctx: TaskContext, task: FinalizeUploadTask): Promise<void> {
  const { spec, store, engine } = ctx;
  const key = objectKey(task.rel);
  if (await store.isFinished(key)) return;
  const parts = (await ctx.children.values<PartValue>()).sort((a, b) => a.partNumber - b.partNumber);
  const failures = await ctx.children.failures();
  const total = parts.reduce((sum, p) => sum + p.size, 0);
  if (failures.length > 0 || parts.length !== task.parts || total !== task.size) {
    throw new MultipartUploadError(
      `${parts.length} of ${task.parts} parts were uploaded` + (failures.length > 0 ? `: ${failures.slice(0, 3).join('; ')}` : ''),
      { uploadId: task.uploadId, completedParts: [], cleanup: 'aborted' },
    );
  }
  const container = container_(ctx, task.rel, task.uploadId);
  for (const part of parts) container.registerPart(part.partNumber, part.etag);
  const expected = crc32cToBase64(
    combineCrc32c(parts.map((p) => ({ crc32c: crc32cFromBase64(p.crc32c) ?? 0, length: p.size }))),
  );
  try {
    await container.finalize(engine.transport, { signal: ctx.signal, ...(spec.checksum ? { expectedCrc32c: expected } : {}) });
  } catch (error) {
    // An earlier run of this task completed the upload and died before recording it: the object is there.
    if (!(error instanceof NotFound && error.gcsCode === 'NoSuchUpload' && (await objectHasCrc(ctx, task.rel, expected)))) throw error;
  }
  await store.objectDone(key, 0);
}

/** Whether the object exists with this CRC32C (after a complete whose answer was lost). */
async function objectHasCrc(ctx: TaskContext, rel: string, crc32c: string): Promise<boolean> {
  const url = ctx.engine.endpoint.xmlObjectUrl(ctx.spec.bucket, objectName(ctx.spec, rel));
  return sendWithRetry(
    ctx.engine.transport,
    ctx.engine.retry,
    () => ({ method: 'HEAD', url, headers: {}, body: null }),
    async (response) => {
      if (response.status === 404) return false;
      await requireStatus(response, [200], undefined, 'HEAD');
      return parseGoogHash(response.headers['x-goog-hash'], 'crc32c', responseContext(response)) === crc32c;
    },
    { signal: ctx.signal },
  );
}

/** Cancels a multipart upload; one already gone counts as cancelled. */
export async function cancelUpload(ctx: Pick<TaskContext, 'spec' | 'engine'>, rel: string, uploadId: string): Promise<void> {
  const container = container_(ctx as TaskContext, rel, uploadId);
  try {
    await container.cancel(ctx.engine.transport, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    if (!(error instanceof NotFound)) throw error;
  }
}

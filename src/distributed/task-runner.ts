/**
 * Runs one task of a distributed transfer and decides what its failure means: a transient failure is thrown
 * back to BullMQ, which retries the task (with back-off, on any machine) until its attempts run out; a
 * permanent one, or the last attempt, fails the task's object (never the whole transfer), cleans up what the
 * object left (an open multipart upload, a partial file) and records why, so that `status` can list it.
 */
import { UnrecoverableError } from 'bullmq';
import {
  AbortError,
  GcsTransferError,
  InvalidStateError,
  NetworkError,
  TimeoutError,
  WorkerError,
  isRetryable,
  serializeError,
} from '../errors.js';
import {
  TASK,
  objectKey,
  objectName,
  taskId,
  type AnyTask,
  type FinalizeDownloadTask,
  type FinalizeUploadTask,
  type JobSpec,
  type ListBucketTask,
  type ListDirTask,
  type ObjectTask,
  type PartTask,
  type RangeTask,
} from './job-spec.js';
import type { JobStore, ObjectFailure } from './job-state.js';
import { downloadObject, downloadRange, finalizeDownload, listBucket, pageListingKey, removePartial } from './download-tasks.js';
import type { TaskContext } from './task-context.js';
import { cancelUpload, dirListingKey, finalizeUpload, listDir, uploadObject, uploadPart } from './upload-tasks.js';

/** Runs the task named `name`. */
export async function runTask(ctx: TaskContext, name: string, data: AnyTask): Promise<unknown> {
  const upload = ctx.spec.direction === 'upload';
  switch (name) {
    case TASK.listDir:
      return listDir(ctx, data as ListDirTask);
    case TASK.listBucket:
      return listBucket(ctx, data as ListBucketTask);
    case TASK.object:
      return upload ? uploadObject(ctx, data as ObjectTask) : downloadObject(ctx, data as ObjectTask);
    case TASK.part:
      return uploadPart(ctx, data as PartTask);
    case TASK.range:
      return downloadRange(ctx, data as RangeTask);
    case TASK.finalizeUpload:
      return finalizeUpload(ctx, data as FinalizeUploadTask);
    case TASK.finalizeDownload:
      return finalizeDownload(ctx, data as FinalizeDownloadTask);
    default:
      throw new InvalidStateError(`Unknown task kind '${name}' (submitted by another version?)`);
  }
}

/** System errors about a local path that another attempt cannot fix. */
const PERMANENT_SYSTEM_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG', 'EROFS']);

/** Whether a failure is worth another attempt of the task. */
export function isTransient(error: unknown): boolean {
  if (error instanceof AbortError) return true;
  if (error instanceof NetworkError || error instanceof TimeoutError || error instanceof WorkerError) return true;
  if (error instanceof GcsTransferError) return isRetryable(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return !PERMANENT_SYSTEM_CODES.has(code);
  // Redis hiccups and bugs alike: another attempt costs little and the attempts are bounded.
  return true;
}

/** The failure as recorded for `status`: code and message only (messages are redacted at construction). */
export function failureOf(name: string, error: unknown): ObjectFailure {
  const data = serializeError(error);
  return { name, ...(data.code ? { code: data.code } : {}), message: data.message };
}

/**
 * Marks the task's object (or listing) failed and removes what it left. Idempotent: it may run twice (from the
 * processor and from the 'failed' event) and after a crash.
 */
export async function failTask(ctx: Pick<TaskContext, 'spec' | 'store' | 'engine' | 'enqueue'>, name: string, data: AnyTask, error: unknown): Promise<void> {
  const { spec, store } = ctx;
  switch (name) {
    case TASK.listDir: {
      const dir = (data as ListDirTask).dir;
      return void (await store.listingFailed(dirListingKey(dir), failureOf(`${spec.local}/${dir}`, error)));
    }
    case TASK.listBucket: {
      const page = (data as ListBucketTask).page;
      return void (await store.listingFailed(pageListingKey(page), failureOf(`gs://${spec.bucket}/${spec.prefix} (listing page ${page + 1})`, error)));
    }
    case TASK.part:
    case TASK.range:
      // The flow's parent runs anyway (its children ignore failures), sees the gap, and fails the object.
      return;
    case TASK.object:
    case TASK.finalizeUpload:
    case TASK.finalizeDownload: {
      const rel = (data as ObjectTask).rel;
      const key = objectKey(rel);
      if (await store.isFinished(key)) return;
      // An object task whose flow was added hands the object over to that flow.
      if (name === TASK.object && (await ctx.enqueue.exists(taskId.finalize(spec.name, rel)))) return;
      const failure = failureOf(describeObject(spec, rel), error);
      try {
        await cleanUp(ctx, rel, key);
      } catch (cause) {
        failure.message += ` (cleanup failed: ${failureOf('', cause).message})`;
      }
      return void (await store.objectFailed(key, failure));
    }
    default:
      return;
  }
}

async function cleanUp(ctx: Pick<TaskContext, 'spec' | 'store' | 'engine'>, rel: string, key: string): Promise<void> {
  if (ctx.spec.direction === 'download') return removePartial(ctx.spec, rel);
  const uploadId = await ctx.store.recordedUpload(key);
  if (uploadId !== undefined) await cancelUpload(ctx, rel, uploadId);
}

function describeObject(spec: JobSpec, rel: string): string {
  const remote = `gs://${spec.bucket}/${objectName(spec, rel)}`;
  return spec.direction === 'upload' ? remote : `${remote} → ${spec.single ? spec.local : `${spec.local}/${rel}`}`;
}

/** Wraps a final failure so BullMQ does not retry it, keeping the message. */
export function unrecoverable(error: unknown): UnrecoverableError {
  const data = serializeError(error);
  return new UnrecoverableError(`${data.code ? `[${data.code}] ` : ''}${data.message}`);
}

export type { JobStore };

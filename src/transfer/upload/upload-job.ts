/**
 * Upload entry points: a file or a stream becomes either one single-request upload (small objects) or a
 * multipart upload whose parts run in the worker pool, in a sliding window of `concurrency`.
 *
 * Memory: a file upload never holds a part in memory on the main thread — each worker streams its own file
 * range (one 256 KiB read buffer per part in flight). A stream upload holds at most `concurrency` part buffers
 * (`concurrency × partSize` bytes), which travel to the workers and back without copies. A single-request
 * upload holds the object twice while it is sent, its bytes and the multipart/related body made of them (at
 * most 2 × `singleRequestThreshold` bytes).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { crc32c, crc32cToBase64 } from '../../checksum/crc32c.js';
import { InvalidArgumentError, UnvalidatedError } from '../../errors.js';
import { MultipartUpload } from '../../media/multipart-upload.js';
import type { TaskSource } from '../../pool/protocol.js';
import { BufferPool } from './buffer-pool.js';
import { chunkStream, type StreamPart } from './chunker.js';
import { checkGenerationMatch, requireGeneration } from './generation-precondition.js';
import { MultipartJob, type UploadContext } from './multipart-job.js';
import { formatObjectRef, type ObjectRef } from '../object-ref.js';
import {
  checkBoolean,
  checkFunction,
  metadataHeaders,
  objectFieldHeaders,
  objectFields,
  resolveTransfer,
  type ResolvedTransferOptions,
  type TransferDefaults,
  type TransferUploadOptions,
  type UploadResult,
} from '../options.js';
import { MAX_PARTS, partRange, planUpload, uploadPartSize, type UploadPlan } from '../part-plan.js';
import { ProgressTracker } from '../progress.js';
import { inspectSourceFile } from './local-source.js';
import { runSlidingWindow } from '../sliding-window.js';
import { checkStoredResource } from './stored-resource-check.js';

/** A single-request upload reads the whole object into memory, so its threshold is capped. */
const MAX_SINGLE_REQUEST_BYTES = 1024 * 1024 * 1024;

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Upload options after validation. */
interface UploadSettings {
  transfer: ResolvedTransferOptions;
  contentType: string;
  metadata: Record<string, string> | undefined;
  /** Cache-Control, Content-Disposition, Content-Encoding, as JSON resource fields. */
  fields: Record<string, string>;
  headers: Record<string, string>;
  singleRequestThreshold: number | undefined;
  keepOnFailure: boolean;
  onCheckpoint: TransferUploadOptions['onCheckpoint'];
  resume: TransferUploadOptions['resumeFrom'];
  /** See generation-precondition.ts: the service's own check for one request, ours around a multipart upload. */
  ifGenerationMatch: string | undefined;
}

/** Uploads the file at `srcPath` to `dest`. */
export async function uploadFile(
  context: UploadContext,
  srcPath: string,
  dest: ObjectRef,
  defaults: TransferDefaults,
  options: TransferUploadOptions = {},
): Promise<UploadResult> {
  const settings = resolveUpload(defaults, options);
  if (typeof srcPath !== 'string' || srcPath === '') {
    throw new InvalidArgumentError(`Expected \`srcPath\` to be a non-empty file path, got \`${String(srcPath)}\``);
  }
  const path = resolve(srcPath);
  const size = await fileSize(path);
  const { transfer, resume } = settings;
  const progress = new ProgressTracker(transfer.onProgress);
  const threshold = settings.singleRequestThreshold ?? uploadPartSize(transfer.chunkSize, size);
  try {
    if (!resume && size <= threshold) {
      return await uploadSingle(context, dest, await readFile(path), settings, progress);
    }
    const plan = planUpload(size, resume?.partSize ?? transfer.chunkSize);
    progress.setTotals({ bytes: size, parts: plan.partCount });
    // Before anything is sent (a refused upload sends no part); checked again before completing.
    await precondition(context, dest, settings);
    const job = newJob(context, dest, path, settings, progress, resume?.uploadId);
    try {
      if (resume) {
        await job.reconcile(plan, resume.parts ?? [], (part) => sameFileBytes(context, path, plan, part, transfer.signal));
      } else {
        await job.initiate(plan.partSize);
      }
      await runSlidingWindow(
        missingParts(plan, job),
        (partNumber, signal) => job.sendPart(partNumber, { kind: 'file', path, ...partRange(plan, partNumber) }, signal),
        { concurrency: transfer.concurrency, ...(transfer.signal ? { signal: transfer.signal } : {}) },
      );
      await precondition(context, dest, settings);
      const outcome = await job.finalize(plan.partCount);
      progress.finish();
      return multipartResult(dest, size, plan.partCount, job, outcome, progress);
    } catch (error) {
      return await job.fail(error, transfer.signal);
    }
  } finally {
    progress.finish({ emit: false });
  }
}

/**
 * Uploads everything `source` yields to `dest`. The source is read only as fast as parts are sent; if the
 * upload fails, the source is destroyed (as `stream.pipeline` does).
 */
export async function uploadStream(
  context: UploadContext,
  source: Readable | AsyncIterable<Uint8Array>,
  dest: ObjectRef,
  defaults: TransferDefaults,
  options: TransferUploadOptions = {},
): Promise<UploadResult> {
  const settings = resolveUpload(defaults, options);
  if (!(source instanceof Readable) && (typeof source !== 'object' || source === null || !(Symbol.asyncIterator in source))) {
    throw new InvalidArgumentError(`Expected \`source\` to be a Readable or an async iterable of bytes, got \`${String(source)}\``);
  }
  if (settings.resume || (options.resume !== undefined && options.resume !== false)) {
    throw new InvalidArgumentError('`resume` and `resumeFrom` are only supported by uploadFile: a stream cannot be read again from the start');
  }
  const { transfer } = settings;
  const partSize = uploadPartSize(transfer.chunkSize);
  const threshold = Math.min(settings.singleRequestThreshold ?? partSize, partSize);
  const progress = new ProgressTracker(transfer.onProgress);
  // One buffer per part in flight: the window pulls a part only when a slot is free, and a part's buffer is
  // back in the pool before its slot is released.
  const buffers = new BufferPool(partSize, transfer.concurrency);
  const parts = chunkStream(source, buffers, transfer.signal ? { signal: transfer.signal } : {});
  try {
    const first = await parts.next();
    if (first.done) return await uploadSingle(context, dest, new Uint8Array(0), settings, progress);
    if (first.value.last && first.value.length <= threshold) {
      const { buffer, length } = first.value;
      return await uploadSingle(context, dest, new Uint8Array(buffer, 0, length), settings, progress);
    }
    await precondition(context, dest, settings);
    const job = newJob(context, dest, '', settings, progress, undefined, (buffer) => buffers.release(buffer));
    let partCount = 0;
    let bytes = 0;
    const onPart = (part: StreamPart): void => {
      partCount = part.partNumber;
      bytes = (part.partNumber - 1) * partSize + part.length;
    };
    try {
      await job.initiate(partSize);
      await runSlidingWindow(
        withTotals(first.value, parts, partSize, progress, onPart),
        (part, signal) => job.sendPart(part.partNumber, bufferSource(part), signal),
        { concurrency: transfer.concurrency, ...(transfer.signal ? { signal: transfer.signal } : {}) },
      );
      await precondition(context, dest, settings);
      const outcome = await job.finalize(partCount);
      progress.finish();
      return multipartResult(dest, bytes, partCount, job, outcome, progress);
    } catch (error) {
      return await job.fail(error, transfer.signal);
    }
  } finally {
    progress.finish({ emit: false });
    await parts.return();
  }
}

/** One `uploadType=multipart` request carrying the metadata and the bytes, checked by the server's CRC32C. */
async function uploadSingle(
  context: UploadContext,
  dest: ObjectRef,
  data: Uint8Array,
  settings: UploadSettings,
  progress: ProgressTracker,
): Promise<UploadResult> {
  const { transfer } = settings;
  progress.setTotals({ bytes: data.byteLength, parts: 1 });
  const ifGenerationMatch = settings.ifGenerationMatch;
  const upload = new MultipartUpload(context.endpoint.uploadUrl(dest.bucket, 'multipart', ifGenerationMatch === undefined ? {} : { ifGenerationMatch }), {
    checksum: transfer.checksum ? 'crc32c' : null,
  });
  upload.retryStrategy = transfer.retry;
  const resource = await upload.transmit(
    context.transport,
    data,
    {
      name: dest.name,
      contentType: settings.contentType,
      ...settings.fields,
      ...(settings.metadata ? { metadata: settings.metadata } : {}),
    },
    settings.contentType,
    { ...(transfer.signal ? { signal: transfer.signal } : {}), ...(transfer.timeout ? { timeout: transfer.timeout } : {}) },
  );
  const local = crc32cToBase64(crc32c(data));
  await checkStoredResource(
    { transport: context.transport, endpoint: context.endpoint, retry: transfer.retry },
    resource,
    { dest, size: data.byteLength, crc32c: transfer.checksum ? local : undefined },
  );
  const validated = transfer.checksum && resource.crc32c !== undefined;
  if (transfer.requireValidation && !validated) {
    throw new UnvalidatedError(`The server gave no CRC32C for ${formatObjectRef(dest)} to validate the upload against`);
  }
  progress.addBytes(data.byteLength);
  progress.addParts(1);
  progress.finish();
  return {
    bucket: dest.bucket,
    name: dest.name,
    bytes: data.byteLength,
    crc32c: local,
    validated,
    ...(resource.generation === undefined ? {} : { generation: resource.generation }),
    parts: 1,
    elapsedMs: progress.elapsedMs,
    method: 'single',
  };
}

function newJob(
  context: UploadContext,
  dest: ObjectRef,
  source: string,
  settings: UploadSettings,
  progress: ProgressTracker,
  uploadId?: string,
  releaseBuffer?: (buffer: ArrayBuffer | undefined) => void,
): MultipartJob {
  return new MultipartJob(
    context,
    dest,
    source,
    {
      settings: settings.transfer,
      contentType: settings.contentType,
      headers: settings.headers,
      keepOnFailure: settings.keepOnFailure,
      onCheckpoint: settings.onCheckpoint,
      progress,
      ...(settings.transfer.signal ? { signal: settings.transfer.signal } : {}),
      ...(releaseBuffer ? { releaseBuffer } : {}),
    },
    uploadId,
  );
}

function multipartResult(
  dest: ObjectRef,
  bytes: number,
  parts: number,
  job: MultipartJob,
  outcome: { crc32c: string; validated: boolean; generation?: string },
  progress: ProgressTracker,
): UploadResult {
  return {
    bucket: dest.bucket,
    name: dest.name,
    bytes,
    crc32c: outcome.crc32c,
    validated: outcome.validated,
    ...(outcome.generation === undefined ? {} : { generation: outcome.generation }),
    ...(job.uploadId === undefined ? {} : { uploadId: job.uploadId }),
    parts,
    elapsedMs: progress.elapsedMs,
    method: 'multipart',
  };
}

/** Part numbers 1..N that the job does not hold yet, in order. */
function* missingParts(plan: UploadPlan, job: MultipartJob): Generator<number> {
  for (let n = 1; n <= plan.partCount; n++) if (!job.completed.has(n)) yield n;
}

/** Whether the file still holds the bytes a recorded part was made of (hashed in a worker). */
async function sameFileBytes(
  context: UploadContext,
  path: string,
  plan: UploadPlan,
  part: { partNumber: number; crc32c: string },
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const outcome = await context.pool.hashRange(
    { source: { kind: 'file', path, ...partRange(plan, part.partNumber) } },
    signal ? { signal } : {},
  );
  if (!outcome.ok) throw outcome.error;
  return crc32cToBase64(outcome.value.crc32c) === part.crc32c;
}

/**
 * The stream's parts, the first one already read, refusing a part number beyond GCS's limit and recording
 * the totals once the last part is cut.
 */
async function* withTotals(
  first: StreamPart,
  rest: AsyncIterator<StreamPart>,
  partSize: number,
  progress: ProgressTracker,
  onPart: (part: StreamPart) => void,
): AsyncGenerator<StreamPart> {
  let part: StreamPart | undefined = first;
  while (part) {
    if (part.partNumber > MAX_PARTS) {
      throw new InvalidArgumentError(
        `The stream is longer than ${MAX_PARTS} parts of ${partSize} bytes: pass a larger \`chunkSize\``,
      );
    }
    onPart(part);
    if (part.last) progress.setTotals({ bytes: (part.partNumber - 1) * partSize + part.length, parts: part.partNumber });
    yield part;
    const next: IteratorResult<StreamPart> = await rest.next();
    part = next.done ? undefined : next.value;
  }
}

function bufferSource(part: StreamPart): TaskSource {
  return { kind: 'buffer', buffer: part.buffer, length: part.length };
}

async function fileSize(path: string): Promise<number> {
  return (await inspectSourceFile(path)).size;
}

function resolveUpload(defaults: TransferDefaults, options: TransferUploadOptions): UploadSettings {
  const transfer = resolveTransfer(defaults, options);
  const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
  if (typeof contentType !== 'string' || contentType === '' || /[\r\n]/.test(contentType)) {
    throw new InvalidArgumentError(`Expected \`contentType\` to be a non-empty single-line string, got \`${String(contentType)}\``);
  }
  const threshold = options.singleRequestThreshold;
  if (threshold !== undefined && (!Number.isSafeInteger(threshold) || threshold < 0 || threshold > MAX_SINGLE_REQUEST_BYTES)) {
    throw new InvalidArgumentError(
      `Expected \`singleRequestThreshold\` to be an integer from 0 to ${MAX_SINGLE_REQUEST_BYTES} (it is read into memory), got \`${String(threshold)}\``,
    );
  }
  checkBoolean('keepOnFailure', options.keepOnFailure);
  checkFunction('onCheckpoint', options.onCheckpoint);
  const resume = options.resumeFrom;
  if (resume !== undefined) {
    if (typeof resume !== 'object' || resume === null || typeof resume.uploadId !== 'string' || resume.uploadId === '') {
      throw new InvalidArgumentError(`Expected \`resumeFrom\` to be { uploadId, parts?, partSize? }, got \`${JSON.stringify(resume)}\``);
    }
    if (resume.parts !== undefined && !Array.isArray(resume.parts)) {
      throw new InvalidArgumentError(`Expected \`resumeFrom.parts\` to be an array of completed parts, got \`${String(resume.parts)}\``);
    }
  }
  const fields = objectFields(options);
  return {
    transfer,
    contentType,
    metadata: options.metadata,
    fields,
    headers: { ...metadataHeaders(options.metadata), ...objectFieldHeaders(fields) },
    singleRequestThreshold: threshold,
    keepOnFailure: options.keepOnFailure ?? false,
    onCheckpoint: options.onCheckpoint,
    resume,
    ifGenerationMatch: checkGenerationMatch(options.ifGenerationMatch),
  };
}

/** A multipart upload's own check of `ifGenerationMatch` (XML multipart uploads take no precondition). */
async function precondition(context: UploadContext, dest: ObjectRef, settings: UploadSettings): Promise<void> {
  if (settings.ifGenerationMatch === undefined) return;
  const { transfer } = settings;
  const api = { transport: context.transport, endpoint: context.endpoint, defaults: { retry: transfer.retry, timeout: transfer.timeout } };
  await requireGeneration(api, dest, settings.ifGenerationMatch, transfer.signal);
}

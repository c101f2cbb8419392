/**
 * `uploadFile` with `resume`: the journal's life cycle around the engine's multipart upload. The journal lives
 * in the state directory and the multipart upload is left open when a call fails in a way a later call can
 * recover from; the next call reconciles the journal with the server (ListParts, plus a re-hash of each
 * recorded part from the file) and sends only what is missing. See journal-upload.ts for what is checked.
 */
import { realpath, stat } from 'node:fs/promises';
import { AbortError, MultipartUploadError, localIOError, type GcsTransferError } from '../../errors.js';
import type { GcsEndpoint } from '../../transport/endpoint.js';
import type { Transport } from '../../transport/transport.js';
import {
  UploadJournal,
  planUploadResume,
  uploadJournalPath,
  type SourceFingerprint,
  type UploadIdentity,
  type UploadResumePlan,
} from './journal-upload.js';
import { inspectSourceFile } from '../upload/local-source.js';
import { formatObjectRef, type ObjectRef } from '../object-ref.js';
import type { TransferUploadOptions, UploadCheckpoint, UploadResult } from '../options.js';
import { uploadPartSize } from '../part-plan.js';
import { worthResuming, type ResolvedResume } from './resume-policy.js';
import { cancelUpload, objectMatchesFile } from './upload-housekeeping.js';

/** The engine's `uploadFile` for one destination. */
export type RunUpload = (srcPath: string, options: TransferUploadOptions) => Promise<UploadResult>;

/** What the resumable upload needs of the manager besides the engine. */
export interface ResumableUploadContext {
  transport: Transport;
  endpoint: GcsEndpoint;
  /** The part size a fresh upload would ask for (the call's `chunkSize`, or the manager's). */
  chunkSize: number;
}

type Cleanup = { cleanup: 'aborted' | 'none' | 'abort-failed'; note: string };

/** Runs `run` resumably (see {@link TransferUploadOptions.resume}). */
export async function uploadResumably(
  context: ResumableUploadContext,
  run: RunUpload,
  srcPath: string,
  dest: ObjectRef,
  resume: ResolvedResume,
  options: TransferUploadOptions,
): Promise<UploadResult> {
  // The journal is named after the file's real path, so `./a` and `/abs/a` (or a symlink) share one.
  const source = await realpath(srcPath).catch((error: unknown) => {
    throw localIOError(error, srcPath, 'realpath', 'Cannot read the source file');
  });
  const info = await inspectSourceFile(source);
  const fingerprint: SourceFingerprint = { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino };
  const identity: UploadIdentity = { endpoint: context.endpoint.url, object: formatObjectRef(dest), source };
  const { signal } = options;
  const fresh: UploadResumePlan = { recordedBytes: 0, notes: [] };
  const journalPath = await uploadJournalPath(resume.stateDir, identity);
  let plan = await planUploadResume(journalPath, identity, fingerprint);
  for (const message of plan.notes) resume.emit({ type: 'note', message });
  if (resume.restart && plan.resume) {
    resume.emit({ type: 'note', message: 'restart: discarding the interrupted upload' });
    plan = { ...fresh, abandoned: { uploadId: plan.resume.uploadId } };
  }
  const cancel = (uploadId: string): Promise<Cleanup> => cancelAbandoned(context, dest, source, uploadId);
  if (plan.abandoned) resume.emit({ type: 'note', message: (await cancel(plan.abandoned.uploadId)).note });
  const { resume: _ours, onCheckpoint: theirs, ...engineOptions } = options;

  for (;;) {
    if (plan.resume) {
      resume.emit({
        type: 'resuming',
        bytes: plan.recordedBytes,
        size: fingerprint.size,
        partSize: plan.resume.partSize,
        plannedPartSize: uploadPartSize(context.chunkSize, fingerprint.size),
      });
    }
    const journal = new UploadJournal(journalPath, identity, fingerprint, plan.resume);
    let sentBytes = 0;
    let sentParts = 0;
    const onCheckpoint = (event: UploadCheckpoint): void => {
      if (event.type === 'part') {
        sentBytes += event.size;
        sentParts += 1;
      }
      journal.onCheckpoint(event);
      theirs?.(event);
    };
    try {
      const result = await run(source, {
        ...engineOptions,
        keepOnFailure: true,
        onCheckpoint,
        ...(plan.resume ? { resumeFrom: plan.resume } : {}),
      });
      await journal.remove();
      const multipart = result.method === 'multipart';
      return { ...result, resumed: { bytes: multipart ? result.bytes - sentBytes : 0, parts: multipart ? result.parts - sentParts : 0 } };
    } catch (error) {
      if (plan.resume && isUploadGone(error) && signal?.aborted !== true) {
        // Killed after sending the complete request, the last call may have finished after all.
        const done = await alreadyUploaded(context, dest, source, fingerprint.size, plan.resume.parts.length, signal);
        await journal.remove();
        if (done) {
          resume.emit({ type: 'note', message: 'the interrupted upload had been completed: the object already holds exactly this file' });
          return done;
        }
        resume.emit({
          type: 'note',
          message: 'starting over: the interrupted upload no longer exists on the server (completed, cancelled or expired)',
        });
        plan = fresh;
        continue;
      }
      const leftOpen = error instanceof AbortError || (error instanceof MultipartUploadError && error.cleanup === 'left-for-resume');
      if (leftOpen && worthResuming(error) && (await journalWritten(journal))) {
        resume.emit({ type: 'kept', paths: [journal.path] });
        throw error;
      }
      // Kept open for a resume that a later call could not complete: cancel it rather than leave it billed, and
      // say what became of it (the engine's message still says "left open for resume").
      let reported = error;
      if (error instanceof MultipartUploadError && error.cleanup === 'left-for-resume' && error.uploadId !== undefined) {
        reported = withCleanup(error, await cancel(error.uploadId));
      }
      await journal.remove();
      throw reported;
    }
  }
}

/** The resumed upload is gone from the server (ListParts or a part PUT answered 404 NoSuchUpload). */
function isUploadGone(error: unknown): boolean {
  return error instanceof MultipartUploadError && (error.cause as GcsTransferError | undefined)?.code === 'ERR_GCS_NOT_FOUND';
}

/** Whether the journal reached the disk (an upload interrupted before it was initiated has nothing to resume). */
async function journalWritten(journal: UploadJournal): Promise<boolean> {
  await journal.flush().catch(() => undefined);
  return stat(journal.path).then(
    () => true,
    () => false,
  );
}

/**
 * Cancels an upload that cannot be continued (the file changed, a restart, or a failure a later call would
 * repeat), so it is not billed forever. Best effort: a failure is reported, nothing else depends on it.
 */
async function cancelAbandoned(context: ResumableUploadContext, dest: ObjectRef, source: string, uploadId: string): Promise<Cleanup> {
  try {
    const outcome = await cancelUpload(context.transport, context.endpoint, dest, uploadId, source);
    return outcome === 'cancelled'
      ? { cleanup: 'aborted', note: 'the unfinished upload was cancelled' }
      : { cleanup: 'none', note: 'the unfinished upload no longer exists on the server' };
  } catch (error) {
    return {
      cleanup: 'abort-failed',
      note: `could not cancel the unfinished upload ${uploadId} (${(error as Error).message}); it stays open until cancelled or removed by a lifecycle rule`,
    };
  }
}

/** The engine's error, rewritten to say what became of the upload it had left open. */
function withCleanup(error: MultipartUploadError, outcome: Cleanup): MultipartUploadError {
  const message = error.message.replace(/; the upload was left open for resume$/, `; ${outcome.note}`);
  return new MultipartUploadError(message, {
    cause: error.cause,
    ...(error.uploadId === undefined ? {} : { uploadId: error.uploadId }),
    completedParts: error.completedParts,
    cleanup: outcome.cleanup,
  });
}

/** The result of an upload found complete on the server, identical to the file; undefined otherwise. */
async function alreadyUploaded(
  context: ResumableUploadContext,
  dest: ObjectRef,
  source: string,
  size: number,
  parts: number,
  signal: AbortSignal | undefined,
): Promise<UploadResult | undefined> {
  const started = performance.now();
  try {
    const found = await objectMatchesFile(context.transport, context.endpoint, dest, source, size, signal);
    if (found === undefined) return undefined;
    return {
      bucket: dest.bucket,
      name: dest.name,
      bytes: size,
      crc32c: found.crc32c,
      validated: true,
      ...(found.generation === undefined ? {} : { generation: found.generation }),
      parts,
      elapsedMs: Math.round(performance.now() - started),
      method: 'multipart',
      resumed: { bytes: size, parts },
    };
  } catch {
    // Could not tell: uploading again is always correct.
    return undefined;
  }
}

/**
 * `cp FILE|- gs://…`: an upload, resumable when it comes from a file. The journal lives in the state
 * directory and the multipart upload is left open when the run fails or is interrupted; the next identical
 * command reconciles the journal with the server (ListParts, plus a re-hash of each recorded part from the
 * file) and sends only what is missing. See journal-upload.ts.
 */
import { realpath, stat } from 'node:fs/promises';
import { AbortError, InvalidArgumentError, MultipartUploadError, localIOError, type GcsTransferError } from '../errors.js';
import { inspectSourceFile } from '../transfer/local-source.js';
import {
  UploadJournal,
  planUploadResume,
  uploadJournalPath,
  type SourceFingerprint,
  type UploadIdentity,
  type UploadResumePlan,
} from '../transfer/journal-upload.js';
import { formatObjectRef } from '../transfer/object-ref.js';
import { DEFAULT_CHUNK_SIZE, type TransferUploadOptions, type UploadCheckpoint } from '../transfer/options.js';
import { MAX_PARTS, MIN_PART_SIZE, uploadPartSize } from '../transfer/part-plan.js';
import { worthResuming, type CpContext, type CpOutcome } from './cp-context.js';
import { summaryOf, type CpSummary } from './cp-report.js';
import { formatSize } from './sizes.js';
import { openHousekeeping } from './upload-housekeeping.js';

/** Uploads the file `options.local`, resuming from (and keeping) the journal unless `--no-resume`. */
export async function uploadFromFile(context: CpContext): Promise<CpOutcome> {
  const { tm, options, reporter, signal } = context;
  const path = options.local;
  let source: string;
  let fingerprint: SourceFingerprint;
  try {
    source = await realpath(path).catch((error: unknown) => {
      throw localIOError(error, path, 'realpath', 'Cannot read the source file');
    });
    const info = await inspectSourceFile(source);
    fingerprint = { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino };
  } catch (error) {
    return { ok: false, error };
  }
  const identity: UploadIdentity = { endpoint: tm.endpoint, object: formatObjectRef(options.remote), source };
  const fresh: UploadResumePlan = { recordedBytes: 0, notes: [] };
  const journalPath = options.resume === 'off' ? undefined : await uploadJournalPath(options.stateDir, identity);
  let plan = journalPath === undefined ? fresh : await planUploadResume(journalPath, identity, fingerprint);
  for (const note of plan.notes) reporter.note(note);
  if (options.resume === 'restart' && plan.resume) {
    reporter.note('--restart: discarding the interrupted upload');
    plan = { ...fresh, abandoned: { uploadId: plan.resume.uploadId } };
  }
  if (plan.abandoned) await cancelAbandoned(context, source, plan.abandoned.uploadId);
  if (plan.resume && options.chunkSize !== undefined && options.chunkSize !== plan.resume.partSize) {
    reporter.note(`keeping the interrupted upload's part size, ${formatSize(plan.resume.partSize)} (--chunk-size applies to new uploads)`);
  } else if (!plan.resume) {
    notePartSize(context, fingerprint.size);
  }

  for (;;) {
    if (plan.resume) {
      reporter.note(`resuming: ${formatSize(plan.recordedBytes)} of ${formatSize(fingerprint.size)} recorded as uploaded; checking them with the server`);
    }
    const journal = journalPath === undefined ? undefined : new UploadJournal(journalPath, identity, fingerprint, plan.resume);
    let sentBytes = 0;
    const onCheckpoint = (event: UploadCheckpoint): void => {
      if (event.type === 'part') sentBytes += event.size;
      journal?.onCheckpoint(event);
    };
    try {
      const result = await tm.uploadFile(source, options.remote, {
        ...uploadOptions(context),
        keepOnFailure: journal !== undefined,
        onCheckpoint,
        ...(plan.resume ? { resume: plan.resume } : {}),
      });
      await journal?.remove();
      const resumedBytes = result.method === 'multipart' ? result.bytes - sentBytes : 0;
      return { ok: true, summary: summaryOf(result, { direction: 'upload', source: path, destination: identity.object, resumedBytes }) };
    } catch (error) {
      if (plan.resume && isUploadGone(error) && signal?.aborted !== true) {
        // Killed after sending the complete request, the last run may have finished after all.
        const done = await alreadyUploaded(context, source, fingerprint.size, plan.resume.parts.length);
        await journal?.remove();
        if (done) {
          reporter.note('the interrupted upload had been completed: the object already holds exactly this file');
          return { ok: true, summary: { ...done, source: path, destination: identity.object } };
        }
        reporter.note('starting over: the interrupted upload no longer exists on the server (completed, cancelled or expired)');
        plan = fresh;
        continue;
      }
      const leftOpen = error instanceof AbortError || (error instanceof MultipartUploadError && error.cleanup === 'left-for-resume');
      if (journal !== undefined && leftOpen && worthResuming(error) && (await journalWritten(journal))) {
        return { ok: false, error, kept: journal.path };
      }
      // Kept open for a resume that a re-run could not complete: cancel it rather than leave it billed, and
      // report what became of it (the engine's message still says "left open for resume").
      let reported = error;
      if (error instanceof MultipartUploadError && error.cleanup === 'left-for-resume' && error.uploadId !== undefined) {
        reported = withCleanup(error, await cancelAbandoned(context, source, error.uploadId, { quiet: true }));
      }
      await journal?.remove();
      return { ok: false, error: reported };
    }
  }
}

/** Streams stdin into the object. Not resumable: stdin cannot be read again. A failed upload is cancelled. */
export async function uploadFromStdin(context: CpContext): Promise<CpOutcome> {
  const { tm, options, io } = context;
  try {
    notePartSize(context, undefined);
    const result = await tm.uploadStream(io.stdin, options.remote, uploadOptions(context));
    return { ok: true, summary: summaryOf(result, { direction: 'upload', source: '-', destination: formatObjectRef(options.remote), resumedBytes: 0 }) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * One line when the part size will not be the one asked for (or the default): GCS's parts are at least 5 MiB,
 * and an object may have at most 10,000 of them. Files at most one part big go in one request and have none.
 */
function notePartSize(context: CpContext, size: number | undefined): void {
  const requested = context.options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const used = uploadPartSize(requested, size);
  if (used === requested || (size !== undefined && size <= used)) return;
  const why = requested < MIN_PART_SIZE ? 'GCS multipart parts are at least 5 MiB' : `the file needs at most ${MAX_PARTS} parts`;
  context.reporter.note(`part size raised from ${formatSize(requested)} to ${formatSize(used)}: ${why}`);
}

function uploadOptions(context: CpContext): TransferUploadOptions {
  const { options, reporter, signal } = context;
  return {
    onProgress: reporter.onProgress,
    ...(signal ? { signal } : {}),
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
  };
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
 * Cancels an upload that cannot be continued (the file changed, --restart, or a failure a re-run would
 * repeat), so it is not billed forever. Best effort: a failure is reported, nothing else depends on it.
 */
async function cancelAbandoned(
  context: CpContext,
  source: string,
  uploadId: string,
  options: { quiet?: boolean } = {},
): Promise<{ cleanup: 'aborted' | 'none' | 'abort-failed'; note: string }> {
  const { reporter, tm } = context;
  const housekeeping = openHousekeeping(tm.endpoint, context.options.auth, context.options.remote);
  let result: { cleanup: 'aborted' | 'none' | 'abort-failed'; note: string };
  try {
    const outcome = await housekeeping.cancel(uploadId, source);
    result =
      outcome === 'cancelled'
        ? { cleanup: 'aborted', note: 'the unfinished upload was cancelled' }
        : { cleanup: 'none', note: 'the unfinished upload no longer exists on the server' };
  } catch (error) {
    result = {
      cleanup: 'abort-failed',
      note: `could not cancel the unfinished upload ${uploadId} (${(error as Error).message}); it stays open until cancelled or removed by a lifecycle rule`,
    };
  } finally {
    await housekeeping.close();
  }
  if (!options.quiet) reporter.note(result.note);
  return result;
}

/** The engine's error, rewritten to say what the CLI did with the upload it had left open. */
function withCleanup(error: MultipartUploadError, outcome: { cleanup: 'aborted' | 'none' | 'abort-failed'; note: string }): MultipartUploadError {
  const message = error.message.replace(/; the upload was left open for resume$/, `; ${outcome.note}`);
  return new MultipartUploadError(message, {
    cause: error.cause,
    ...(error.uploadId === undefined ? {} : { uploadId: error.uploadId }),
    completedParts: error.completedParts,
    cleanup: outcome.cleanup,
  });
}

/** The summary of an upload found complete on the server, identical to the file; undefined otherwise. */
async function alreadyUploaded(
  context: CpContext,
  source: string,
  size: number,
  parts: number,
): Promise<Omit<CpSummary, 'source' | 'destination'> | undefined> {
  const { options, tm, signal } = context;
  const started = performance.now();
  const housekeeping = openHousekeeping(tm.endpoint, options.auth, options.remote);
  try {
    const found = await housekeeping.matchesFile(source, size, signal);
    if (found === undefined) return undefined;
    return {
      direction: 'upload',
      bytes: size,
      crc32c: found.crc32c,
      validated: true,
      ...(found.generation === undefined ? {} : { generation: found.generation }),
      parts,
      elapsedMs: Math.round(performance.now() - started),
      resumedBytes: size,
      method: 'multipart',
    };
  } catch {
    // Could not tell: uploading again is always correct.
    return undefined;
  } finally {
    await housekeeping.close();
  }
}

/**
 * `downloadFile` with `resume`: the journal's life cycle around the engine's download. The destination is locked
 * before the journal is even read, so a second call for the same file fails at once without touching the first
 * one's state. What is checked before anything is reused is journal-download.ts's business; this file decides
 * when the journal and the partial file are kept (only when a later call can finish the job) and when they go.
 */
import { rm, stat } from 'node:fs/promises';
import { SourceChangedError } from '../../errors.js';
import { DestinationLock } from '../destination/destination-lock.js';
import { resolveDestination } from '../destination/file-sink.js';
import { PARTIAL_SUFFIX } from '../destination/side-files.js';
import {
  DownloadJournal,
  downloadJournalPath,
  planDownloadResume,
  removeDownloadJournal,
  type DownloadIdentity,
  type DownloadResumePlan,
} from './journal-download.js';
import { formatObjectRef, type ObjectRef } from '../object-ref.js';
import type { DownloadCheckpoint, DownloadResult, TransferDownloadOptions } from '../options.js';
import { worthResuming, type ResolvedResume } from './resume-policy.js';

/** The engine's `downloadFile` for one source and destination. */
export type RunDownload = (options: TransferDownloadOptions) => Promise<DownloadResult>;

/** Runs `run` resumably (see {@link TransferDownloadOptions.resume}). */
export async function downloadResumably(
  run: RunDownload,
  source: ObjectRef,
  destPath: string,
  endpoint: string,
  resume: ResolvedResume,
  options: TransferDownloadOptions,
): Promise<DownloadResult> {
  const given = options.destinationLock;
  // A lock of the wrong kind or for another file is the engine's to refuse, with its message.
  if (given !== undefined && !(given instanceof DestinationLock)) return run(options);
  const lock = given ?? (await DestinationLock.acquire(await resolveDestination(destPath)));
  try {
    return await downloadLocked(run, lock, { endpoint, object: formatObjectRef(source) }, resume, options);
  } finally {
    if (given === undefined) await lock.release({ keepPartial: await exists(lock.dest + PARTIAL_SUFFIX) });
  }
}

async function downloadLocked(
  run: RunDownload,
  lock: DestinationLock,
  identity: DownloadIdentity,
  resume: ResolvedResume,
  options: TransferDownloadOptions,
): Promise<DownloadResult> {
  const { signal } = options;
  const dest = lock.dest;
  const partial = dest + PARTIAL_SUFFIX;
  const fresh: DownloadResumePlan = { reusedBytes: 0, notes: [] };
  // A restart truncates the partial file, which would make the saved journal a lie.
  if (resume.restart) await removeDownloadJournal(dest);
  let plan = resume.restart ? fresh : await planDownloadResume(dest, identity, signal ? { signal } : {});
  for (const message of plan.notes) resume.emit({ type: 'note', message });
  const { resume: _ours, onCheckpoint: theirs, ...engineOptions } = options;

  for (;;) {
    if (plan.resume) resume.emit({ type: 'resuming', bytes: plan.reusedBytes, size: plan.size });
    const journal = new DownloadJournal(dest, identity, plan.resume);
    const onCheckpoint = (event: DownloadCheckpoint): void => {
      journal.onCheckpoint(event);
      theirs?.(event);
    };
    try {
      const result = await run({
        ...engineOptions,
        keepPartial: true,
        destinationLock: lock,
        onCheckpoint,
        ...(plan.resume ? { resumeFrom: plan.resume } : {}),
      });
      await journal.remove();
      return { ...result, resumed: { bytes: plan.reusedBytes, parts: plan.resume?.ranges.length ?? 0 } };
    } catch (error) {
      if (plan.resume && error instanceof SourceChangedError && signal?.aborted !== true) {
        resume.emit({ type: 'note', message: `starting over: ${error.message}` });
        await journal.remove();
        plan = fresh;
        continue;
      }
      // The engine keeps the partial file unless its bytes proved corrupt; the journal goes with it. With no
      // range recorded, or after a failure a later call would repeat, the partial file would only be litter.
      if (journal.rangeCount > 0 && worthResuming(error) && (await exists(partial))) {
        await journal.flush().catch(() => undefined);
        resume.emit({ type: 'kept', paths: [partial, downloadJournalPath(dest)] });
        throw error;
      }
      await journal.remove();
      // Only a partial file this tool created (the lock's record) is removed: never one that was in the way.
      if (lock.ownsPartial) {
        await rm(partial, { force: true });
        await lock.notePartial(false);
      }
      throw error;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

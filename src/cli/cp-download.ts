/**
 * `cp gs://… FILE|-`: a download, resumable when it goes to a file. The journal (`FILE.gcs-transfer.partial.json`)
 * and the engine's `FILE.gcs-transfer.partial` are kept when the run fails or is interrupted, and the next
 * identical command continues from them; see journal-download.ts for what is checked before anything is reused.
 * The destination is locked before the journal is even read, so a second `cp` to the same file fails at once
 * without touching the first one's state.
 */
import { rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { SourceChangedError } from '../errors.js';
import { DestinationLock } from '../transfer/destination-lock.js';
import { resolveDestination } from '../transfer/file-sink.js';
import { PARTIAL_SUFFIX } from '../transfer/side-files.js';
import {
  DownloadJournal,
  downloadJournalPath,
  planDownloadResume,
  removeDownloadJournal,
  type DownloadResumePlan,
} from '../transfer/journal-download.js';
import { formatObjectRef } from '../transfer/object-ref.js';
import { downloadRangeSize } from '../transfer/options.js';
import { StdoutClosed, worthResuming, type CpContext, type CpOutcome } from './cp-context.js';
import { summaryOf } from './cp-report.js';
import { formatSize } from './sizes.js';

/** Downloads into `options.local`, resuming from (and keeping) the journal unless `--no-resume`. */
export async function downloadToFile(context: CpContext): Promise<CpOutcome> {
  let lock: DestinationLock;
  try {
    lock = await DestinationLock.acquire(await resolveDestination(context.options.local));
  } catch (error) {
    return { ok: false, error };
  }
  try {
    return await downloadLocked(context, lock);
  } finally {
    await lock.release({ keepPartial: await exists(lock.dest + PARTIAL_SUFFIX) });
  }
}

/** One line when `--chunk-size` is below the smallest download range. */
function noteRangeSize(context: CpContext): void {
  const requested = context.options.chunkSize;
  if (requested === undefined || downloadRangeSize(requested) === requested) return;
  context.reporter.note(`range size raised from ${formatSize(requested)} to ${formatSize(downloadRangeSize(requested))}, the smallest download range`);
}

async function downloadLocked(context: CpContext, lock: DestinationLock): Promise<CpOutcome> {
  const { tm, options, reporter, signal } = context;
  noteRangeSize(context);
  const dest = lock.dest;
  const identity = { endpoint: tm.endpoint, object: formatObjectRef(options.remote) };
  const fresh: DownloadResumePlan = { reusedBytes: 0, notes: [] };
  // The new run truncates FILE.gcs-transfer.partial, which would make any saved journal a lie.
  if (options.resume !== 'auto') await removeDownloadJournal(dest);
  let plan = options.resume === 'auto' ? await planDownloadResume(dest, identity, signal ? { signal } : {}) : fresh;
  for (const note of plan.notes) reporter.note(note);

  for (;;) {
    if (plan.resume) {
      const of = plan.size === undefined ? '' : ` of ${formatSize(plan.size)}`;
      reporter.note(`resuming: ${formatSize(plan.reusedBytes)}${of} already in ${dest}${PARTIAL_SUFFIX}`);
    }
    const journal = options.resume === 'off' ? undefined : new DownloadJournal(dest, identity, plan.resume);
    try {
      const result = await tm.downloadFile(options.remote, dest, {
        onProgress: reporter.onProgress,
        keepPartial: journal !== undefined,
        destinationLock: lock,
        decompress: options.decompress,
        ...(signal ? { signal } : {}),
        ...(journal ? { onCheckpoint: journal.onCheckpoint } : {}),
        ...(plan.resume ? { resume: plan.resume } : {}),
      });
      await journal?.remove();
      return {
        ok: true,
        summary: summaryOf(result, { direction: 'download', source: identity.object, destination: options.local, resumedBytes: plan.reusedBytes }),
      };
    } catch (error) {
      if (plan.resume && error instanceof SourceChangedError && signal?.aborted !== true) {
        reporter.note(`starting over: ${error.message}`);
        await journal?.remove();
        plan = fresh;
        continue;
      }
      // The engine keeps FILE.gcs-transfer.partial for us unless its bytes proved corrupt; the journal goes with it. With no
      // range recorded, or after a failure a re-run would repeat, the partial file would only be litter.
      const resumable =
        journal !== undefined && journal.rangeCount > 0 && worthResuming(error) && (await exists(dest + PARTIAL_SUFFIX));
      if (resumable) {
        await journal.flush().catch(() => undefined);
        return { ok: false, error, kept: `${dest}${PARTIAL_SUFFIX} and ${downloadJournalPath(dest)}` };
      }
      await journal?.remove();
      // Only a partial file this tool created (the lock's record) is removed: never one that was in the way.
      if (journal !== undefined && lock.ownsPartial) {
        await rm(dest + PARTIAL_SUFFIX, { force: true });
        await lock.notePartial(false);
      }
      return { ok: false, error };
    }
  }
}

/**
 * Streams the object to stdout in order. Nothing can be resumed (stdout cannot seek), and the bytes are only
 * known good once the stream has ended: the engine fails it after the last byte if the whole-object CRC32C
 * does not match (and decompresses a gzip-stored object on the way unless `--do-not-decompress`), so the exit
 * code is the verdict.
 */
export async function downloadToStdout(context: CpContext): Promise<CpOutcome> {
  const { tm, options, reporter, signal, io } = context;
  noteRangeSize(context);
  const source = tm.downloadToStream(options.remote, {
    onProgress: reporter.onProgress,
    decompress: options.decompress,
    ...(signal ? { signal } : {}),
  });
  // The reader went away (`| head`): like `cat`, stop quietly rather than report a write error.
  let readerGone = false;
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') readerGone = true;
  };
  io.stdout.on('error', onStdoutError);
  try {
    await pipeline(source, io.stdout, { end: false });
    const result = await source.result;
    return {
      ok: true,
      summary: summaryOf(result, { direction: 'download', source: formatObjectRef(options.remote), destination: '-', resumedBytes: 0 }),
    };
  } catch (error) {
    if (readerGone || (error as NodeJS.ErrnoException).code === 'EPIPE') return { ok: false, error: new StdoutClosed() };
    return { ok: false, error };
  } finally {
    io.stdout.off('error', onStdoutError);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * `cp FILE|- gs://…`: an upload, resumable when it comes from a file. The library's `resume` keeps a journal
 * in the state directory and leaves the multipart upload open when the run fails or is interrupted; the next
 * identical command continues it. This file resolves the part size once, calls the library and says what
 * happened.
 */
import { inspectSourceFile } from '../transfer/upload/local-source.js';
import { formatObjectRef } from '../transfer/object-ref.js';
import type { ResumeEvent, TransferUploadOptions, UploadCheckpoint } from '../transfer/options.js';
import { MAX_PARTS, PART_ALIGNMENT, choosePartSize, type PartSizeChoice } from '../transfer/part-plan.js';
import type { CpContext, CpOutcome } from './cp-context.js';
import { summaryOf } from './cp-report.js';
import { formatSize } from './sizes.js';

/** Uploads the file `options.local`, resuming from (and keeping) the journal unless `--no-resume`. */
export async function uploadFromFile(context: CpContext): Promise<CpOutcome> {
  const { tm, options, reporter } = context;
  let partSize: PartSizeChoice;
  try {
    partSize = choosePartSize(options.chunkSize, (await inspectSourceFile(options.local)).size);
  } catch (error) {
    return { ok: false, error };
  }
  let kept: string | undefined;
  const onEvent = (event: ResumeEvent): void => {
    if (event.type === 'note') reporter.note(event.message);
    else if (event.type === 'kept') kept = event.paths.join(' and ');
    else {
      // Both sides are effective part sizes: a flag below the 5 MiB minimum that resolves to the interrupted
      // upload's own part size changes nothing and is not worth a line.
      if (options.chunkSizeGiven && event.partSize !== undefined && event.partSize !== partSize.partSize) {
        reporter.note(
          `keeping the interrupted upload's part size, ${formatSize(event.partSize)}, rather than ${formatSize(partSize.partSize)} ` +
            '(--chunk-size applies to new uploads)',
        );
      }
      reporter.note(`resuming: ${formatSize(event.bytes)} of ${formatSize(event.size ?? 0)} recorded as uploaded; checking them with the server`);
    }
  };
  // The note comes when a new multipart upload starts: a resumed one keeps its part size, a small file has none.
  const onCheckpoint = (event: UploadCheckpoint): void => {
    if (event.type === 'initiated') notePartSize(context, partSize);
  };
  try {
    const result = await tm.uploadFile(options.local, options.remote, {
      ...uploadOptions(context, partSize),
      onCheckpoint,
      resume: options.resume === 'off' ? false : { stateDir: options.stateDir, restart: options.resume === 'restart', onEvent },
    });
    const where = { direction: 'upload', source: options.local, destination: formatObjectRef(options.remote) } as const;
    return { ok: true, summary: summaryOf(result, { ...where, resumedBytes: result.resumed?.bytes ?? 0 }) };
  } catch (error) {
    return { ok: false, error, ...(kept === undefined ? {} : { kept }) };
  }
}

/** Streams stdin into the object. Not resumable: stdin cannot be read again. A failed upload is cancelled. */
export async function uploadFromStdin(context: CpContext): Promise<CpOutcome> {
  const { tm, options, io } = context;
  try {
    const partSize = choosePartSize(options.chunkSize);
    notePartSize(context, partSize);
    const result = await tm.uploadStream(io.stdin, options.remote, uploadOptions(context, partSize));
    return { ok: true, summary: summaryOf(result, { direction: 'upload', source: '-', destination: formatObjectRef(options.remote), resumedBytes: 0 }) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * One line when the part size will not be the one asked for (or the default): GCS's parts are at least 5 MiB,
 * they are kept a multiple of 256 KiB, and an object may have at most 10,000 of them.
 */
function notePartSize(context: CpContext, choice: PartSizeChoice): void {
  if (choice.raisedBecause === undefined) return;
  const why = {
    'min-part-size': 'GCS multipart parts are at least 5 MiB',
    alignment: `parts are a multiple of ${formatSize(PART_ALIGNMENT)}`,
    'max-parts': `the file needs at most ${MAX_PARTS} parts`,
  }[choice.raisedBecause];
  context.reporter.note(`part size raised from ${formatSize(choice.requested)} to ${formatSize(choice.partSize)}: ${why}`);
}

/** The library's options: the part size resolved here, not the raw flag. */
function uploadOptions(context: CpContext, choice: PartSizeChoice): TransferUploadOptions {
  const { options, reporter, signal } = context;
  return {
    chunkSize: choice.partSize,
    onProgress: reporter.onProgress,
    ...(signal ? { signal } : {}),
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
  };
}

/**
 * `cp gs://… FILE|-`: a download, resumable when it goes to a file. The library's `resume` keeps the journal
 * (`FILE.gcs-transfer.partial.json`) and `FILE.gcs-transfer.partial` when the run fails or is interrupted, and
 * the next identical command continues from them; this file only says what it decided.
 */
import { pipeline } from 'node:stream/promises';
import { formatObjectRef } from '../transfer/object-ref.js';
import type { ResumeEvent } from '../transfer/options.js';
import { PARTIAL_SUFFIX } from '../transfer/destination/side-files.js';
import { StdoutClosed, type CpContext, type CpOutcome } from './cp-context.js';
import { summaryOf } from './cp-report.js';
import { formatSize } from './sizes.js';

/** Downloads into `options.local`, resuming from (and keeping) the journal unless `--no-resume`. */
export async function downloadToFile(context: CpContext): Promise<CpOutcome> {
  const { tm, options, reporter, signal } = context;
  noteRangeSize(context);
  let kept: string | undefined;
  const onEvent = (event: ResumeEvent): void => {
    if (event.type === 'note') reporter.note(event.message);
    else if (event.type === 'kept') kept = event.paths.join(' and ');
    else {
      const of = event.size === undefined ? '' : ` of ${formatSize(event.size)}`;
      reporter.note(`resuming: ${formatSize(event.bytes)}${of} already in ${options.local}${PARTIAL_SUFFIX}`);
    }
  };
  try {
    const result = await tm.downloadFile(options.remote, options.local, {
      onProgress: reporter.onProgress,
      decompress: options.decompress,
      ...(signal ? { signal } : {}),
      resume: options.resume === 'off' ? false : { restart: options.resume === 'restart', onEvent },
    });
    const where = { direction: 'download', source: formatObjectRef(options.remote), destination: options.local } as const;
    return { ok: true, summary: summaryOf(result, { ...where, resumedBytes: result.resumed?.bytes ?? 0 }) };
  } catch (error) {
    return { ok: false, error, ...(kept === undefined ? {} : { kept }) };
  }
}

/** One line when `--chunk-size` is below the smallest download range. */
function noteRangeSize(context: CpContext): void {
  const { chunkSize, chunkSizeGiven, rangeSize } = context.options;
  if (!chunkSizeGiven || rangeSize === chunkSize) return;
  context.reporter.note(`range size raised from ${formatSize(chunkSize)} to ${formatSize(rangeSize)}, the smallest download range`);
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

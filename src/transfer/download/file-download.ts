/**
 * `downloadFile`: a parallel download into `<dest>.gcs-transfer.partial`, renamed onto `dest` only once every
 * byte is verified. On failure or abort the partial file is removed (or kept for `resumeFrom` with `keepPartial`,
 * unless the bytes proved corrupt), so `dest` is never a half-written or unverified file. The destination is
 * locked for the whole call (see destination-lock.ts), so the result always describes the file that is there.
 */
import { createGunzip } from 'node:zlib';
import { DataCorruption, InvalidArgumentError, LocalIOError } from '../../errors.js';
import { abortErrorFor } from '../../util/abort.js';
import { DownloadJob, checkDownloadResume, rangeRunnerFor, type DownloadContext, type DownloadTarget } from './download-job.js';
import { DestinationLock } from '../destination/destination-lock.js';
import { FileSink, inspectDestination } from '../destination/file-sink.js';
import { formatObjectRef, type ObjectRef } from '../object-ref.js';
import { decompressesOnDownload, notGzipError, zlibErrorCode } from './stored-encoding.js';
import {
  checkBoolean,
  checkFunction,
  resolveDownload,
  type DownloadCheckpoint,
  type DownloadResult,
  type TransferDefaults,
  type TransferDownloadOptions,
} from '../options.js';
import { ProgressTracker } from '../progress.js';

export async function downloadFile(
  context: DownloadContext,
  source: ObjectRef,
  destPath: string,
  defaults: TransferDefaults,
  options: TransferDownloadOptions = {},
): Promise<DownloadResult> {
  const settings = resolveDownload(defaults, options);
  checkFunction('onCheckpoint', options.onCheckpoint);
  checkBoolean('keepPartial', options.keepPartial);
  checkBoolean('decompress', options.decompress);
  if (typeof destPath !== 'string' || destPath === '') {
    throw new InvalidArgumentError(`Expected \`destPath\` to be a non-empty file path, got \`${String(destPath)}\``);
  }
  if (options.resumeFrom !== undefined) checkDownloadResume(options.resumeFrom);
  const lock = options.destinationLock;
  if (lock !== undefined && !(lock instanceof DestinationLock)) {
    throw new InvalidArgumentError('Expected `destinationLock` to be a DestinationLock from DestinationLock.acquire()');
  }
  const { path: dest, finalMode } = await inspectDestination(destPath);
  if (lock !== undefined && lock.dest !== dest) {
    throw new InvalidArgumentError(`\`destinationLock\` locks ${lock.dest}, not the destination ${dest}`);
  }
  const progress = new ProgressTracker(settings.onProgress);
  const sink = await openSink(dest, options.resumeFrom !== undefined, lock, finalMode);
  const target: DownloadTarget = {
    open: async () => undefined,
    close: () => undefined,
    // A new partial file starts empty and every byte of the object is written before commit, so only a resumed
    // one (which may be longer than the object, if it changed size) is sized.
    sized: (size) => (options.resumeFrom === undefined ? Promise.resolve() : sink.truncate(size)),
  };
  let encoding: string | undefined;
  const onCheckpoint = (event: DownloadCheckpoint): void => {
    if (event.type === 'discovered') encoding = event.contentEncoding;
    options.onCheckpoint?.(event);
  };
  try {
    const result = await new DownloadJob(context, source, target, {
      settings,
      runner: rangeRunnerFor(context, settings, source, { file: sink }),
      progress,
      onCheckpoint,
      resume: options.resumeFrom,
    }).run(settings.signal);
    if (options.decompress !== false && decompressesOnDownload(encoding)) {
      const bytes = await decompressInto(sink, result);
      progress.finish();
      return { ...result, decompressed: { encoding: encoding as string, bytes } };
    }
    await sink.commit();
    progress.finish();
    return result;
  } catch (error) {
    const keep = options.keepPartial === true && !(error instanceof DataCorruption);
    await sink.discard({ keep });
    if (settings.signal?.aborted) throw abortErrorFor(settings.signal);
    throw error;
  } finally {
    progress.finish({ emit: false });
  }
}

/**
 * Decompresses the verified stored bytes onto the destination. When the stored CRC32C matched, a gzip stream
 * that does not decode (or whose own CRC-32 trailer fails) means the object itself is not what its
 * Content-Encoding says: a typed error (saying whether the bytes were verified), and the destination is left
 * alone.
 */
async function decompressInto(sink: FileSink, result: DownloadResult): Promise<number> {
  try {
    return await sink.commitDecoded(() => createGunzip());
  } catch (error) {
    const zlib = zlibErrorCode(error);
    if (zlib !== undefined) throw notGzipError(formatObjectRef(result), zlib, error, { verified: result.validated });
    throw error;
  }
}

async function openSink(dest: string, resume: boolean, lock: DestinationLock | undefined, finalMode: number): Promise<FileSink> {
  try {
    return await FileSink.open(dest, { resume, finalMode, ...(lock ? { lock } : {}) });
  } catch (error) {
    if (resume && error instanceof LocalIOError && error.errno === 'ENOENT' && error.path.endsWith('.partial')) {
      throw new InvalidArgumentError(`Cannot \`resumeFrom\`: ${error.path} does not exist (start the download afresh)`, { cause: error });
    }
    throw error;
  }
}

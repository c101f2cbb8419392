/**
 * `downloadFile`: a parallel download into `<dest>.partial`, renamed onto `dest` only once every byte is
 * verified. On failure or abort the partial file is removed (or kept for `resume` with `keepPartial`, unless
 * the bytes proved corrupt), so `dest` is never a half-written or unverified file.
 */
import { resolve } from 'node:path';
import { DataCorruption, InvalidArgumentError } from '../errors.js';
import { abortErrorFor, linkedController } from '../util/abort.js';
import { DownloadJob, checkDownloadResume, rangeRunnerFor, type DownloadContext, type DownloadTarget } from './download-job.js';
import { FileSink } from './file-sink.js';
import type { ObjectRef } from './object-ref.js';
import { checkBoolean, checkFunction, resolveTransfer, type TransferDownloadOptions, type DownloadResult, type TransferDefaults } from './options.js';
import { ProgressTracker } from './progress.js';

export async function downloadFile(
  context: DownloadContext,
  source: ObjectRef,
  destPath: string,
  defaults: TransferDefaults,
  options: TransferDownloadOptions = {},
): Promise<DownloadResult> {
  const settings = resolveTransfer(defaults, options);
  checkFunction('onCheckpoint', options.onCheckpoint);
  checkBoolean('keepPartial', options.keepPartial);
  if (typeof destPath !== 'string' || destPath === '') {
    throw new InvalidArgumentError(`Expected \`destPath\` to be a non-empty file path, got \`${String(destPath)}\``);
  }
  if (options.resume !== undefined) checkDownloadResume(options.resume);
  const progress = new ProgressTracker(settings.onProgress);
  const sink = await openSink(resolve(destPath), options.resume !== undefined);
  const target: DownloadTarget = {
    open: async () => undefined,
    close: () => undefined,
    sized: (size) => sink.truncate(size),
  };
  const { controller, dispose } = linkedController(settings.signal);
  try {
    const result = await new DownloadJob(context, source, target, {
      settings,
      runner: rangeRunnerFor(context, settings, source, { file: sink }),
      progress,
      onCheckpoint: options.onCheckpoint,
      resume: options.resume,
    }).run(controller.signal);
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
    dispose();
  }
}

async function openSink(dest: string, resume: boolean): Promise<FileSink> {
  try {
    return await FileSink.open(dest, { resume });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (resume && code === 'ENOENT') {
      throw new InvalidArgumentError(`Cannot \`resume\`: ${dest}.partial does not exist (start the download afresh)`, { cause: error });
    }
    throw new InvalidArgumentError(`Cannot write \`destPath\` ${dest}.partial: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * `downloadToStream`: a parallel download delivered in order through a bounded reorder window. Ranges are
 * fetched concurrently; the range at the head streams straight to the consumer and later ones wait in memory,
 * so at most `readWindow` ranges (`readWindow × chunkSize` bytes) are held, and a slow consumer slows the
 * download instead of filling memory.
 *
 * The bytes are verified as a whole only at the end: the stream ends normally only if the combined CRC32C
 * matches the server's; otherwise it fails with DataCorruption after the last byte, so a consumer must treat
 * the data as unverified until 'end'. A gzip-stored object is fetched and verified as stored and decompressed
 * on its way to the consumer (see download-stream.ts for what that adds to the guarantees).
 */
import { AbortError, InvalidArgumentError } from '../../errors.js';
import { linkedController } from '../../util/abort.js';
import { DownloadJob, rangeRunnerFor, type DownloadContext, type DownloadTarget } from './download-job.js';
import { DecodingStream, type DownloadStream } from './download-stream.js';
import { formatObjectRef, type ObjectRef } from '../object-ref.js';
import { checkBoolean, resolveDownload, type DownloadCheckpoint, type TransferDownloadOptions, type TransferDefaults } from '../options.js';
import { OrderedStream } from './ordered-stream.js';
import { assertPositiveInteger } from '../part-plan.js';
import { ProgressTracker } from '../progress.js';
import { decompressesOnDownload } from './stored-encoding.js';

export function downloadToStream(
  context: DownloadContext,
  source: ObjectRef,
  defaults: TransferDefaults,
  options: TransferDownloadOptions = {},
): DownloadStream {
  const settings = resolveDownload(defaults, options);
  if (options.resumeFrom !== undefined || (options.resume !== undefined && options.resume !== false) || options.keepPartial !== undefined) {
    throw new InvalidArgumentError('`resume`, `resumeFrom` and `keepPartial` apply to downloadFile only: a stream has no partial file');
  }
  checkBoolean('decompress', options.decompress);
  const window = options.readWindow ?? settings.concurrency;
  assertPositiveInteger('readWindow', window);
  const stream = new OrderedStream({ window });
  const output = new DecodingStream(stream, { label: formatObjectRef(source), verifies: settings.checksum });
  const target: DownloadTarget = {
    open: (index, signal) => stream.reserve(index, { signal }),
    close: (index) => stream.complete(index),
    sized: async () => undefined,
  };
  // Nothing reaches the consumer before discovery has told how the object is stored.
  const onCheckpoint = (event: DownloadCheckpoint): void => {
    if (event.type === 'discovered') {
      const encoding = event.contentEncoding;
      output.begin(options.decompress !== false && decompressesOnDownload(encoding) ? encoding : undefined);
    }
    options.onCheckpoint?.(event);
  };
  const progress = new ProgressTracker(settings.onProgress);
  const runner = rangeRunnerFor(context, settings, source, { deliver: (index, data) => stream.append(index, data) });
  const job = new DownloadJob(context, source, target, { settings, runner, progress, onCheckpoint, resume: undefined });
  const { controller, dispose } = linkedController(settings.signal);
  // A consumer that destroys the stream early no longer wants the bytes: stop every request.
  const onClose = (): void => {
    if (!stream.readableEnded) controller.abort(new AbortError('The download stream was closed before it ended'));
  };
  stream.once('close', onClose);
  job
    .run(controller.signal)
    .then(
      (result) => {
        progress.finish();
        output.settle(result);
        stream.setTotal(job.rangeCount);
      },
      (error: unknown) => {
        progress.finish({ emit: false });
        stream.destroy(error instanceof Error ? error : new AbortError(String(error)));
      },
    )
    .finally(() => {
      stream.off('close', onClose);
      dispose();
    });
  return output;
}

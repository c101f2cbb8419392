/**
 * Worker handler: one range of a parallel download. The worker fetches the range (`RawChunkedDownload`
 * attempts pinned to the generation, with the media layer's retries and mid-range resumes), hashes it as it is
 * stored, and stores it itself: vectored positional writes into the main thread's file descriptor, or batches
 * moved to the main thread as transferred buffers. The main thread only hears about it a batch at a time.
 */
import { serializeError } from '../src/errors.js';
import type { DownloadRangeTask, DownloadRangeValue, RangeHead, RangeStoredMessage, TaskReply } from '../src/pool/protocol.js';
import type { RawChunkedDownload } from '../src/media/chunked-download.js';
import { fetchRange, objectHead } from '../src/transfer/download/range-fetch.js';
import { writevFully } from '../src/transfer/destination/file-sink.js';
import { pooledFs } from '../src/transfer/destination/local-fs.js';
import { PARTIAL_CHECKPOINT_BYTES } from '../src/transfer/options.js';
import { RangeReceiver, type RangeStore } from '../src/transfer/download/range-receiver.js';
import { TaskChannel, cancelledReply, claimTask, workerTransport } from './worker-context.js';

/** A file output reports stored bytes after this many bytes or this long, whichever comes first. */
const REPORT_BYTES = PARTIAL_CHECKPOINT_BYTES;
const REPORT_INTERVAL_MS = 100;

export async function downloadRange(task: DownloadRangeTask): Promise<unknown> {
  if (!claimTask(task.state)) {
    task.port.close();
    return cancelledReply();
  }
  const channel = new TaskChannel(task.port);
  const batches = task.output.kind === 'port' ? new BatchCopier() : undefined;
  let attempt: RawChunkedDownload | undefined;
  let reported = 0;
  let reportedAt = performance.now();
  let head: RangeHead | undefined;
  const receiver = new RangeReceiver({
    index: 0,
    start: task.start,
    limit: task.limit,
    discard: task.discard,
    store: task.output.kind === 'file' ? fileStore(task.output.fd, task.output.path) : (batches as BatchCopier),
    onFirstBytes: () => {
      if (attempt === undefined) return;
      head = objectHead(attempt);
      channel.post({ type: 'head', head });
    },
    // After each batch is on disk (file) or copied out (port): the CRC then covers exactly the bytes reported.
    onStored: () => {
      const data = batches?.take();
      const message: RangeStoredMessage = { type: 'stored', written: receiver.written, crc32c: receiver.crc32c };
      if (data === undefined) {
        // Each message wakes the main thread: report every few MiB (the final count comes with the reply).
        const now = performance.now();
        if (receiver.written - reported < REPORT_BYTES && now - reportedAt < REPORT_INTERVAL_MS) return;
        reported = receiver.written;
        reportedAt = now;
        channel.post(message);
        return;
      }
      message.data = data;
      channel.post(message, [data.buffer]);
    },
  });
  const report = (failure?: unknown): DownloadRangeValue => ({
    written: receiver.written,
    crc32c: receiver.crc32c,
    ...(head ? { head } : attempt ? { head: objectHead(attempt) } : {}),
    ...(failure === undefined ? {} : { failure: serializeError(failure) }),
  });
  const reply = (value: DownloadRangeValue): TaskReply<DownloadRangeValue> => ({
    result: { ok: true, value },
    messages: channel.sent,
  });
  try {
    head = await fetchRange(
      workerTransport(),
      receiver,
      {
        url: task.url,
        endInclusive: task.endInclusive,
        pinned: task.pinned,
        headers: task.headers,
        retry: channel.retryStrategy(task.retry),
        ...(task.timeout ? { timeout: task.timeout } : {}),
        label: task.label,
      },
      channel.signal,
      (download) => (attempt = download),
    );
    return reply(report());
  } catch (error) {
    return reply(report(error));
  } finally {
    channel.close();
  }
}

/**
 * The store of a `port` output: copies each batch into one buffer of its own, which then moves to the main
 * thread with the batch's report. The copy is the only one on the way (the network's pieces are views of
 * socket buffers that cannot be transferred), and it makes the batch a single contiguous buffer for the reader.
 */
class BatchCopier implements RangeStore {
  #ready: { position: number; buffer: ArrayBuffer; length: number } | undefined;

  write(_index: number, position: number, chunks: readonly Buffer[], length: number): void {
    const batch = Buffer.allocUnsafeSlow(length);
    let offset = 0;
    for (const chunk of chunks) offset += chunk.copy(batch, offset);
    this.#ready = { position, buffer: batch.buffer as ArrayBuffer, length };
  }

  /** The batch stored last, once. */
  take(): { position: number; buffer: ArrayBuffer; length: number } | undefined {
    const ready = this.#ready;
    this.#ready = undefined;
    return ready;
  }
}

/**
 * Vectored positional writes into the main thread's descriptor of the partial file at `path`, through the thread
 * pool: a worker's event loop serves several ranges' sockets.
 */
function fileStore(fd: number, path: string): RangeStore {
  return { write: (_index, position, chunks, length) => writevFully((pending, at) => pooledFs.writevAt(fd, pending, at), chunks, position, length, path) };
}


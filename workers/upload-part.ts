/**
 * Worker handler: one part of an XML multipart upload, sent with the attempt the main thread's inline runner
 * uses too (`putPart`): on the thread's own transport, with the task's retry numbers, the progress and retries
 * reported over the task's port, and the result `{ etag, crc32c, size }` (or the failure) returned as data.
 */
import type { UploadPartTask } from '../src/pool/protocol.js';
import { putPart } from '../src/transfer/upload/part-upload.js';
import { TaskChannel, cancelledReply, claimTask, replyTo, workerTransport } from './worker-context.js';

export async function uploadPart(task: UploadPartTask): Promise<unknown> {
  if (!claimTask(task.state)) {
    task.port.close();
    return cancelledReply();
  }
  const channel = new TaskChannel(task.port);
  try {
    return await replyTo(task.source, () =>
      putPart(
        workerTransport(),
        {
          uploadUrl: task.uploadUrl,
          uploadId: task.uploadId,
          partNumber: task.partNumber,
          source: task.source,
          headers: task.headers,
          checksum: task.checksum,
          retry: channel.retryStrategy(task.retry),
          ...(task.timeout ? { timeout: task.timeout } : {}),
        },
        channel.signal,
        (attempt, bytes) => channel.progress(attempt, bytes),
      ),
    );
  } finally {
    channel.close();
  }
}

/**
 * Worker handler: one part of an XML multipart upload. The worker reads its own byte range of the file (or
 * takes the transferred buffer), computes the CRC32C, PUTs the part with `x-goog-hash` under the task's retry
 * settings, and returns `{ etag, crc32c, size }`, or the failure as data.
 */
import { XMLMPUPart } from '../src/media/xml-mpu-part.js';
import type { UploadPartTask, UploadPartValue } from '../src/pool/protocol.js';
import { RetryStrategy } from '../src/transport/retry.js';
import { ProgressTransport } from './progress-transport.js';
import { TaskChannel, cancelledReply, claimTask, bufferBytes, replyTo, workerTransport } from './worker-context.js';

export async function uploadPart(task: UploadPartTask): Promise<unknown> {
  if (!claimTask(task.state)) {
    task.port.close();
    return cancelledReply();
  }
  const channel = new TaskChannel(task.port);
  try {
    return await replyTo(task.source, async (): Promise<UploadPartValue> => {
      const { source } = task;
      const data = bufferBytes(source);
      const [filename, start, end] =
        source.kind === 'file' ? [source.path, source.start, source.end] : [null, 0, source.length];
      const part = new XMLMPUPart(task.uploadUrl, task.uploadId, filename, start, end, task.partNumber, {
        headers: task.headers,
        checksum: task.checksum,
        ...(data ? { data } : {}),
      });
      part.retryStrategy = new RetryStrategy(task.retry);
      const transport = new ProgressTransport(workerTransport(), (attempt, bytes) => channel.progress(attempt, bytes));
      const uploaded = await part.upload(transport, {
        signal: channel.signal,
        ...(task.timeout ? { timeout: task.timeout } : {}),
      });
      return { partNumber: uploaded.partNumber, etag: uploaded.etag, crc32c: uploaded.crc32c, size: uploaded.size };
    });
  } finally {
    channel.close();
  }
}

/**
 * Sending one part of an XML multipart upload: the attempt shared by the pool workers and the main thread
 * (parts of a manager given its own transport). `XMLMPUPart` reads the part's file range itself (or takes the
 * bytes in memory), computes its CRC32C, PUTs it with `x-goog-hash` and retries transient failures under the
 * given strategy; this adds the per-request progress reports, so both threads report alike.
 */
import { XMLMPUPart } from '../../media/xml-mpu-part.js';
import type { TaskSource, UploadPartValue } from '../../pool/protocol.js';
import { ProgressTransport } from '../../transport/progress-transport.js';
import type { RetryStrategy } from '../../transport/retry.js';
import type { TimeoutOptions, Transport } from '../../transport/transport.js';

export interface PartRequest {
  /** The object's XML URL, without a query. */
  uploadUrl: string;
  uploadId: string;
  partNumber: number;
  source: TaskSource;
  /** Extra headers (a worker's credentials, obtained on the main thread). */
  headers?: Record<string, string>;
  /** `'crc32c'` sends `x-goog-hash` and checks the answer; null sends none (the CRC is still computed). */
  checksum: 'crc32c' | null;
  retry: RetryStrategy;
  timeout?: TimeoutOptions;
}

/**
 * PUTs the part through `transport`. `onSent(attempt, bytes)` hears how much of each request's body went out
 * (a retried request starts again from 0 with a higher `attempt`). Rejects with the part's typed error.
 */
export async function putPart(
  transport: Transport,
  request: PartRequest,
  signal: AbortSignal,
  onSent: (attempt: number, bytes: number) => void,
): Promise<UploadPartValue> {
  const { source } = request;
  // A buffer part is a view of the (transferred) buffer: no copy.
  const [filename, start, end, data] =
    source.kind === 'file'
      ? [source.path, source.start, source.end, undefined]
      : [null, 0, source.length, new Uint8Array(source.buffer, 0, source.length)];
  const part = new XMLMPUPart(request.uploadUrl, request.uploadId, filename, start, end, request.partNumber, {
    checksum: request.checksum,
    ...(request.headers ? { headers: request.headers } : {}),
    ...(data ? { data } : {}),
  });
  part.retryStrategy = request.retry;
  const uploaded = await part.upload(new ProgressTransport(transport, onSent), {
    signal,
    ...(request.timeout ? { timeout: request.timeout } : {}),
  });
  return { partNumber: uploaded.partNumber, etag: uploaded.etag, crc32c: uploaded.crc32c, size: uploaded.size };
}

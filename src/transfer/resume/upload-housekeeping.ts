/**
 * The two server-side chores of resuming an upload besides the multipart job itself: cancelling an upload an
 * earlier call left open and that can no longer be continued, and recognising that an interrupted call's upload
 * was in fact completed (the process died after sending CompleteMultipartUpload), so the file need not be sent
 * again. Both run on the manager's transport (its credentials and scheduler), with a short deadline of their own.
 */
import { parseGoogHash } from '../../checksum/goog-hash.js';
import { crc32cToBase64 } from '../../checksum/crc32c.js';
import { NotFound } from '../../errors.js';
import { requireStatus, withResponse } from '../../media/response-checks.js';
import { sendWithRetry } from '../../media/send-with-retry.js';
import { XMLMPUContainer } from '../../media/xml-mpu-container.js';
import { fileRangeCrc32c } from './journal-verify.js';
import type { ObjectRef } from '../object-ref.js';
import type { GcsEndpoint } from '../../transport/endpoint.js';
import { RetryStrategy } from '../../transport/retry.js';
import { dumpBody, headerValue, type Transport } from '../../transport/transport.js';

/** Housekeeping must not hold up the transfer it precedes: a short deadline and few retries. */
const HOUSEKEEPING_TIMEOUT_MS = 30_000;
const HOUSEKEEPING_RETRY = new RetryStrategy({ maxRetries: 3, initialDelayMs: 250 });

/** Cancels `uploadId`. Resolves `'cancelled'`, or `'gone'` when the server no longer has it. */
export async function cancelUpload(
  transport: Transport,
  endpoint: GcsEndpoint,
  object: ObjectRef,
  uploadId: string,
  source: string,
): Promise<'cancelled' | 'gone'> {
  const container = new XMLMPUContainer(endpoint.xmlObjectUrl(object.bucket, object.name), source, { uploadId });
  container.retryStrategy = HOUSEKEEPING_RETRY;
  try {
    await container.cancel(transport, { signal: AbortSignal.timeout(HOUSEKEEPING_TIMEOUT_MS) });
    return 'cancelled';
  } catch (error) {
    if (error instanceof NotFound) return 'gone';
    throw error;
  }
}

/**
 * Whether the object already exists with exactly the bytes of `path` (same size, and its CRC32C equals the
 * file's, hashed now). Resolves its generation and CRC32C when it does.
 */
export async function objectMatchesFile(
  transport: Transport,
  endpoint: GcsEndpoint,
  object: ObjectRef,
  path: string,
  size: number,
  signal?: AbortSignal,
): Promise<{ crc32c: string; generation?: string } | undefined> {
  const url = endpoint.xmlObjectUrl(object.bucket, object.name);
  const head = await sendWithRetry(
    transport,
    HOUSEKEEPING_RETRY,
    () => ({ method: 'HEAD', url, headers: {}, body: null }),
    (response) =>
      withResponse(response, async () => {
        if (response.status === 404) {
          await dumpBody(response.body);
          return undefined;
        }
        await requireStatus(response, [200], undefined, 'HEAD');
        await dumpBody(response.body);
        const length = headerValue(response.headers, 'x-goog-stored-content-length') ?? headerValue(response.headers, 'content-length');
        return {
          size: length === undefined ? undefined : Number(length),
          crc32c: parseGoogHash(response.headers['x-goog-hash'], 'crc32c'),
          generation: headerValue(response.headers, 'x-goog-generation'),
        };
      }),
    { signal: signal ?? AbortSignal.timeout(HOUSEKEEPING_TIMEOUT_MS) },
  );
  if (head === undefined || head.crc32c === undefined || head.size !== size) return undefined;
  const local = await fileRangeCrc32c(path, 0, size, signal ? { signal } : {});
  if (local === undefined || crc32cToBase64(local) !== head.crc32c) return undefined;
  return { crc32c: head.crc32c, ...(head.generation === undefined ? {} : { generation: head.generation }) };
}

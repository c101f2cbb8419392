/**
 * The two server-side chores of resuming an upload that the engine does not do itself: cancelling an upload
 * an earlier run left open and that can no longer be continued, and recognising that an interrupted run's
 * upload was in fact completed (the process died after sending CompleteMultipartUpload), so the file need not
 * be sent again.
 */
import { parseGoogHash } from '../checksum/goog-hash.js';
import { crc32cToBase64 } from '../checksum/crc32c.js';
import { NotFound } from '../errors.js';
import { requireStatus, withResponse } from '../media/response-checks.js';
import { sendWithRetry } from '../media/send-with-retry.js';
import { XMLMPUContainer } from '../media/xml-mpu-container.js';
import { fileRangeCrc32c } from '../transfer/journal-verify.js';
import type { ObjectRef } from '../transfer/object-ref.js';
import { createTransport, type AuthOption } from '../transport/create-transport.js';
import { GcsEndpoint } from '../transport/endpoint.js';
import { RetryStrategy } from '../transport/retry.js';
import { dumpBody, headerValue, type Transport } from '../transport/transport.js';

/** Housekeeping must not hold up the transfer it precedes: a short deadline and few retries. */
const HOUSEKEEPING_TIMEOUT_MS = 30_000;
const HOUSEKEEPING_RETRY = new RetryStrategy({ maxRetries: 3, initialDelayMs: 250 });

export interface Housekeeping {
  /** Cancels `uploadId`. Resolves `'cancelled'`, or `'gone'` when the server no longer has it. */
  cancel(uploadId: string, source: string): Promise<'cancelled' | 'gone'>;
  /**
   * Whether the object already exists with exactly the bytes of `path` (same size, and its CRC32C equals the
   * file's, hashed now). Resolves its generation and CRC32C when it does.
   */
  matchesFile(path: string, size: number, signal?: AbortSignal): Promise<{ crc32c: string; generation?: string } | undefined>;
  close(): Promise<void>;
}

export function openHousekeeping(endpoint: string, auth: AuthOption | undefined, object: ObjectRef): Housekeeping {
  const transport: Transport = createTransport({ endpoint, ...(auth === undefined ? {} : { auth }) });
  const url = new GcsEndpoint(endpoint).xmlObjectUrl(object.bucket, object.name);
  return {
    async cancel(uploadId, source) {
      const container = new XMLMPUContainer(url, source, { uploadId });
      container.retryStrategy = HOUSEKEEPING_RETRY;
      try {
        await container.cancel(transport, { signal: AbortSignal.timeout(HOUSEKEEPING_TIMEOUT_MS) });
        return 'cancelled';
      } catch (error) {
        if (error instanceof NotFound) return 'gone';
        throw error;
      }
    },
    async matchesFile(path, size, signal) {
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
    },
    close: () => transport.close(),
  };
}

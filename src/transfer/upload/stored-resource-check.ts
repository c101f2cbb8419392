/**
 * The check after a single-request upload: the object resource the server answers with must describe what was
 * asked — the same bucket, name, size and (with checksums on) CRC32C. A bit flipped in the JSON metadata part
 * of a `multipart/related` request stores the bytes under another name, and the server's own CRC32C check
 * cannot see it (the name is not part of the data): without this check `uploadFile` reported success for an
 * object that does not exist.
 *
 * On a mismatch the object that was stored by mistake is removed, but only that exact object: the DELETE
 * carries `ifGenerationMatch` with the generation the server just reported, so an object someone else wrote
 * there (a newer generation) is never touched.
 */
import { ResourceMismatchError } from '../../errors.js';
import type { ObjectResource } from '../../media/object-resource.js';
import { requireStatus, withResponse } from '../../media/response-checks.js';
import { sendWithRetry } from '../../media/send-with-retry.js';
import type { GcsEndpoint } from '../../transport/endpoint.js';
import type { RetryStrategy } from '../../transport/retry.js';
import { dumpBody, type Transport } from '../../transport/transport.js';
import { formatObjectRef, type ObjectRef } from '../object-ref.js';

/** A removal must not hold up the error it accompanies for long. */
const CLEANUP_TIMEOUT_MS = 30_000;

export interface StoredResourceExpectation {
  dest: ObjectRef;
  size: number;
  /** Base64 CRC32C of the bytes sent; undefined when checksums are off. */
  crc32c: string | undefined;
}

export interface StoredResourceCheckContext {
  transport: Transport;
  endpoint: GcsEndpoint;
  retry: RetryStrategy;
}

/**
 * Resolves when `resource` describes `expected`; otherwise removes the stray object (generation-pinned) and
 * rejects with ResourceMismatchError naming every field that differs.
 */
export async function checkStoredResource(
  context: StoredResourceCheckContext,
  resource: ObjectResource,
  expected: StoredResourceExpectation,
): Promise<void> {
  const wanted: Record<string, string | number> = {
    bucket: expected.dest.bucket,
    name: expected.dest.name,
    size: String(expected.size),
    ...(expected.crc32c === undefined ? {} : { crc32c: expected.crc32c }),
  };
  const got: Record<string, string | number | undefined> = {
    bucket: resource.bucket,
    name: resource.name,
    size: resource.size,
    ...(expected.crc32c === undefined ? {} : { crc32c: resource.crc32c }),
  };
  // A field the server left out cannot be compared; a field it sent must be what was asked.
  const differs = Object.keys(wanted).filter((key) => got[key] !== undefined && String(got[key]) !== String(wanted[key]));
  if (differs.length === 0) return;
  const cleanup = await removeStray(context, resource);
  const stored = resource.bucket !== undefined && resource.name !== undefined ? `gs://${resource.bucket}/${resource.name}` : 'an unnamed object';
  const fate = { removed: 'it was removed', left: 'it could not be identified and was left', 'remove-failed': 'removing it failed' }[cleanup];
  throw new ResourceMismatchError(
    `The upload to ${formatObjectRef(expected.dest)} stored ${stored} with ${differs.map((k) => `${k} ${String(got[k])} (expected ${String(wanted[k])})`).join(', ')}: ` +
      `the request was corrupted on the way; ${fate}`,
    {
      expected: Object.fromEntries(differs.map((k) => [k, wanted[k] as string | number])),
      actual: Object.fromEntries(differs.map((k) => [k, got[k]])),
      cleanup,
    },
  );
}

async function removeStray(context: StoredResourceCheckContext, resource: ObjectResource): Promise<'removed' | 'left' | 'remove-failed'> {
  const { bucket, name, generation } = resource;
  if (typeof bucket !== 'string' || typeof name !== 'string' || typeof generation !== 'string' || !/^\d+$/.test(generation)) return 'left';
  let url: string;
  try {
    url = `${context.endpoint.objectMetadataUrl(bucket, name)}?ifGenerationMatch=${generation}`;
  } catch {
    // The stored name is not even a valid object name: nothing we can address.
    return 'left';
  }
  try {
    await sendWithRetry(
      context.transport,
      context.retry,
      () => ({ method: 'DELETE', url, headers: {}, body: null }),
      (response) =>
        withResponse(response, async () => {
          await requireStatus(response, [200, 204], undefined, 'DELETE');
          await dumpBody(response.body);
        }),
      { signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) },
    );
    return 'removed';
  } catch {
    return 'remove-failed';
  }
}

/**
 * The JSON object resource GCS answers a completed JSON-API upload with (`storage#object`), read with a size
 * bound so a broken server cannot make us buffer an unbounded body.
 */
import { InvalidResponse } from '../errors.js';
import { readBodyText, type HttpResponse } from '../transport/transport.js';
import { responseContext } from './response-checks.js';

/** The fields of a GCS object resource that uploads rely on; everything else GCS sends is kept as is. */
export interface ObjectResource {
  name?: string;
  bucket?: string;
  /** Decimal string, as the JSON API sends 64-bit numbers. */
  size?: string;
  /** Decimal string. */
  generation?: string;
  metageneration?: string;
  contentType?: string;
  /** Base64 big-endian CRC32C of the whole object. */
  crc32c?: string;
  /** Base64 MD5 of the whole object (absent for composite objects). */
  md5Hash?: string;
  etag?: string;
  [field: string]: unknown;
}

/** An object resource is a few KiB; a megabyte is far beyond any real one (custom metadata included). */
const MAX_RESOURCE_BYTES = 1024 * 1024;

/**
 * Reads and parses `response`'s body as an object resource.
 * @throws InvalidResponse when the body is too large, not JSON, or not a JSON object.
 */
export async function readObjectResource(response: HttpResponse): Promise<ObjectResource> {
  let text: string;
  try {
    text = await readBodyText(response.body, MAX_RESOURCE_BYTES);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new InvalidResponse(`The object resource in the response is larger than ${MAX_RESOURCE_BYTES} bytes`, {
      response: responseContext(response),
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidResponse('The response body is not the JSON object resource GCS answers an upload with', {
      response: responseContext(response, text.slice(0, 512)),
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidResponse('The response body is JSON but not an object resource', {
      response: responseContext(response, text.slice(0, 512)),
    });
  }
  return parsed as ObjectResource;
}

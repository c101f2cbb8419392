/**
 * "Already there" checks shared by the many-object calls: whether a destination object exists, and whether a
 * local file and an object hold the same bytes (same size, then same CRC32C — the file is hashed only when the
 * sizes agree, streaming, in bounded memory).
 */
import { createReadStream } from 'node:fs';
import { Crc32cHasher } from '../../checksum/crc32c.js';
import { NotFound } from '../../errors.js';
import type { ObjectRef } from '../object-ref.js';
import type { ManyContext } from './context.js';
import { getObjectInfo, type CallOptions, type ObjectInfo } from './object-api.js';

/** The object's metadata, or undefined when it does not exist. */
export async function statIfExists(context: ManyContext, ref: ObjectRef, options: CallOptions): Promise<ObjectInfo | undefined> {
  try {
    return await getObjectInfo(context, ref, options);
  } catch (error) {
    if (error instanceof NotFound) return undefined;
    throw error;
  }
}

/** Base64 CRC32C of a file's bytes. */
export async function fileCrc32c(path: string, signal?: AbortSignal): Promise<string> {
  const hasher = new Crc32cHasher();
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) });
  for await (const chunk of stream) hasher.update(chunk as Buffer);
  return hasher.digestBase64();
}

/** Same size and, when the object has one, the same CRC32C (an object without a CRC32C is never "identical"). */
export async function fileMatchesObject(path: string, size: number, object: ObjectInfo, signal?: AbortSignal): Promise<boolean> {
  if (size !== object.size || object.crc32c === undefined) return false;
  return (await fileCrc32c(path, signal)) === object.crc32c;
}

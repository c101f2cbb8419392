/**
 * Whether a local file and an object hold the same bytes (same size, then same CRC32C — the file is hashed only
 * when the sizes agree, streaming, in bounded memory), for the many-object calls' "already there" checks.
 */
import { createReadStream } from 'node:fs';
import { Crc32cHasher } from '../../checksum/crc32c.js';
import type { ObjectInfo } from '../object-api.js';

/** Base64 CRC32C of a file's bytes. */
export async function fileCrc32c(path: string, signal?: AbortSignal): Promise<string> {
  const hasher = new Crc32cHasher();
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) });
  for await (const chunk of stream) hasher.update(chunk as Buffer);
  return hasher.digestBase64();
}

/**
 * Whether a local file and an object hold the same bytes. `'checksum'`: same size and the same CRC32C (an
 * object without one is never identical; the file is hashed only when the sizes agree). `'time'`: same size,
 * and the copy (`newer` side) is not older than its source.
 */
export async function fileMatchesObject(
  path: string,
  local: { size: number; mtimeMs: number },
  object: ObjectInfo,
  by: 'checksum' | 'time',
  newer: 'local' | 'object',
  signal?: AbortSignal,
): Promise<boolean> {
  if (local.size !== object.size) return false;
  if (by === 'time') {
    const updated = object.updated === undefined ? Number.NaN : Date.parse(object.updated);
    if (Number.isNaN(updated)) return false;
    // Object times have millisecond precision; file times may have more.
    return newer === 'local' ? Math.floor(local.mtimeMs) >= updated : updated >= Math.floor(local.mtimeMs);
  }
  if (object.crc32c === undefined) return false;
  return (await fileCrc32c(path, signal)) === object.crc32c;
}

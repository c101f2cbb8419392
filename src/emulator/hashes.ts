/**
 * Object hashes as GCS carries them: base64 MD5 and base64 big-endian CRC32C, in `x-goog-hash`
 * (`crc32c=…,md5=…`), `Content-MD5` and the JSON `md5Hash`/`crc32c` fields. Bodies are hashed by hash-pool.ts.
 */
import { badDigest, badRequest } from './errors.js';

/** Digests of a byte stream; `md5` is absent where GCS does not keep one (multipart-upload objects). */
export interface Digests {
  crc32c: string;
  md5?: string;
}

/** Parses `x-goog-hash` (one header or several joined by commas). Throws a 400 on a malformed value. */
export function parseGoogHash(header: string | undefined): Partial<Digests> {
  const out: Partial<Digests> = {};
  if (header === undefined) return out;
  for (const item of header.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const type = trimmed.slice(0, eq).toLowerCase();
    const value = trimmed.slice(eq + 1);
    if (eq < 0 || (type !== 'crc32c' && type !== 'md5') || !isBase64(value, type === 'md5' ? 16 : 4)) {
      throw badRequest(`The x-goog-hash header value "${header}" is invalid; expected crc32c=<base64>,md5=<base64>.`);
    }
    out[type] = value;
  }
  return out;
}

function isBase64(value: string, bytes: number): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === bytes;
}

/** Parses `Content-MD5` (base64 MD5). Throws a 400 `InvalidDigest` on a malformed value. */
export function parseContentMd5(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!isBase64(header.trim(), 16)) {
    throw badRequest(`The Content-MD5 you specified is not valid: "${header}".`, 'InvalidDigest');
  }
  return header.trim();
}

/** Throws a 400 `BadDigest` when a hash the client sent does not match what arrived. */
export function checkDigests(expected: Partial<Digests>, actual: Digests): void {
  if (expected.md5 !== undefined && actual.md5 !== undefined && expected.md5 !== actual.md5) {
    throw badDigest(`Provided MD5 hash "${expected.md5}" doesn't match calculated MD5 hash "${actual.md5}".`);
  }
  if (expected.crc32c !== undefined && expected.crc32c !== actual.crc32c) {
    throw badDigest(`Provided CRC32C "${expected.crc32c}" doesn't match calculated CRC32C "${actual.crc32c}".`);
  }
}

/** The `x-goog-hash` response header value for `digests`. */
export function formatGoogHash(digests: Digests): string {
  return digests.md5 === undefined ? `crc32c=${digests.crc32c}` : `crc32c=${digests.crc32c},md5=${digests.md5}`;
}

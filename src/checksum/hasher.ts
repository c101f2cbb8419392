/**
 * One hashing interface for both checksum types, so media classes and workers treat md5 and crc32c alike
 * (google-resumable-media's `_get_checksum_object`).
 */
import { createHash, type Hash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import { Crc32cHasher } from './crc32c.js';

/** Which checksum to compute and validate; `null` turns validation off. */
export type ChecksumType = 'crc32c' | 'md5' | null;

/** An incremental hash whose digest is in GCS's wire form. */
export interface Hasher {
  update(data: Uint8Array): void;
  /**
   * Base64 of the digest as GCS sends it (`x-goog-hash`, JSON `md5Hash`/`crc32c`). May be called more than once,
   * and `update` may continue afterwards: resumed downloads check a prefix and keep hashing.
   */
  digest(): string;
}

class Md5Hasher implements Hasher {
  readonly #hash: Hash = createHash('md5');

  update(data: Uint8Array): void {
    this.#hash.update(data);
  }

  digest(): string {
    // A node:crypto Hash can be digested once only; digesting a copy keeps this one usable.
    return this.#hash.copy().digest('base64');
  }
}

class Crc32cDigestHasher implements Hasher {
  readonly #crc = new Crc32cHasher();

  update(data: Uint8Array): void {
    this.#crc.update(data);
  }

  digest(): string {
    return this.#crc.digestBase64();
  }
}

/** Validates a `checksum` option; throws InvalidArgumentError naming it otherwise. */
export function assertChecksumType(value: unknown, option = 'checksum'): asserts value is ChecksumType {
  if (value === 'md5' || value === 'crc32c' || value === null) return;
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  throw new InvalidArgumentError(
    `Expected \`${option}\` to be 'md5', 'crc32c' or null, got \`${shown}\` (${value === null ? 'null' : typeof value})`,
  );
}

/**
 * A fresh hasher for `type`, or `undefined` when `type` is `null` (no validation). Anything else is an
 * InvalidArgumentError, as Python's "checksum must be 'md5', 'crc32c' or None".
 */
export function createHasher(type: ChecksumType): Hasher | undefined {
  assertChecksumType(type);
  if (type === null) return undefined;
  return type === 'md5' ? new Md5Hasher() : new Crc32cDigestHasher();
}

/** The GCS JSON metadata field holding a checksum of `type` (Python's `_get_metadata_key`). */
export function metadataKey(type: 'md5' | 'crc32c'): 'md5Hash' | 'crc32c' {
  return type === 'md5' ? 'md5Hash' : 'crc32c';
}

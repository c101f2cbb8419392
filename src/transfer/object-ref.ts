/**
 * Object references: `gs://bucket/object` strings or `{ bucket, name, generation? }`, validated once at the
 * API boundary so that nothing deeper has to wonder about empty names or malformed generations.
 */
import { InvalidArgumentError } from '../errors.js';

/** One object, optionally one generation of it. */
export interface ObjectRef {
  bucket: string;
  /** The object name, exactly as stored (no percent-decoding: `a%20b` names an object with a `%` in it). */
  name: string;
  /** A decimal generation number; downloads read that generation only. */
  generation?: string;
}

/** What the public API accepts as a source or destination. */
export type ObjectSource = string | ObjectRef;

/**
 * GCS bucket names: 3–63 characters (up to 222 with dots) of lower-case letters, digits, `-`, `_` and `.`,
 * starting and ending with a letter or digit.
 */
const BUCKET_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{1,220})[a-z0-9]$/;
/** GCS object names are at most 1024 bytes of UTF-8. */
const MAX_NAME_BYTES = 1024;

/**
 * Parses and validates an object reference. `gs://` strings are taken literally after the bucket: `#`, `?`,
 * `%` and spaces are part of the name, never a fragment, query or escape.
 */
export function parseObjectRef(value: unknown, option = 'source'): ObjectRef {
  if (typeof value === 'string') return validate(fromUrl(value, option), option);
  if (typeof value === 'object' && value !== null) {
    const { bucket, name, generation } = value as Record<string, unknown>;
    const ref: ObjectRef = { bucket: bucket as string, name: name as string };
    if (generation !== undefined) ref.generation = normalizeGeneration(generation, option);
    return validate(ref, option);
  }
  throw new InvalidArgumentError(
    `Expected \`${option}\` to be a \`gs://bucket/object\` string or a \`{ bucket, name }\` object, got \`${String(value)}\` (${typeof value})`,
  );
}

/** Renders a reference as `gs://bucket/name` (for messages and results). */
export function formatObjectRef(ref: ObjectRef): string {
  return `gs://${ref.bucket}/${ref.name}`;
}

function fromUrl(value: string, option: string): ObjectRef {
  const match = /^gs:\/\/([^/]*)\/(.*)$/s.exec(value);
  if (!match) {
    throw new InvalidArgumentError(
      `Expected \`${option}\` to look like \`gs://bucket/object\`, got \`${value}\``,
    );
  }
  return { bucket: match[1] ?? '', name: match[2] ?? '' };
}

function normalizeGeneration(value: unknown, option: string): string {
  const text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : value;
  if (typeof text !== 'string' || !/^[0-9]{1,20}$/.test(text)) {
    throw new InvalidArgumentError(
      `Expected \`${option}.generation\` to be a decimal generation number, got \`${String(value)}\` (${typeof value})`,
    );
  }
  return text;
}

function validate(ref: ObjectRef, option: string): ObjectRef {
  if (typeof ref.bucket !== 'string' || !BUCKET_PATTERN.test(ref.bucket) || ref.bucket.includes('..')) {
    throw new InvalidArgumentError(
      `Expected \`${option}.bucket\` to be a GCS bucket name (3-222 characters of a-z, 0-9, '-', '_', '.'), got \`${String(ref.bucket)}\``,
    );
  }
  if (typeof ref.name !== 'string' || ref.name.length === 0) {
    throw new InvalidArgumentError(
      `Expected \`${option}.name\` to be a non-empty object name, got \`${String(ref.name)}\``,
    );
  }
  if (Buffer.byteLength(ref.name, 'utf8') > MAX_NAME_BYTES) {
    throw new InvalidArgumentError(`Expected \`${option}.name\` to be at most ${MAX_NAME_BYTES} bytes of UTF-8`);
  }
  if (/[\r\n]/.test(ref.name) || ref.name === '.' || ref.name === '..') {
    throw new InvalidArgumentError(
      `Expected \`${option}.name\` to be a valid object name (no CR or LF, not '.' or '..'), got \`${JSON.stringify(ref.name)}\``,
    );
  }
  return ref;
}

/**
 * Byte ranges on the wire: the `range` request header we send and the
 * `content-range` response header we check (Python's `get_range_info`). Both are inclusive, as in HTTP.
 */
import { InvalidResponse } from '../errors.js';
import { requireHeader, responseContext, type ResponseHead } from './response-checks.js';

/** A parsed `content-range: bytes S-E/T`: inclusive start and end, and the object's total size. */
export interface ContentRange {
  start: number;
  end: number;
  total: number;
}

/**
 * Python's `_CONTENT_RANGE_RE`: case-insensitive, anchored at the start only (trailing text is tolerated), and
 * a `*` total is not accepted — a download always needs to know how big the object is.
 */
const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)/i;

/** The body of a 416 that GCS sends for a range request on an empty object. */
export const ZERO_CONTENT_RANGE = 'bytes */0';

/**
 * The `range` header value for the inclusive range `[start, end]`, or `undefined` when neither is given.
 * A negative `start` without `end` is a suffix range (`bytes=-500`: the last 500 bytes), as in Python.
 */
export function bytesRangeHeader(start?: number, end?: number): string | undefined {
  if (start === undefined) return end === undefined ? undefined : `bytes=0-${end}`;
  if (end !== undefined) return `bytes=${start}-${end}`;
  return start >= 0 ? `bytes=${start}-` : `bytes=${start}`;
}

/** Parses a `content-range` value; `undefined` when it does not have the `bytes S-E/T` form or overflows. */
export function parseContentRange(value: string): ContentRange | undefined {
  const match = CONTENT_RANGE.exec(value);
  if (!match) return undefined;
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Past 2^53 the numbers would silently lose bytes; no object is that large.
  if (![start, end, total].every(Number.isSafeInteger)) return undefined;
  return { start, end, total };
}

/**
 * Python's `get_range_info`: the response's content range. Calls `onInvalid` (e.g. to mark a chunked download
 * invalid) and throws InvalidResponse when the header is missing or malformed.
 */
export function requireContentRange(response: ResponseHead, onInvalid?: () => void): ContentRange {
  const value = requireHeader(response, 'content-range', onInvalid);
  const range = parseContentRange(value);
  if (range) return range;
  onInvalid?.();
  throw new InvalidResponse(
    `Unexpected content-range header "${value}". Expected to be of the form "bytes {start}-{end}/{total}"`,
    { response: responseContext(response) },
  );
}

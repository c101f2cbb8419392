/**
 * The `Range` request header as GCS reads it: a single `bytes=` range, end clamped to the object, and anything
 * it cannot parse ignored (the whole object is served with 200), as RFC 9110 allows.
 */

/** An inclusive byte range `[start, end]` of an object, already clamped to its size. */
export interface ResolvedRange {
  start: number;
  /** Inclusive, like the header. */
  end: number;
}

/** What to do with a request's `Range` header against an object of `size` bytes. */
export type RangeDecision = { kind: 'full' } | { kind: 'partial'; range: ResolvedRange } | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i;

export function resolveRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const match = SINGLE_RANGE.exec(header);
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // Suffix range: the last N bytes. A zero-length suffix, or any suffix of an empty object, selects nothing.
    const length = Number(last);
    if (!Number.isSafeInteger(length)) return { kind: 'full' };
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
  if (!Number.isSafeInteger(start) || (last !== '' && !Number.isSafeInteger(end))) return { kind: 'full' };
  if (end < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) } };
}

export function contentRange(range: ResolvedRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

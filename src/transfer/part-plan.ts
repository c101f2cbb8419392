/**
 * Byte-range arithmetic for parallel jobs. Every range here is half-open, `[start, end)`; the inclusive
 * `bytes=a-b` form exists only on the wire, inside the media classes.
 */
import { InvalidArgumentError } from '../errors.js';

const MiB = 1024 * 1024;

/** GCS XML multipart uploads reject any part but the last below 5 MiB (`EntityTooSmall`). */
export const MIN_PART_SIZE = 5 * MiB;
/** GCS's per-part ceiling for XML multipart uploads. */
export const MAX_PART_SIZE = 5 * 1024 * MiB;
/** GCS's part-number ceiling for XML multipart uploads (part numbers are 1..10,000). */
export const MAX_PARTS = 10_000;
/**
 * Parts are kept a multiple of 256 KiB, the granularity GCS uses for resumable chunks, so the same part size
 * is valid for every upload protocol and aligns with storage blocks.
 */
export const PART_ALIGNMENT = 256 * 1024;

/** A half-open byte range `[start, end)`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** How a multipart upload of a known size is cut. */
export interface UploadPlan {
  /** Object size in bytes. */
  size: number;
  /** Size of every part but the last (which is `size - (partCount - 1) * partSize`, never 0 unless size is 0). */
  partSize: number;
  /** Number of parts; part numbers are `1..partCount`. */
  partCount: number;
}

/**
 * The part size of an upload, decided once: what was asked for, what will be used, and why they differ. Callers
 * that report the part size take it from here rather than from the raw option, so a message never names a
 * value the upload does not use.
 */
export interface PartSizeChoice {
  /** The part size asked for (`chunkSize`). */
  readonly requested: number;
  /** The part size used: every part but the last has exactly this size. */
  readonly partSize: number;
  /**
   * Why `partSize` is not `requested`: `'min-part-size'` (raised to {@link MIN_PART_SIZE}, maybe rounded up
   * to {@link PART_ALIGNMENT}), `'alignment'` (only rounded up), `'max-parts'` (raised so that the object fits
   * in {@link MAX_PARTS} parts); undefined when they are equal.
   */
  readonly raisedBecause?: 'min-part-size' | 'alignment' | 'max-parts';
}

/**
 * The part size actually used for an upload: the requested size raised to {@link MIN_PART_SIZE}, rounded up
 * to {@link PART_ALIGNMENT}, then raised again (still aligned) until `size` fits in {@link MAX_PARTS} parts.
 * `size` may be undefined for a stream of unknown length, which then holds at most `MAX_PARTS` parts.
 */
export function choosePartSize(requested: number, size?: number): PartSizeChoice {
  assertPositiveInteger('chunkSize', requested);
  if (requested > MAX_PART_SIZE) {
    throw new InvalidArgumentError(
      `Expected \`chunkSize\` of an upload to be at most ${MAX_PART_SIZE} bytes (5 GiB, GCS's largest part), got ${requested}`,
    );
  }
  let partSize = alignUp(Math.max(requested, MIN_PART_SIZE), PART_ALIGNMENT);
  let raisedBecause: PartSizeChoice['raisedBecause'] =
    requested < MIN_PART_SIZE ? 'min-part-size' : partSize !== requested ? 'alignment' : undefined;
  if (size !== undefined && size > partSize * MAX_PARTS) {
    partSize = alignUp(Math.ceil(size / MAX_PARTS), PART_ALIGNMENT);
    raisedBecause = 'max-parts';
  }
  if (partSize > MAX_PART_SIZE) {
    throw new InvalidArgumentError(
      `An object of ${String(size)} bytes needs parts of ${partSize} bytes to fit in ${MAX_PARTS} parts, ` +
        `above GCS's ${MAX_PART_SIZE}-byte part limit`,
    );
  }
  return Object.freeze({ requested, partSize, ...(raisedBecause === undefined ? {} : { raisedBecause }) });
}

/** The part size used for an upload of `size` bytes (see {@link choosePartSize}). */
export function uploadPartSize(requested: number, size?: number): number {
  return choosePartSize(requested, size).partSize;
}

/** Plans a multipart upload of `size` bytes (see {@link uploadPartSize}). */
export function planUpload(size: number, requestedPartSize: number): UploadPlan {
  assertSize('size', size);
  const partSize = uploadPartSize(requestedPartSize, size);
  return { size, partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

/** The byte range of part `partNumber` (1-based) of `plan`. */
export function partRange(plan: UploadPlan, partNumber: number): ByteRange {
  if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > plan.partCount) {
    throw new InvalidArgumentError(
      `Expected \`partNumber\` to be an integer in 1..${plan.partCount}, got \`${String(partNumber)}\``,
    );
  }
  const start = (partNumber - 1) * plan.partSize;
  return { start, end: Math.min(start + plan.partSize, plan.size) };
}

/**
 * The gaps of `[0, size)` not covered by `done`, in order. `done` may be unsorted; ranges must lie inside the
 * object and must not overlap (a journal that says otherwise is not trusted).
 */
export function missingRanges(size: number, done: readonly ByteRange[]): ByteRange[] {
  const sorted = [...done].sort((a, b) => a.start - b.start);
  const gaps: ByteRange[] = [];
  let cursor = 0;
  for (const range of sorted) {
    if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start >= range.end) {
      throw new InvalidArgumentError(
        `Expected a completed range with integers start < end, got \`[${range.start}, ${range.end})\``,
      );
    }
    if (range.end > size) {
      throw new InvalidArgumentError(
        `Completed range \`[${range.start}, ${range.end})\` lies beyond the object's ${size} bytes`,
      );
    }
    if (range.start < cursor) {
      throw new InvalidArgumentError(`Completed range \`[${range.start}, ${range.end})\` overlaps another one`);
    }
    if (range.start > cursor) gaps.push({ start: cursor, end: range.start });
    cursor = range.end;
  }
  if (cursor < size) gaps.push({ start: cursor, end: size });
  return gaps;
}

/** Cuts each gap into consecutive ranges of at most `chunkSize` bytes, lazily (millions of ranges cost nothing). */
export function* splitRanges(gaps: Iterable<ByteRange>, chunkSize: number): Generator<ByteRange> {
  assertPositiveInteger('chunkSize', chunkSize);
  for (const gap of gaps) {
    for (let start = gap.start; start < gap.end; start += chunkSize) {
      yield { start, end: Math.min(start + chunkSize, gap.end) };
    }
  }
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** Throws an InvalidArgumentError unless `value` is a positive safe integer. */
export function assertPositiveInteger(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(
      `Expected \`${name}\` to be a positive integer, got \`${String(value)}\` (${typeof value})`,
    );
  }
}

function assertSize(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      `Expected \`${name}\` to be a non-negative integer, got \`${String(value)}\` (${typeof value})`,
    );
  }
}

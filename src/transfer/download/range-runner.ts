/**
 * How a download's ranges are carried out: the seam between the download job (which plans, schedules and
 * verifies on the main thread) and whatever moves the bytes. Two implementations: {@link PooledRangeRunner}
 * runs each range in a worker thread (the default), {@link InlineRangeRunner} on the main thread (for a
 * caller-supplied transport, which cannot cross into a worker).
 */
import type { ObjectHead } from './range-fetch.js';

/** One range to fetch: plain numbers and strings. */
export interface RangeSpec {
  /** The range's sequence number (slot of an ordered stream). */
  index: number;
  /** First byte stored. */
  start: number;
  /** Most bytes stored. */
  limit: number;
  /** Bytes before `start` the request begins with, dropped on arrival (a resume re-reads one byte). */
  discard: number;
  /** Media URL, pinned with `generation=` when known. */
  url: string;
  /** Last byte requested, inclusive. */
  endInclusive: number;
  /** The generation the range must come from: a 404/412 then means the object changed. */
  pinned: string | undefined;
}

export interface RangeHooks {
  /** The first bytes arrived; their response told these object facts. Must not throw. */
  onHead?: (head: ObjectHead) => void;
  /**
   * A batch was stored: `written` bytes from `start` in all, their CRC32C, and `added` bytes new in this batch.
   * Must not throw.
   */
  onStored: (written: number, crc32c: number, added: number) => void;
}

/** A range that ended well: every byte stored and hashed. */
export interface RangeOutcome {
  written: number;
  crc32c: number;
  /** The last response's object facts. */
  head: ObjectHead;
}

export interface RangeRunner {
  /** Fetches and stores one range. Rejects with the range's error (the hooks saw what was stored before it). */
  run(spec: RangeSpec, hooks: RangeHooks, signal: AbortSignal): Promise<RangeOutcome>;
}

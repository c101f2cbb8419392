/**
 * Progress reporting for one transfer: counters updated from many concurrent requests, delivered to the
 * caller's `onProgress` as throttled snapshots so a fast transfer cannot flood a progress bar.
 */

/** One progress report. Byte and part counts only grow. */
export interface ProgressSnapshot {
  /** Bytes transferred and accepted so far (for resumed transfers, including what an earlier run did). */
  bytesDone: number;
  /** Object size, once known (after discovery for downloads; unknown for streams until they end). */
  bytesTotal?: number;
  /** Parts (download ranges or upload parts) completed. */
  partsDone: number;
  /** Number of parts, once known. */
  partsTotal?: number;
  /** Milliseconds since the transfer started. */
  elapsedMs: number;
}

export type ProgressCallback = (snapshot: ProgressSnapshot) => void;

/**
 * Snapshots are emitted at most once per interval, and at least once per interval while counters move
 * (a trailing timer flushes the last change), plus one final snapshot from {@link ProgressTracker.finish}.
 */
export const PROGRESS_INTERVAL_MS = 100;

export class ProgressTracker {
  readonly #callback: ProgressCallback | undefined;
  readonly #intervalMs: number;
  readonly #startedAt = performance.now();
  #bytesDone = 0;
  #bytesTotal: number | undefined;
  #partsDone = 0;
  #partsTotal: number | undefined;
  #lastEmitAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #finished = false;

  constructor(callback: ProgressCallback | undefined, intervalMs = PROGRESS_INTERVAL_MS) {
    this.#callback = callback;
    this.#intervalMs = intervalMs;
  }

  /** Milliseconds since the tracker was created. */
  get elapsedMs(): number {
    return Math.round(performance.now() - this.#startedAt);
  }

  get bytesDone(): number {
    return this.#bytesDone;
  }

  /** Records the totals once they are known. */
  setTotals(totals: { bytes?: number; parts?: number }): void {
    if (totals.bytes !== undefined) this.#bytesTotal = totals.bytes;
    if (totals.parts !== undefined) this.#partsTotal = totals.parts;
    this.#changed();
  }

  /**
   * Adds `delta` bytes. A negative delta takes back bytes that were counted but then thrown away (a part
   * attempt that failed halfway), so the reported figure never exceeds what will really be kept.
   */
  addBytes(delta: number): void {
    if (delta === 0) return;
    this.#bytesDone += delta;
    this.#changed();
  }

  addParts(count = 1): void {
    if (count === 0) return;
    this.#partsDone += count;
    this.#changed();
  }

  snapshot(): ProgressSnapshot {
    const snapshot: ProgressSnapshot = {
      bytesDone: this.#bytesDone,
      partsDone: this.#partsDone,
      elapsedMs: this.elapsedMs,
    };
    if (this.#bytesTotal !== undefined) snapshot.bytesTotal = this.#bytesTotal;
    if (this.#partsTotal !== undefined) snapshot.partsTotal = this.#partsTotal;
    return snapshot;
  }

  /** Emits the final snapshot (successful or not) and stops the timer. Idempotent. */
  finish(options: { emit?: boolean } = {}): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (options.emit !== false) this.#emit();
  }

  #changed(): void {
    if (!this.#callback || this.#finished) return;
    const sinceLast = performance.now() - this.#lastEmitAt;
    if (sinceLast >= this.#intervalMs) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#emit();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#emit();
      }, this.#intervalMs - sinceLast);
      // A pending report must not keep the process alive after the transfer is gone.
      this.#timer.unref();
    }
  }

  #emit(): void {
    if (!this.#callback) return;
    this.#lastEmitAt = performance.now();
    // A throwing callback is the caller's bug; it must not break the transfer's bookkeeping, but it must
    // not vanish either.
    try {
      this.#callback(this.snapshot());
    } catch (error) {
      process.emitWarning(`onProgress threw: ${String(error)}`, { code: 'GCS_TRANSFER_PROGRESS' });
    }
  }
}

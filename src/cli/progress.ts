/**
 * Renders transfer progress for people. On a terminal: one line redrawn in place with a bar, the percentage,
 * bytes, rate and ETA. Elsewhere (a log file, CI): a plain line at most every few seconds, so logs stay short
 * and readable. It only ever prints numbers and the label it was given — never URLs or headers — so nothing
 * secret can reach it.
 */
import type { ProgressSnapshot } from '../transfer/progress.js';
import { formatDuration, formatSize } from './sizes.js';

/** A stream the renderer writes to (stderr). `isTTY` and `columns` decide the style. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressRendererOptions {
  stream: ProgressStream;
  /**
   * `bar` redraws one line (needs a terminal); `lines` prints plain periodic lines; `none` prints nothing.
   * @default 'bar' when `stream.isTTY`, otherwise 'lines'
   */
  mode?: 'bar' | 'lines' | 'none';
  /**
   * Minimum time between two plain lines, in milliseconds. (The bar redraws at most every 100 ms.)
   * @default 5000
   */
  lineIntervalMs?: number;
  /** Clock, for tests. @default performance.now */
  now?: () => number;
}

/** Rate is measured over this trailing window, so it follows real changes within seconds but does not jitter. */
const RATE_WINDOW_MS = 5_000;
/** A terminal bar redrawn more often than this only costs CPU. */
const BAR_REDRAW_MS = 100;
const DEFAULT_LINE_INTERVAL_MS = 5_000;
const DEFAULT_COLUMNS = 80;

export class ProgressRenderer {
  readonly #stream: ProgressStream;
  readonly #mode: 'bar' | 'lines' | 'none';
  readonly #lineIntervalMs: number;
  readonly #now: () => number;
  /** Recent `(time, bytesDone)` samples, oldest first, spanning at most the rate window. */
  readonly #samples: { at: number; bytes: number }[] = [];
  #lastDrawAt = -Infinity;
  /** Whether the bar currently occupies the cursor's line (so a message must clear it first). */
  #barShown = false;
  #last: ProgressSnapshot | undefined;
  /** Bytes an earlier run transferred (a resume): counted as done, but not in this run's average rate. */
  #reusedBytes = 0;

  constructor(options: ProgressRendererOptions) {
    this.#stream = options.stream;
    this.#mode = options.mode ?? (options.stream.isTTY ? 'bar' : 'lines');
    this.#lineIntervalMs = options.lineIntervalMs ?? DEFAULT_LINE_INTERVAL_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Feeds a snapshot (the engine's `onProgress`). Draws when enough time has passed. */
  update(snapshot: ProgressSnapshot): void {
    const now = this.#now();
    this.#last = snapshot;
    this.#samples.push({ at: now, bytes: snapshot.bytesDone });
    while (this.#samples.length > 2 && (this.#samples[1]?.at ?? now) <= now - RATE_WINDOW_MS) this.#samples.shift();
    if (this.#mode === 'none') return;
    const interval = this.#mode === 'bar' ? BAR_REDRAW_MS : this.#lineIntervalMs;
    if (now - this.#lastDrawAt < interval) return;
    this.#lastDrawAt = now;
    this.#draw(snapshot, false);
  }

  /** Prints a message on its own line (e.g. why a resume started over), without garbling the bar. */
  note(message: string): void {
    if (this.#mode === 'none') return;
    this.#clearBar();
    this.#stream.write(`${message}\n`);
  }

  /**
   * Ends the display: after a success, draws the final totals; after a failure, only moves off the bar's line
   * (a "done" line would mislead). Call once.
   */
  finish(outcome: 'done' | 'failed' = 'done', options: { reusedBytes?: number } = {}): void {
    this.#reusedBytes = options.reusedBytes ?? 0;
    if (outcome === 'done' && this.#mode !== 'none' && this.#last !== undefined) this.#draw(this.#last, true);
    this.#clearBar();
  }

  /** Bytes per second over the trailing window, or undefined until two samples are apart in time. */
  get rate(): number | undefined {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last.at - first.at < 200) return undefined;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }

  /** The text of one progress report, without the bar (shared by both modes). */
  describe(snapshot: ProgressSnapshot, final: boolean): string {
    const { bytesDone, bytesTotal } = snapshot;
    const parts: string[] = [];
    if (bytesTotal !== undefined && bytesTotal > 0) {
      parts.push(`${Math.floor((bytesDone / bytesTotal) * 100)}%`.padStart(4));
    }
    parts.push(bytesTotal === undefined ? formatSize(bytesDone) : `${formatSize(bytesDone)} / ${formatSize(bytesTotal)}`);
    if (final) {
      const seconds = snapshot.elapsedMs / 1000;
      // The same rate as the summary line: only what this run moved, over this run's time.
      const moved = Math.max(0, bytesDone - this.#reusedBytes);
      if (seconds > 0) parts.push(`${formatSize(moved / seconds)}/s avg`);
      if (this.#reusedBytes > 0) parts.push(`${formatSize(this.#reusedBytes)} reused`);
      parts.push(`in ${formatDuration(snapshot.elapsedMs)}`);
    } else {
      const rate = this.rate;
      parts.push(rate === undefined ? '-- /s' : `${formatSize(rate)}/s`);
      const eta = bytesTotal !== undefined && rate !== undefined && rate > 0 ? ((bytesTotal - bytesDone) / rate) * 1000 : undefined;
      parts.push(`ETA ${formatDuration(eta)}`);
    }
    return parts.join('  ');
  }

  #draw(snapshot: ProgressSnapshot, final: boolean): void {
    const text = this.describe(snapshot, final);
    if (this.#mode === 'lines') {
      this.#stream.write(`${final ? 'done' : 'progress'}: ${text}\n`);
      return;
    }
    const columns = this.#stream.columns ?? DEFAULT_COLUMNS;
    const barWidth = Math.max(0, Math.min(40, columns - text.length - 4));
    let line = text;
    if (barWidth >= 10) {
      const fraction = snapshot.bytesTotal ? Math.min(1, snapshot.bytesDone / snapshot.bytesTotal) : 0;
      const filled = Math.round(fraction * barWidth);
      line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${text}`;
    }
    // Carriage return plus "erase to end of line": redraw in place without leftovers from a longer line.
    this.#stream.write(`\r${line.slice(0, Math.max(1, columns - 1))}\x1b[K`);
    this.#barShown = true;
  }

  #clearBar(): void {
    if (!this.#barShown) return;
    this.#stream.write('\n');
    this.#barShown = false;
  }
}

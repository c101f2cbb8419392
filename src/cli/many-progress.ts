/**
 * One progress display for a whole many-object job: objects and bytes done out of those found so far (a `+`
 * while the source is still being listed), the rate over the last seconds, and an ETA once the listing is
 * complete. On a terminal one line is redrawn; elsewhere a plain line every few seconds.
 */
import type { ManyProgress } from '../transfer/many/outcomes.js';
import type { OutputStream } from './io.js';
import { formatDuration, formatSize } from './sizes.js';

const RATE_WINDOW_MS = 5_000;

export class ManyProgressRenderer {
  readonly #stream: OutputStream;
  readonly #mode: 'bar' | 'lines' | 'none';
  readonly #intervalMs: number;
  readonly #samples: { at: number; bytes: number }[] = [];
  #lastDraw = -Infinity;
  #shown = false;
  /** Totals of earlier calls of the same job (a cp with several sources runs one call per kind). */
  #base = { objectsDone: 0, objectsTotal: 0, bytesDone: 0, bytesTotal: 0, failed: 0, skipped: 0 };
  #last: ManyProgress | undefined;

  constructor(stream: OutputStream, mode?: 'bar' | 'lines' | 'none') {
    this.#stream = stream;
    this.#mode = mode ?? (stream.isTTY ? 'bar' : 'lines');
    this.#intervalMs = this.#mode === 'bar' ? 100 : 5_000;
  }

  readonly update = (progress: ManyProgress): void => {
    this.#last = progress;
    const now = performance.now();
    const bytes = this.#base.bytesDone + progress.bytesDone;
    this.#samples.push({ at: now, bytes });
    while (this.#samples.length > 2 && (this.#samples[1]?.at ?? now) <= now - RATE_WINDOW_MS) this.#samples.shift();
    if (this.#mode === 'none' || now - this.#lastDraw < this.#intervalMs) return;
    this.#lastDraw = now;
    this.#draw(progress);
  };

  /** Folds a finished call into the base, so the next call's numbers add to it. */
  nextCall(): void {
    const last = this.#last;
    if (!last) return;
    this.#base = {
      objectsDone: this.#base.objectsDone + last.objectsDone,
      objectsTotal: this.#base.objectsTotal + last.objectsTotal,
      bytesDone: this.#base.bytesDone + last.bytesDone,
      bytesTotal: this.#base.bytesTotal + last.bytesTotal,
      failed: this.#base.failed + last.failed,
      skipped: this.#base.skipped + last.skipped,
    };
    this.#last = undefined;
  }

  /** Whether notes reach the user (then the final report need not repeat them). */
  get showsNotes(): boolean {
    return this.#mode !== 'none';
  }

  /** Prints a line above the display (a failure as it happens). */
  note(message: string): void {
    if (this.#mode === 'none') return;
    this.#clear();
    this.#stream.write(`${message}\n`);
  }

  finish(): void {
    if (this.#shown) this.#clear();
  }

  #draw(progress: ManyProgress): void {
    const b = this.#base;
    const done = b.objectsDone + progress.objectsDone;
    const total = b.objectsTotal + progress.objectsTotal;
    const bytesDone = b.bytesDone + progress.bytesDone;
    const bytesTotal = b.bytesTotal + progress.bytesTotal;
    const first = this.#samples[0];
    const lastSample = this.#samples.at(-1);
    const span = first && lastSample ? lastSample.at - first.at : 0;
    const rate = span > 0 && first && lastSample ? ((lastSample.bytes - first.bytes) / span) * 1000 : undefined;
    const eta = progress.listed && rate && rate > 0 ? ((bytesTotal - bytesDone) / rate) * 1000 : undefined;
    const more = progress.listed ? '' : '+';
    const failed = b.failed + progress.failed;
    const line =
      `${done}/${total}${more} objects, ${formatSize(bytesDone)}/${formatSize(bytesTotal)}${more}` +
      `, ${rate === undefined ? '-- /s' : `${formatSize(rate)}/s`}, ETA ${formatDuration(eta)}` +
      (failed > 0 ? `, ${failed} failed` : '');
    if (this.#mode === 'bar') {
      const width = Math.max(20, (this.#stream.columns ?? 80) - 1);
      this.#stream.write(`\r${line.slice(0, width).padEnd(Math.min(width, line.length))}\x1b[K`);
      this.#shown = true;
    } else {
      this.#stream.write(`${line}\n`);
    }
  }

  #clear(): void {
    if (this.#mode === 'bar' && this.#shown) {
      this.#stream.write('\r\x1b[K');
      this.#shown = false;
    }
  }
}

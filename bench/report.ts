/**
 * What a person sees: progress lines while the bench runs (stderr, so `--json` output stays clean) and the
 * final report (stdout), grouped by suite and profile with the targets and recommendations last.
 */
import { formatSize, shortSize } from './units.js';
import type { BenchRun, CaseRow, SuiteName, SweepCell } from './results.js';

/** Progress output. On a terminal the byte counter rewrites one line; elsewhere only finished steps print. */
export class ProgressReporter {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #started = performance.now();
  #transient = false;

  /** Whether anything is printed at all. */
  readonly enabled: boolean;

  constructor(out: NodeJS.WriteStream = process.stderr, enabled = true) {
    this.#out = out;
    this.#tty = enabled && Boolean(out.isTTY);
    this.enabled = enabled;
  }

  /** True on a terminal, where transient updates are shown (callers skip polling for them otherwise). */
  get interactive(): boolean {
    return this.#tty;
  }

  /** A finished step or a phase change: always printed (unless disabled). */
  line(text: string): void {
    if (!this.enabled) return;
    this.#clear();
    this.#out.write(`[${this.#elapsed()}] ${text}\n`);
  }

  /**
   * A step starting: transient on a terminal (its result line replaces it), a permanent line elsewhere, so a
   * log shows what was running if the bench hangs.
   */
  start(text: string): void {
    if (this.#tty) this.update(text);
    else this.line(text);
  }

  /** How far the running step is; shown only on a terminal, overwritten by the next update. */
  update(text: string): void {
    if (!this.#tty) return;
    this.#clear();
    this.#out.write(`[${this.#elapsed()}] ${text}`);
    this.#transient = true;
  }

  #clear(): void {
    if (this.#transient) this.#out.write('\r\x1b[2K');
    this.#transient = false;
  }

  #elapsed(): string {
    const s = Math.round((performance.now() - this.#started) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  }
}

type Align = 'left' | 'right';

/** A plain-text table: two spaces between columns, numbers right-aligned. */
export function textTable(headers: string[], rows: string[][], align: Align[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: string[]): string =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(headers), render(widths.map((w) => '-'.repeat(w))), ...rows.map(render)].join('\n');
}

function num(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(value < 10 ? 2 : 1)}×`;
}

function percent(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${Math.round(value * 100)}%`;
}

function settings(row: CaseRow): string {
  return row.chunkSize !== undefined && row.concurrency !== undefined ? `${shortSize(row.chunkSize)}×${row.concurrency}` : '';
}

/** What the "× base" column of each suite is relative to. */
const BASELINES: Record<SuiteName, string> = {
  download: 'single stream',
  upload: 'resumable single stream',
  crc32c: 'native on the main thread',
  peers: 'our TransferManager',
  sweep: '',
  many: 'our uploadMany / downloadMany of the same set',
};

/** The case rows of one suite × profile as a table. */
export function caseTable(rows: readonly CaseRow[]): string {
  const headers = ['case', 'chunk×conc', 'MiB/s', 'min–max', '× base', '% cap', 'CPU s/GiB', 'CPU × bare', 'main s/GiB', 'peak RSS', 'srv CPU s/GiB', 'srv loop'];
  const body = rows.map((r) => {
    const digits = r.mibps.median < 100 ? 1 : 0;
    return [
      r.note ? `${r.label} [${r.note}]` : r.label,
      settings(r),
      num(r.mibps.median, digits),
      `${num(r.mibps.min, digits)}–${num(r.mibps.max, digits)}`,
      ratio(r.vsBase),
      percent(r.vsCap),
      num(r.cpuSecPerGiB, 2),
      ratio(r.cpuVsBare),
      num(r.mainBusySecPerGiB, 2),
      r.peakRssMiB === undefined ? '—' : `${num(r.peakRssMiB)} MiB${r.rssSource === 'sampled' ? '*' : ''}`,
      num(r.emulatorCpuSecPerGiB, 2),
      percent(r.emulatorLoopBusy),
    ];
  });
  // Columns with nothing to say in this table (no cap on loopback, no settings for CRC32C) are left out.
  const keep = headers.map((_, i) => i === 0 || body.some((cells) => cells[i] !== '' && cells[i] !== '—'));
  const pick = <T,>(cells: T[]): T[] => cells.filter((_, i) => keep[i]);
  return textTable(pick(headers), body.map(pick), pick(['left', ...headers.slice(1).map(() => 'right' as const)]));
}

/** The sweep of one direction × profile as a grid: rows are chunk sizes, columns concurrencies. */
export function sweepGrid(cells: readonly SweepCell[]): string {
  const chunks = [...new Set(cells.map((c) => c.chunkSize))].sort((a, b) => a - b);
  const concurrencies = [...new Set(cells.map((c) => c.concurrency))].sort((a, b) => a - b);
  const best = Math.max(...cells.map((c) => c.mibps));
  const rows = chunks.map((chunk) => [
    shortSize(chunk),
    ...concurrencies.map((conc) => {
      const cell = cells.find((c) => c.chunkSize === chunk && c.concurrency === conc);
      if (!cell) return '';
      return `${num(cell.mibps)}${cell.mibps === best ? ' ◀' : ''}`;
    }),
  ]);
  return textTable(['chunk \\ conc', ...concurrencies.map((c) => `×${c}`)], rows, ['left', ...concurrencies.map(() => 'right' as const)]);
}

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

/** The whole report. */
export function formatReport(run: BenchRun, files: { json?: string; chart?: string } = {}): string {
  const out: string[] = [];
  const { settings: s, machine } = run;
  out.push(`gcs-transfer bench — ${run.mode}`);
  out.push(`  machine   ${machine.cores} × ${machine.cpus}, ${machine.memoryGiB} GiB RAM, ${machine.os}, Node ${machine.node}`);
  out.push(
    `  object    ${formatSize(s.size)} seeded random, ${s.iterations} iteration(s) per case; engine ${shortSize(s.chunkSize)} chunks × ${s.concurrency}` +
      (s.endpoint ? `; endpoint ${s.endpoint}` : '; emulator in a child process'),
  );
  for (const p of s.profiles) out.push(`  profile   ${p.name}: ${p.summary}`);
  out.push(`  code      ${run.runtime}`);
  out.push('  columns   median MiB/s and min–max over iterations; × base = ratio to the suite\'s baseline (in each title);');
  out.push('            CPU and peak RSS are the client process alone (a fresh process per case); srv = the emulator process;');
  out.push('            srv loop = its main thread\'s CPU time over the case\'s wall time; [server-bound] at 85 % and above');

  const groups = new Map<string, CaseRow[]>();
  for (const row of run.rows) {
    const key = `${row.suite} · ${row.profile}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const [key, rows] of groups) {
    const first = rows[0] as CaseRow;
    const cap = run.settings.profiles.find((p) => p.name === first.profile)?.capMiBps;
    const notes = [`× base: vs ${BASELINES[first.suite]}`, ...(cap ? [`cap ${cap} MiB/s`] : [])];
    out.push('', `${key.toUpperCase()} (${notes.join('; ')})`, indent(caseTable(rows)));
  }

  const sweepKeys = [...new Set(run.sweep.map((c) => `${c.direction}|${c.profile}`))];
  for (const key of sweepKeys) {
    const [direction, profile] = key.split('|');
    out.push('', `SWEEP · ${direction} · ${profile} (MiB/s; ◀ best)`, indent(sweepGrid(run.sweep.filter((c) => `${c.direction}|${c.profile}` === key))));
  }

  if (run.targets.length > 0) {
    out.push('', 'TARGETS');
    for (const t of run.targets) {
      const verdict = t.pass === null ? 'N/A ' : t.pass ? 'PASS' : 'MISS';
      out.push(`  ${verdict}  ${t.target}: ${t.detail}`);
    }
  }
  if (run.recommendations.length > 0) {
    const sweepSize = run.sweep.length > 0 ? ` on ${formatSize(run.settings.sweepSize ?? run.settings.size)} objects` : '';
    out.push('', `RECOMMENDED TransferManager DEFAULTS (from the sweep${sweepSize})`);
    for (const r of run.recommendations) {
      out.push(`  ${r.direction.padEnd(8)}  chunkSize ${formatSize(r.chunkSize)}, concurrency ${r.concurrency} — ${r.reason}`);
    }
  }
  if (run.failures.length > 0) {
    out.push('', 'FAILED');
    for (const failure of run.failures) out.push(`  ${failure}`);
  }
  if (run.skipped.length > 0) {
    out.push('', 'SKIPPED');
    for (const reason of run.skipped) out.push(`  ${reason}`);
  }
  out.push('', `Finished in ${Math.round(run.durationSec)} s.${files.json ? ` Results: ${files.json}` : ''}${files.chart ? `  Chart: ${files.chart}` : ''}`);
  return `${out.join('\n')}\n`;
}

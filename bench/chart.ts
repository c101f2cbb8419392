/**
 * The tuning sweep as an SVG: one panel per direction × profile, throughput against chunk size (log scale,
 * chunk sizes are powers of two), one line per concurrency, the profile's aggregate cap as a dashed line.
 * Hand-written SVG: no dependency, and the file renders on GitHub and in any browser.
 */
import { shortSize } from './units.js';
import type { SweepCell } from './results.js';

const PANEL_W = 440;
const PANEL_H = 290;
const MARGIN = { top: 34, right: 96, bottom: 44, left: 60 };
const TITLE_H = 46;
const MIN_WIDTH = 540;
/** Colour-blind-safe palette (Okabe–Ito). */
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#F0E442', '#000000'];

export interface ChartOptions {
  title: string;
  /** A second, smaller line under the title (machine, date, object size). */
  subtitle?: string;
  /** Aggregate cap per profile, MiB/s, drawn as a dashed line. */
  caps?: Partial<Record<string, number>>;
}

export function sweepChartSvg(cells: readonly SweepCell[], options: ChartOptions): string {
  const directions = unique(cells.map((c) => c.direction));
  const profiles = unique(cells.map((c) => c.profile));
  // Wide enough for the title even with a single panel per row.
  const width = Math.max(MIN_WIDTH, profiles.length * PANEL_W);
  const height = TITLE_H + Math.max(1, directions.length) * PANEL_H;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  if (options.subtitle) {
    parts.push(`<text x="${width / 2}" y="34" text-anchor="middle" fill="#555">${escapeXml(options.subtitle)}</text>`);
  }
  directions.forEach((direction, row) => {
    profiles.forEach((profile, col) => {
      const panelCells = cells.filter((c) => c.direction === direction && c.profile === profile);
      if (panelCells.length === 0) return;
      parts.push(panel(panelCells, `${direction} · ${profile}`, col * PANEL_W, TITLE_H + row * PANEL_H, options.caps?.[profile]));
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function panel(cells: readonly SweepCell[], title: string, x0: number, y0: number, cap: number | undefined): string {
  const plotW = PANEL_W - MARGIN.left - MARGIN.right;
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const chunks = unique(cells.map((c) => c.chunkSize)).sort((a, b) => a - b);
  const concurrencies = unique(cells.map((c) => c.concurrency)).sort((a, b) => a - b);
  const top = Math.max(...cells.map((c) => c.mibps), cap ?? 0) * 1.05;
  const step = niceStep(top / 5);
  const ticks = Math.max(1, Math.ceil(top / step));
  const yMax = step * ticks;
  const logMin = Math.log2(chunks[0] ?? 1);
  const logMax = Math.log2(chunks[chunks.length - 1] ?? 1);
  const xOf = (chunk: number): number =>
    logMax === logMin ? plotW / 2 : ((Math.log2(chunk) - logMin) / (logMax - logMin)) * plotW;
  const yOf = (mibps: number): number => plotH - (mibps / yMax) * plotH;

  const out: string[] = [`<g transform="translate(${x0 + MARGIN.left},${y0 + MARGIN.top})">`];
  out.push(`<text x="${plotW / 2}" y="-14" text-anchor="middle" font-size="12" font-weight="bold">${escapeXml(title)}</text>`);
  // Horizontal grid and y labels.
  for (let i = 0; i <= ticks; i++) {
    const value = step * i;
    const y = yOf(value);
    out.push(`<line x1="0" y1="${fmt(y)}" x2="${plotW}" y2="${fmt(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="-6" y="${fmt(y + 4)}" text-anchor="end">${Math.round(value)}</text>`);
  }
  for (const chunk of chunks) {
    out.push(`<text x="${fmt(xOf(chunk))}" y="${plotH + 16}" text-anchor="middle">${shortSize(chunk)}</text>`);
  }
  out.push(`<line x1="0" y1="${plotH}" x2="${plotW}" y2="${plotH}" stroke="#333"/>`);
  out.push(`<line x1="0" y1="0" x2="0" y2="${plotH}" stroke="#333"/>`);
  out.push(`<text x="${plotW / 2}" y="${plotH + 34}" text-anchor="middle">chunk size</text>`);
  out.push(`<text transform="translate(-44,${plotH / 2}) rotate(-90)" text-anchor="middle">MiB/s</text>`);
  if (cap !== undefined) {
    out.push(`<line x1="0" y1="${fmt(yOf(cap))}" x2="${plotW}" y2="${fmt(yOf(cap))}" stroke="#999" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${plotW - 2}" y="${fmt(yOf(cap) - 4)}" text-anchor="end" fill="#777">cap ${cap} MiB/s</text>`);
  }
  concurrencies.forEach((concurrency, i) => {
    const colour = COLOURS[i % COLOURS.length] as string;
    const points = cells
      .filter((c) => c.concurrency === concurrency)
      .sort((a, b) => a.chunkSize - b.chunkSize)
      .map((c) => [xOf(c.chunkSize), yOf(c.mibps)] as const);
    if (points.length > 1) {
      out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(' ')}"/>`);
    }
    for (const [x, y] of points) out.push(`<circle cx="${fmt(x)}" cy="${fmt(y)}" r="3" fill="${colour}"/>`);
    const legendY = 8 + i * 16;
    out.push(`<line x1="${plotW + 12}" y1="${legendY}" x2="${plotW + 30}" y2="${legendY}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${plotW + 34}" y="${legendY + 4}">×${concurrency}</text>`);
  });
  out.push(`<text x="${plotW + 12}" y="${8 + concurrencies.length * 16 + 6}" fill="#777">concurrency</text>`);
  out.push('</g>');
  return out.join('\n');
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `value`: grid steps that read well (25, 50, 100...). */
function niceStep(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function fmt(value: number): string {
  return value.toFixed(1);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}

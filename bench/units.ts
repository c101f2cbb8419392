/**
 * Byte sizes and rates as the bench reads and prints them. Binary units throughout (MiB, GiB), because chunk
 * sizes and GCS limits are powers of two and a "MB/s" next to a "MiB" chunk invites off-by-5 % comparisons.
 */
import { InvalidArgumentError } from '../src/errors.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: KiB,
  kb: KiB,
  kib: KiB,
  m: MiB,
  mb: MiB,
  mib: MiB,
  g: GiB,
  gb: GiB,
  gib: GiB,
};

/**
 * Parses `"1GiB"`, `"256MiB"`, `"64m"`, `"1048576"`. Decimal suffixes (`MB`) are read as binary on purpose: a
 * user typing `--size 1GB` means "about a gigabyte", and silently using 10^9 would make the object no longer a
 * whole number of MiB chunks.
 */
export function parseSize(option: string, value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const multiplier = match ? UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || multiplier === undefined) {
    throw new InvalidArgumentError(`${option} must be a size such as 512MiB, 1GiB or 1048576; got ${JSON.stringify(value)}`);
  }
  const bytes = Math.round(Number(match[1]) * multiplier);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidArgumentError(`${option} must be a positive size; got ${JSON.stringify(value)}`);
  }
  return bytes;
}

/** `1073741824` → `"1 GiB"`, `50331648` → `"48 MiB"`, `1536` → `"1.5 KiB"`. */
export function formatSize(bytes: number): string {
  const units: [number, string][] = [
    [GiB, 'GiB'],
    [MiB, 'MiB'],
    [KiB, 'KiB'],
  ];
  for (const [size, name] of units) {
    if (bytes >= size) return `${trimNumber(bytes / size)} ${name}`;
  }
  return `${bytes} B`;
}

/** Compact form for table headers and file names: `8M`, `1G`, `512K`. */
export function shortSize(bytes: number): string {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB}G`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB}M`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB}K`;
  return `${bytes}`;
}

/** MiB/s from a byte count and a duration in milliseconds. */
export function mibPerSec(bytes: number, ms: number): number {
  return ms > 0 ? bytes / MiB / (ms / 1000) : 0;
}

function trimNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1).replace(/\.?0+$/, '');
}

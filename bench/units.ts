/**
 * Byte sizes and rates as the bench prints them. Binary units throughout (MiB, GiB), because chunk sizes and
 * GCS limits are powers of two and a "MB/s" next to a "MiB" chunk invites off-by-5 % comparisons. Parsing and
 * long-form printing are the CLI's (`src/cli/sizes.ts`), re-exported so the bench reads sizes the same way.
 */
export { formatSize, parseSize } from '../src/cli/sizes.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

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

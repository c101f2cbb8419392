/**
 * Human quantities for the command line. Byte sizes: `32MiB`, `1G`, `512k`, `1.5GiB`, `1048576`. Durations:
 * `500ms`, `30s`, `2m`, `1h`, or plain milliseconds.
 *
 * Every suffix is binary, whatever its spelling (`K` = `KB` = `KiB` = 1024), as in gsutil and in this
 * project's bench: chunk sizes and GCS part limits are powers of two, and reading `32MB` as 32,000,000 would
 * silently produce parts that are not a whole number of MiB. Case is ignored; a trailing `B` is optional.
 */
import { InvalidArgumentError } from '../errors.js';

/** Powers of 1024 by the suffix's first letter; the empty suffix means bytes. */
const EXPONENTS: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4 };

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?$/i;

/**
 * Parses a size into a whole number of bytes. `flag` names the option in the error message
 * (e.g. `--chunk-size`).
 * @throws InvalidArgumentError naming the flag, the value and the accepted forms.
 */
export function parseSize(value: string, flag: string): number {
  const match = SIZE_PATTERN.exec(value.trim());
  if (!match) {
    throw new InvalidArgumentError(
      `${flag}: expected a size such as 32MiB, 1G, 512k or 1048576 (binary units), got '${value}'`,
    );
  }
  const exponent = EXPONENTS[(match[2] ?? '').toLowerCase()] ?? 0;
  const bytes = Number(match[1]) * 1024 ** exponent;
  if (!Number.isSafeInteger(bytes)) {
    throw new InvalidArgumentError(`${flag}: '${value}' is not a whole number of bytes below 2^53`);
  }
  return bytes;
}

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i;
const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration into whole milliseconds; a bare number is milliseconds.
 * @throws InvalidArgumentError naming the flag, the value and the accepted forms.
 */
export function parseDuration(value: string, flag: string): number {
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) {
    throw new InvalidArgumentError(`${flag}: expected a duration such as 500ms, 30s, 2m, 1h or 250 (ms), got '${value}'`);
  }
  return Math.round(Number(match[1]) * (DURATION_UNITS_MS[(match[2] ?? 'ms').toLowerCase()] ?? 1));
}

const UNIT_NAMES = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `1536` → `1.5 KiB`, `33554432` → `32.0 MiB`, `17` → `17 B`. Always three significant figures or fewer. */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNIT_NAMES.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value.toFixed(value < 100 ? 1 : 0)} ${UNIT_NAMES[unit]}`;
}

/** `mm:ss`, or `h:mm:ss` past an hour; `--:--` when unknown. For ETAs and elapsed times. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '--:--';
  const total = Math.round(ms / 1000);
  const seconds = total % 60;
  const minutes = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  const mmss = `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}

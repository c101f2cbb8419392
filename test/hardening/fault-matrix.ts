/**
 * The fault matrix's shared parts: every fault kind the emulator can inject, what each must lead to, a fast
 * retry policy and short timeouts (so a stall is cut in well under a second), and a runner that plays the
 * cells a few at a time — each cell on its own object, its faults matched by object name, so cells cannot
 * disturb one another.
 */
import assert from 'node:assert/strict';
import { GcsTransferError } from '../../src/errors.js';
import { RetryStrategy } from '../../src/transport/retry.js';

/**
 * Every fault kind. `transient` faults, applied once, must be absorbed (retried, resumed, re-requested) so
 * that the transfer succeeds with the exact bytes; the others may also end in a typed error, never in wrong
 * bytes presented as a success.
 */
export const FAULT_KINDS: readonly { spec: string; transient: boolean }[] = [
  { spec: 'status:503', transient: true },
  { spec: 'status:429,retry-after=0', transient: true },
  { spec: 'status:408', transient: true },
  { spec: 'status:500', transient: true },
  { spec: 'status:502', transient: true },
  { spec: 'reset-after:100', transient: true },
  { spec: 'reset-request-after:100', transient: true },
  { spec: 'stall-headers:3000', transient: true },
  { spec: 'stall-body:3000,after=100', transient: true },
  { spec: 'truncate-body:100', transient: false },
  { spec: 'flip-byte:10', transient: false },
  { spec: 'omit-header:etag', transient: false },
  { spec: 'omit-header:x-goog-hash', transient: false },
  { spec: 'omit-header:content-range', transient: false },
  { spec: 'omit-header:location', transient: true },
  { spec: 'ignore-range', transient: false },
  { spec: 'bump-generation', transient: false },
  { spec: 'status:403', transient: false },
];

/** Retries quickly: the matrix tests outcomes, not back-off timing. */
export const FAST_RETRY = new RetryStrategy({ initialDelayMs: 5, maxSleepMs: 20, maxRetries: 5 });

/** For persistent faults: giving up quickly is the point. */
export const SHORT_RETRY = new RetryStrategy({ initialDelayMs: 5, maxSleepMs: 20, maxRetries: 2 });

/** A stalled connection is cut after this long (the stall faults last 3 s). */
export const READ_TIMEOUT = { readMs: 300, connectMs: 2_000 };

/** A cell must end (either way) well within this, or it hung. */
export const CELL_DEADLINE_MS = 20_000;

/** An object name fit for fault matching: the op and spec, made safe. */
export function cellName(prefix: string, op: string, spec: string): string {
  return `${prefix}/${op}/${spec.replace(/[^a-z0-9]+/gi, '-')}`;
}

export interface Cell {
  name: string;
  run: () => Promise<void>;
}

/** Runs cells `width` at a time (a sliding window), failing on the first cell that fails or hangs. */
export async function runCells(cells: readonly Cell[], width = 4): Promise<void> {
  const queue = [...cells];
  const failures: string[] = [];
  const worker = async (): Promise<void> => {
    for (let cell = queue.shift(); cell !== undefined; cell = queue.shift()) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no outcome after ${CELL_DEADLINE_MS} ms (a hang)`)), CELL_DEADLINE_MS);
      });
      try {
        await Promise.race([cell.run(), deadline]);
      } catch (error) {
        failures.push(`${cell.name}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        clearTimeout(timer);
      }
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  assert.deepEqual(failures, [], `${failures.length} of ${cells.length} cells failed`);
}

/**
 * What a failed transfer must throw: one of our typed errors, with a stable code, a message that says what
 * happened, and nothing secret.
 */
export function assertTypedError(error: unknown, allowed?: readonly string[]): asserts error is GcsTransferError {
  assert.ok(error instanceof GcsTransferError, `expected a typed error, got ${String(error)}`);
  assert.ok(error.message.length > 0);
  if (allowed) assert.ok(allowed.includes(error.code), `unexpected code ${error.code}: ${error.message}`);
}

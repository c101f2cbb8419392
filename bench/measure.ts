/**
 * What one measured transfer costs the client process: wall time, CPU seconds (user + system, every thread of
 * the process, so piscina workers count) and resident memory.
 *
 * Peak memory has two sources, and the report says which one a number came from:
 * - `maxRss`: the kernel's high-water mark for the whole process (`getrusage`). Exact, but process-lifetime,
 *   so it is only meaningful when the process ran nothing but the case — which is why every headline case runs
 *   in a fresh child process.
 * - a sampler reading the current RSS every few milliseconds while the case runs. Needed when several cases
 *   share a process (the tuning sweep); it can miss a spike shorter than the interval, so it is reported as
 *   "sampled".
 */
import { MiB } from './units.js';

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** The kernel's peak RSS of this process so far, in MiB. */
export function maxRssMiB(): number {
  // resourceUsage().maxRSS is in KiB on every platform Node supports.
  return process.resourceUsage().maxRSS / 1024;
}

/** Samples `process.memoryUsage.rss()` on an interval and keeps the maximum. */
export class RssSampler {
  #peak = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly intervalMs: number;

  /** @param intervalMs how often to sample. @default 20 */
  constructor(intervalMs = 20) {
    this.intervalMs = intervalMs;
  }

  start(): this {
    this.#peak = process.memoryUsage.rss();
    this.#timer = setInterval(() => this.#sample(), this.intervalMs);
    // A sampler must never keep a finished benchmark process alive.
    this.#timer.unref();
    return this;
  }

  /** Stops sampling and returns the peak RSS seen, in MiB. */
  stop(): number {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sample();
    return this.#peak / MiB;
  }

  #sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.#peak) this.#peak = rss;
  }
}

/** One measured iteration. */
export interface IterationCost {
  /** Wall time in milliseconds. */
  ms: number;
  /** CPU seconds the process spent during the iteration. */
  cpuSec: number;
  /**
   * Seconds the main thread's event loop was busy (`performance.eventLoopUtilization()`): what the engine
   * leaves on the thread its caller's own work runs on. On a loaded machine it also counts time the busy
   * thread waited for a core, so compare it between cases of one run.
   */
  mainBusySec: number;
}

/**
 * Runs `fn` once and returns its wall time and CPU cost. Callers that hand the timing to tinybench return `ms`
 * as `overriddenDuration`, so the statistics and the CPU figure describe exactly the same interval.
 */
export async function measureIteration(fn: () => Promise<void>): Promise<IterationCost> {
  const cpuStart = process.cpuUsage();
  const eluStart = performance.eventLoopUtilization();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const elu = performance.eventLoopUtilization(eluStart);
  return { ms, cpuSec: (cpu.user + cpu.system) / 1e6, mainBusySec: elu.active / 1000 };
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

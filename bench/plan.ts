/**
 * What a run measures: sizes, iterations, profiles, the sweep grid. Three presets:
 *
 * - `default` (`npm run bench`, no flags): must finish in under 3 minutes on a 2-core machine, so the headline
 *   suites use a 256 MiB object (64 MiB for single streams on the shaped profile), the peer comparison runs on
 *   loopback only, and the sweep is a 3 × 3 grid on the realistic profile, where tuning matters;
 * - `full` (`--full`): the 1 GiB object of the targets, a warm-up before every case, the whole 5 × 5 grid, the
 *   peer comparison on both profiles (about 15 minutes on 2 cores);
 * - `quick` (`--quick`): tiny sizes, one iteration; it runs inside the test suite so the harness cannot rot.
 *
 * Any explicit flag (`--size`, `--iterations`, `--suite`, `--profile`...) overrides the preset.
 */
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../src/errors.js';
import { PROFILES, type NetworkProfile } from './profiles.js';
import { SUITES, type SuiteName } from './results.js';
import type { ManySet } from './suites/many.js';
import { formatSize, KiB, MiB } from './units.js';

export type Mode = 'default' | 'full' | 'quick';

export interface SweepPlan {
  /** Object size for each sweep cell. */
  size: number;
  chunkSizes: number[];
  concurrencies: number[];
  iterations: number;
}

/**
 * Next to this file in a checkout, whatever the working directory (bench/results/ is git-ignored); in the
 * working directory when the bench runs from an installed package (never inside node_modules).
 */
function defaultOutDir(): string {
  const here = fileURLToPath(new URL('./results', import.meta.url));
  return here.split(sep).includes('node_modules') ? resolve('gcs-transfer-bench-results') : here;
}

/** A user-given GCS endpoint instead of the emulator. */
export interface EndpointPlan {
  url: string;
  bucket: string;
  auth: 'adc' | 'none';
}

export interface Plan {
  mode: Mode;
  /** One line for the report header: what this run covers and how to get more. */
  description: string;
  size: number;
  iterations: number;
  /** One unmeasured iteration before the measured ones. */
  warmup: boolean;
  suites: SuiteName[];
  profiles: NetworkProfile[];
  /** Engine settings for the headline suites and the peer comparison. */
  chunkSize: number;
  concurrency: number;
  /**
   * Single-stream cases on a shaped profile move at the per-connection cap whatever the object size (the
   * 30 ms first byte is < 1 % of a 64 MiB transfer), so they move a smaller object, fewer times, and one slow
   * stream does not eat the time budget. Ratios stay throughput ratios.
   */
  shapedSingle: { size: number; iterations: number };
  sweep: SweepPlan;
  crc32c: { size: number; sliceSize: number; workers: number };
  /**
   * Which of the run's profiles the peer comparison runs on: the unshaped one (where the client, not a capped
   * link, is the limit, so differences between clients show) or all.
   */
  peerProfiles: 'unshaped' | 'all';
  /** The many-objects suite: its file sets, iterations, and whether it runs on loopback too. */
  many: { sets: ManySet[]; iterations: number; profiles: 'realistic' | 'all' };
  endpoint?: EndpointPlan;
  seed: string;
  outDir: string;
}

const SWEEP_CHUNKS_FULL = [8, 16, 32, 64, 128].map((m) => m * MiB);
const SWEEP_CONCURRENCY_FULL = [2, 4, 8, 16, 32];

export interface PlanOverrides {
  size?: number;
  sweepSize?: number;
  iterations?: number;
  suites?: SuiteName[];
  profiles?: NetworkProfile[];
  chunkSize?: number;
  concurrency?: number;
  endpoint?: EndpointPlan;
  outDir?: string;
  seed?: string;
}

export function buildPlan(mode: Mode, overrides: PlanOverrides = {}, defaults: { chunkSize: number; concurrency: number }): Plan {
  const base = preset(mode, defaults);
  const plan: Plan = {
    ...base,
    size: overrides.size ?? base.size,
    iterations: overrides.iterations ?? base.iterations,
    suites: overrides.suites ?? base.suites,
    profiles: overrides.profiles ?? base.profiles,
    chunkSize: overrides.chunkSize ?? base.chunkSize,
    concurrency: overrides.concurrency ?? base.concurrency,
    seed: overrides.seed ?? base.seed,
    outDir: overrides.outDir ?? base.outDir,
  };
  if (overrides.endpoint) plan.endpoint = overrides.endpoint;
  if (overrides.iterations !== undefined) {
    plan.shapedSingle = { ...plan.shapedSingle, iterations: Math.min(plan.shapedSingle.iterations, overrides.iterations) };
  }
  if (overrides.size !== undefined) plan.shapedSingle = { ...plan.shapedSingle, size: Math.min(plan.shapedSingle.size, overrides.size) };
  if (overrides.sweepSize !== undefined) plan.sweep = { ...plan.sweep, size: overrides.sweepSize };
  if (plan.chunkSize < 5 * MiB) {
    throw new InvalidArgumentError(`--chunk-size must be at least 5MiB (the XML multipart minimum part size); got ${plan.chunkSize}`);
  }
  plan.description = describe(plan);
  return plan;
}

function preset(mode: Mode, defaults: { chunkSize: number; concurrency: number }): Plan {
  const common = {
    mode,
    description: '',
    suites: [...SUITES],
    chunkSize: defaults.chunkSize,
    concurrency: defaults.concurrency,
    seed: 'gcs-transfer-bench-v1',
    outDir: defaultOutDir(),
  };
  switch (mode) {
    case 'quick':
      return {
        ...common,
        size: 24 * MiB,
        iterations: 1,
        warmup: false,
        profiles: [PROFILES.loopback, PROFILES.realistic],
        chunkSize: 8 * MiB,
        concurrency: 4,
        shapedSingle: { size: 8 * MiB, iterations: 1 },
        sweep: { size: 24 * MiB, chunkSizes: [5 * MiB, 8 * MiB], concurrencies: [2, 3], iterations: 1 },
        crc32c: { size: 8 * MiB, sliceSize: 2 * MiB, workers: 2 },
        peerProfiles: 'unshaped',
        // Not part of the quick run (the test suite's harness check is already near its time budget): run
        // `--quick --suite many` for a smoke test of this suite alone.
        suites: SUITES.filter((suite) => suite !== 'many'),
        many: { sets: [{ name: 'small', files: 12, size: 16 * KiB }, { name: 'mixed', files: 6, size: 256 * KiB }], iterations: 1, profiles: 'all' },
      };
    case 'full':
      return {
        ...common,
        size: 1024 * MiB,
        iterations: 3,
        warmup: true,
        profiles: [PROFILES.loopback, PROFILES.realistic],
        shapedSingle: { size: 256 * MiB, iterations: 1 },
        sweep: { size: 512 * MiB, chunkSizes: SWEEP_CHUNKS_FULL, concurrencies: SWEEP_CONCURRENCY_FULL, iterations: 1 },
        crc32c: { size: 512 * MiB, sliceSize: 16 * MiB, workers: 2 },
        peerProfiles: 'all',
        many: { sets: [{ name: 'small', files: 2000, size: 16 * KiB }, { name: 'mixed', files: 300, size: 64 * MiB }], iterations: 3, profiles: 'all' },
      };
    case 'default':
      return {
        ...common,
        size: 256 * MiB,
        iterations: 3,
        warmup: false,
        profiles: [PROFILES.loopback, PROFILES.realistic],
        shapedSingle: { size: 64 * MiB, iterations: 1 },
        sweep: {
          size: 256 * MiB,
          chunkSizes: [8, 16, 32].map((m) => m * MiB),
          concurrencies: [8, 16, 32],
          iterations: 1,
        },
        crc32c: { size: 64 * MiB, sliceSize: 16 * MiB, workers: 2 },
        peerProfiles: 'unshaped',
        // Small sets on the realistic profile only, to stay within the default run's time budget.
        many: { sets: [{ name: 'small', files: 300, size: 16 * KiB }, { name: 'mixed', files: 40, size: 16 * MiB }], iterations: 1, profiles: 'realistic' },
      };
  }
}

function describe(plan: Plan): string {
  const name = { default: 'default run', full: 'full run', quick: 'quick run (smoke test; numbers not meaningful)' }[plan.mode];
  const more = plan.mode === 'default' ? ' — `npm run bench -- --full` for 1 GiB objects and the whole sweep' : '';
  return `${name}: ${formatSize(plan.size)} objects, suites ${plan.suites.join(', ')}${more}`;
}

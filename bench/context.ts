/**
 * State shared by the suites of one run: the plan, the payload files, the target being measured, the rows
 * collected so far, and `measure()`, which runs a case in a fresh child process and turns what it reports into
 * a row.
 */
import { join } from 'node:path';
import { DataCorruption } from '../src/errors.js';
import { createTransport } from '../src/transport/create-transport.js';
import type { Transport } from '../src/transport/transport.js';
import type { CaseMeasurement } from './case-protocol.js';
import { runInChild } from './case-process.js';
import type { CaseSpec, TargetSpec } from './cases/case.js';
import type { ChildRuntime } from './child-module.js';
import { writeSeededFile } from './data.js';
import { serverLoad, type EmulatorProcess, type EmulatorUsage } from './emulator-process.js';
import { median } from './measure.js';
import type { Plan } from './plan.js';
import type { NetworkProfile, ProfileName } from './profiles.js';
import type { ProgressReporter } from './report.js';
import type { CaseRow, SweepCell } from './results.js';
import { assertObject, fetchObjectInfo } from './verify.js';
import { GiB, mibPerSec, MiB, shortSize } from './units.js';

/** A seeded payload on disk. */
export interface Payload {
  file: string;
  size: number;
  crc32c: number;
}

/** One place the suites measure against: an emulator shaped to a profile, or a user-given endpoint. */
export interface TargetEnv {
  name: ProfileName | 'endpoint';
  profile?: NetworkProfile;
  capMiBps?: number;
  target: TargetSpec;
  emulator?: EmulatorProcess;
}

/** The descriptive part of a row; `measure()` adds the numbers. */
export type RowInfo = Pick<CaseRow, 'suite' | 'method' | 'label'> & Partial<Pick<CaseRow, 'chunkSize' | 'concurrency' | 'note'>>;

export class BenchContext {
  readonly plan: Plan;
  readonly workDir: string;
  readonly progress: ProgressReporter;
  readonly rows: CaseRow[] = [];
  readonly sweep: SweepCell[] = [];
  readonly skipped: string[] = [];
  readonly failures: string[] = [];
  readonly #payloads = new Map<number, Promise<Payload>>();
  readonly #seeded = new Set<string>();

  /** How case processes run (see `child-module.ts`). */
  readonly runtime: ChildRuntime;

  constructor(plan: Plan, workDir: string, progress: ProgressReporter, runtime: ChildRuntime) {
    this.plan = plan;
    this.workDir = workDir;
    this.progress = progress;
    this.runtime = runtime;
  }

  /** The seeded payload of `size` bytes, generated on first use. */
  payload(size: number): Promise<Payload> {
    let payload = this.#payloads.get(size);
    if (!payload) {
      const file = join(this.workDir, `payload-${shortSize(size)}.bin`);
      this.progress.line(`generating ${shortSize(size)} of seeded data`);
      payload = writeSeededFile(file, size, this.plan.seed).then((crc32c) => ({ file, size, crc32c }));
      this.#payloads.set(size, payload);
    }
    return payload;
  }

  /** Name of the object holding the payload of `size` bytes. */
  objectName(size: number): string {
    return `bench/payload-${shortSize(size)}`;
  }

  /**
   * Makes sure `env` holds the payload object of `size` bytes: stored directly inside an emulator; uploaded
   * with our engine to a real endpoint (skipped when an identical object is already there, so a rerun against
   * GCS does not pay for it again).
   */
  async ensureObject(env: TargetEnv, size: number): Promise<Payload> {
    const payload = await this.payload(size);
    const name = this.objectName(size);
    const key = `${env.name}|${name}`;
    if (this.#seeded.has(key)) return payload;
    const transport = this.transport(env);
    try {
      const info = await fetchObjectInfo(transport, env.target, name);
      if (!info || info.size !== size || info.crc32c !== payload.crc32c) {
        this.progress.line(`storing ${shortSize(size)} payload as ${name}`);
        if (env.emulator) {
          await env.emulator.putObject(env.target.bucket, name, payload.file);
        } else {
          const { TransferManager } = await import('../src/index.js');
          const tm = new TransferManager({ endpoint: env.target.endpoint, auth: env.target.auth });
          try {
            await tm.uploadFile(payload.file, { bucket: env.target.bucket, name });
          } finally {
            await tm.close();
          }
        }
        await assertObject(transport, env.target, name, size, payload.crc32c);
      }
    } finally {
      await transport.close();
    }
    this.#seeded.add(key);
    return payload;
  }

  /** A transport for the harness's own requests (seeding checks, verification), closed by the caller. */
  transport(env: TargetEnv): Transport {
    return createTransport({ endpoint: env.target.endpoint, auth: env.target.auth });
  }

  /** Object size and iterations for a case: single streams on a shaped profile get less (see `Plan.shapedSingle`). */
  workloadFor(env: TargetEnv, singleStream: boolean): { size: number; iterations: number } {
    return singleStream && env.capMiBps !== undefined ? this.plan.shapedSingle : { size: this.plan.size, iterations: this.plan.iterations };
  }

  /**
   * Runs one case in a fresh child process and records its row. A failing case is reported (and makes the run
   * exit non-zero) but does not stop the other cases. Upload cases are verified here, after the child exits,
   * by reading the object's size and CRC32C back.
   */
  async measure(env: TargetEnv | undefined, spec: CaseSpec, info: RowInfo, iterations: number): Promise<CaseRow | undefined> {
    const where = env ? env.name : 'cpu';
    const title = `${info.suite} · ${where} · ${info.label}`;
    const warm = this.plan.warmup || needsWarmup(spec);
    this.progress.start(`${title}: ${iterations} iteration(s)${warm ? ' + warm-up' : ''}`);
    const before = await env?.emulator?.usage();
    const stopProgress = this.#watchProgress(env, title, spec, iterations + (warm ? 1 : 0), before);
    let measurement: CaseMeasurement;
    let maxRssMiB: number;
    try {
      const run = await runInChild(
        { cases: [spec], iterations, warmup: warm ? 'each' : 'none' },
        (message) => {
          if (message.type === 'iteration') {
            const rate = mibPerSec(caseBytes(spec), message.ms);
            this.progress.update(`${title}: iteration ${message.iteration + 1}/${iterations} ${rate.toFixed(0)} MiB/s`);
          }
        },
        { runtime: this.runtime },
      );
      measurement = run.measurements[0] as CaseMeasurement;
      maxRssMiB = run.maxRssMiB;
      if (spec.kind === 'upload' && env) {
        const transport = this.transport(env);
        try {
          await assertObject(transport, env.target, spec.name, spec.size, spec.expectedCrc32c);
        } finally {
          await transport.close();
        }
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.failures.push(`${title}: ${message}`);
      this.progress.line(`${title}: FAILED — ${message}`);
      if (error instanceof DataCorruption) this.progress.line('  (the harness refuses to report speed for wrong bytes)');
      return undefined;
    } finally {
      stopProgress();
    }
    const after = await env?.emulator?.usage();
    const row = this.#row(env, info, measurement, maxRssMiB, before, after, warm);
    this.rows.push(row);
    this.progress.line(`${title}: ${row.mibps.median.toFixed(1)} MiB/s (median of ${row.iterations})`);
    return row;
  }

  /**
   * Measures cases one after the other, then sets each row's `vsBase` to its ratio to the row of `baseMethod`
   * (when that one succeeded).
   */
  async measureAll(env: TargetEnv | undefined, cases: readonly { spec: CaseSpec; info: RowInfo; iterations: number }[], baseMethod: string): Promise<CaseRow[]> {
    const rows: CaseRow[] = [];
    for (const { spec, info, iterations } of cases) {
      const row = await this.measure(env, spec, info, iterations);
      if (row) rows.push(row);
    }
    relateTo(rows, baseMethod);
    return rows;
  }

  /** Runs several cases in one child (the sweep); rows are not recorded, measurements are returned. */
  async measureMany(env: TargetEnv, specs: CaseSpec[], iterations: number, title: string): Promise<CaseMeasurement[] | undefined> {
    this.progress.start(`${title}: ${specs.length} cells × ${iterations} iteration(s)`);
    let done = 0;
    try {
      const run = await runInChild(
        { cases: specs, iterations, warmup: 'first' },
        (message) => {
          if (message.type !== 'iteration') return;
          done++;
          const spec = specs[message.caseIndex];
          const rate = spec ? mibPerSec(caseBytes(spec), message.ms).toFixed(0) : '?';
          this.progress.update(`${title}: ${done}/${specs.length * iterations} ${rate} MiB/s`);
        },
        { runtime: this.runtime },
      );
      this.progress.line(`${title}: ${specs.length} cells done`);
      return run.measurements;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.failures.push(`${title}: ${message}`);
      this.progress.line(`${title}: FAILED — ${message}`);
      return undefined;
    }
  }

  #row(
    env: TargetEnv | undefined,
    info: RowInfo,
    m: CaseMeasurement,
    maxRssMiB: number,
    before: EmulatorUsage | undefined,
    after: EmulatorUsage | undefined,
    warm: boolean,
  ): CaseRow {
    const rates = m.samplesMs.map((ms) => mibPerSec(m.bytes, ms));
    const row: CaseRow = {
      ...info,
      profile: env ? env.name : 'cpu',
      bytes: m.bytes,
      iterations: m.samplesMs.length,
      mibps: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
      rme: m.rme,
      rssSource: 'process',
    };
    // Another program's cost that could not be read is left blank rather than shown as the runner's own.
    if (!m.costUnknown) {
      row.cpuSecPerGiB = median(m.cpuSec.map((cpu) => cpu / (m.bytes / GiB)));
      if (m.mainBusySec.length > 0) row.mainBusySecPerGiB = median(m.mainBusySec.map((busy) => busy / (m.bytes / GiB)));
      row.peakRssMiB = m.externalMaxRssMiB ?? maxRssMiB;
    }
    if (env?.capMiBps !== undefined) row.vsCap = row.mibps.median / env.capMiBps;
    if (before && after) {
      const moved = m.bytes * (m.samplesMs.length + (warm ? 1 : 0));
      const load = serverLoad(before, after, moved);
      row.emulatorCpuSecPerGiB = load.cpuSecPerGiB;
      if (load.loopBusy !== undefined) row.emulatorLoopBusy = load.loopBusy;
      if (load.serverBound) row.note = notes(row.note, 'server-bound');
    }
    return row;
  }

  /** On a terminal, polls the emulator's byte counters so long iterations show how far they are. */
  #watchProgress(env: TargetEnv | undefined, title: string, spec: CaseSpec, iterations: number, before: EmulatorUsage | undefined): () => void {
    const emulator = env?.emulator;
    if (!emulator || !before || !this.progress.interactive) return () => undefined;
    const total = caseBytes(spec) * iterations;
    const counter = spec.kind === 'upload' ? 'bytesIn' : 'bytesOut';
    const start = before[counter];
    const timer = setInterval(() => {
      emulator.usage().then(
        (usage) => {
          const done = usage[counter] - start;
          this.progress.update(`${title}: ${(done / MiB).toFixed(0)}/${(total / MiB).toFixed(0)} MiB`);
        },
        () => undefined,
      );
    }, 1000);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** Bytes one iteration of `spec` moves. */
export function caseBytes(spec: CaseSpec): number {
  return spec.size;
}

/** Sets each row's `vsBase` to its median throughput over that of the row of `baseMethod`. */
export function relateTo(rows: readonly CaseRow[], baseMethod: string): void {
  const base = rows.find((r) => r.method === baseMethod);
  if (!base) return;
  for (const row of rows) row.vsBase = row.mibps.median / base.mibps.median;
}

/**
 * Whether a case always gets an unmeasured warm-up: the engine's (its first iteration would also start the
 * worker threads, tens of milliseconds once per process) and the bare clients it is compared with per GiB (so
 * both sides of a ratio are measured warm).
 */
function needsWarmup(spec: CaseSpec): boolean {
  return (spec.kind === 'download' || spec.kind === 'upload') && (spec.method.startsWith('tm-') || spec.method.startsWith('bare-'));
}

/**
 * Sets `cpuVsBare` on each engine row that has its bare-client baseline among `rows`: `pairs` maps an engine
 * method to the bare method doing the same work.
 */
export function relateCpuToBare(rows: readonly CaseRow[], pairs: Readonly<Record<string, string>>): void {
  for (const row of rows) {
    const bareMethod = pairs[row.method];
    const bare = bareMethod === undefined ? undefined : rows.find((r) => r.method === bareMethod);
    if (bare?.cpuSecPerGiB !== undefined && row.cpuSecPerGiB !== undefined) row.cpuVsBare = row.cpuSecPerGiB / bare.cpuSecPerGiB;
  }
}

/** Joins the notes that apply into a row's `note` ('' when none do). */
export function notes(...parts: (string | undefined)[]): string {
  return parts.filter((part): part is string => Boolean(part)).join(', ');
}

/**
 * The shape of a bench run's results (what the console report, the JSON file and the chart are made from) and
 * the JSON writer. The JSON is the durable record: compare two runs by diffing their files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProfileName } from './profiles.js';

export type SuiteName = 'download' | 'upload' | 'crc32c' | 'sweep' | 'peers' | 'many';
export const SUITES: readonly SuiteName[] = ['download', 'upload', 'crc32c', 'sweep', 'peers', 'many'];

/** Where a peak-RSS figure came from (see `measure.ts`). */
export type RssSource = 'process' | 'sampled';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One measured case, as reported. */
export interface CaseRow {
  suite: SuiteName;
  /** The profile it ran on; `cpu` for the CRC32C suite, `endpoint` for a user-given endpoint. */
  profile: ProfileName | 'cpu' | 'endpoint';
  /** Machine id: `single`, `tm-file`, `peer-crc32c`, `native/pool`... */
  method: string;
  /** What a person reads. */
  label: string;
  bytes: number;
  iterations: number;
  chunkSize?: number;
  concurrency?: number;
  mibps: Spread;
  /** tinybench's relative margin of error of the mean latency, percent. */
  rme: number;
  /** Client CPU seconds per GiB moved (median over iterations); undefined when it could not be measured. */
  cpuSecPerGiB?: number;
  /** Seconds per GiB the client's main thread was busy (median over iterations). */
  mainBusySecPerGiB?: number;
  /**
   * `cpuSecPerGiB` divided by that of the bare undici client doing the same work in the same run
   * (`bare-drop` for streams, `bare-file` for files, `bare-put` for uploads).
   */
  cpuVsBare?: number;
  peakRssMiB?: number;
  rssSource: RssSource;
  /** Emulator CPU seconds per GiB over the whole case (warm-up and verification included). */
  emulatorCpuSecPerGiB?: number;
  /**
   * Emulator main-thread (event loop) CPU seconds over the case's wall time (warm-up and verification included).
   * Near 1, the server, not the client, set the pace: the row is flagged `server-bound`.
   */
  emulatorLoopBusy?: number;
  /**
   * Median throughput divided by the baseline row's median: the single stream (download, upload), the native
   * main-thread hash (CRC32C) or our engine (peers).
   */
  vsBase?: number;
  /** Median throughput as a fraction of the profile's aggregate cap. */
  vsCap?: number;
  /** Caveat shown next to the row. */
  note?: string;
  /** Many-object rows: objects per iteration, objects per second, client CPU milliseconds per object. */
  objects?: number;
  objectsPerSec?: number;
  cpuMsPerObject?: number;
}

/** One cell of the tuning sweep. */
export interface SweepCell {
  direction: 'download' | 'upload';
  profile: ProfileName | 'endpoint';
  chunkSize: number;
  concurrency: number;
  mibps: number;
  cpuSecPerGiB: number;
  sampledPeakRssMiB: number;
}

export interface TargetCheck {
  /** What the target asks, in words. */
  target: string;
  /** `true` met, `false` missed, `null` could not be measured in this run (and why, in `detail`). */
  pass: boolean | null;
  /** The measured ratio or fraction. */
  measured?: number;
  threshold: number;
  detail: string;
}

export interface Recommendation {
  direction: 'download' | 'upload';
  chunkSize: number;
  concurrency: number;
  reason: string;
}

export interface MachineInfo {
  cpus: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  curl?: string;
}

export interface BenchRun {
  startedAt: string;
  durationSec: number;
  mode: string;
  /** How the measured code ran (transpiled JavaScript, or under tsx). */
  runtime: string;
  machine: MachineInfo;
  settings: {
    size: number;
    /** Object size of the sweep cells. */
    sweepSize?: number;
    iterations: number;
    chunkSize: number;
    concurrency: number;
    profiles: { name: string; summary: string; rationale: string; capMiBps?: number }[];
    endpoint?: string;
  };
  rows: CaseRow[];
  sweep: SweepCell[];
  targets: TargetCheck[];
  recommendations: Recommendation[];
  /** Suites or cases that were not run, with the reason. */
  skipped: string[];
  /** Cases that failed, with the error. */
  failures: string[];
}

/** Writes `bench-<timestamp>.json` and `latest.json` into `dir`; returns the timestamped path. */
export async function writeResultsJson(run: BenchRun, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = run.startedAt.replace(/[:.]/g, '-');
  const path = join(dir, `bench-${stamp}.json`);
  const text = `${JSON.stringify(run, null, 2)}\n`;
  await writeFile(path, text);
  await writeFile(join(dir, 'latest.json'), text);
  return path;
}

/**
 * One bench run: generate the payload, then for each target (an emulator per network profile, or the
 * user's endpoint) run the selected suites, then check the targets and derive recommended defaults.
 *
 * One emulator runs at a time, each on the same store directory, so objects stored once are served by every
 * profile and no idle server competes for the two cores.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measuredRuntime, type ChildRuntime } from './child-module.js';
import { BenchContext, type TargetEnv } from './context.js';
import { EmulatorProcess } from './emulator-process.js';
import { machineInfo } from './machine.js';
import type { Plan } from './plan.js';
import { recommendDefaults } from './recommend.js';
import type { ProgressReporter } from './report.js';
import type { BenchRun } from './results.js';
import { runCrc32cSuite } from './suites/crc32c.js';
import { runDownloadSuite } from './suites/download.js';
import { runManySuite } from './suites/many.js';
import { runPeersSuite } from './suites/peers.js';
import { runSweepSuite } from './suites/sweep.js';
import { runUploadSuite } from './suites/upload.js';
import { evaluateTargets } from './targets.js';

/** The bucket used on the emulator (buckets spring into existence there). */
export const EMULATOR_BUCKET = 'bench';

export async function runBench(plan: Plan, progress: ProgressReporter): Promise<BenchRun> {
  const startedAt = new Date();
  const started = performance.now();
  const machine = await machineInfo();
  const workDir = await mkdtemp(join(tmpdir(), 'gcs-transfer-bench-'));
  // Ctrl-C must not leave gigabytes of payload in the temp dir. Children see the signal (same process group)
  // or lose their IPC channel, and exit on their own.
  const onSignal = (signal: NodeJS.Signals): void => {
    rmSync(workDir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  progress.line(plan.description);
  const runtime = await measuredRuntime();
  progress.line(`measured code runs as ${runtime.description}`);
  const ctx = new BenchContext(plan, workDir, progress, runtime);
  try {
    if (plan.suites.includes('crc32c')) await runCrc32cSuite(ctx);
    const transferSuites = plan.suites.filter((s) => s !== 'crc32c');
    // The sweep runs where a network, not CPU contention, sets the pace: the shaped profiles, or whatever the
    // run has when it has none (loopback alone, a real endpoint).
    const anyShaped = !plan.endpoint && plan.profiles.some((p) => p.capMiBps !== undefined);
    if (transferSuites.length > 0) {
      for (const open of targets(plan, workDir, runtime)) {
        const env = await open();
        try {
          if (plan.suites.includes('download')) await runDownloadSuite(ctx, env, { curl: machine.curl !== undefined });
          if (plan.suites.includes('upload')) await runUploadSuite(ctx, env);
          const shaped = env.capMiBps !== undefined;
          if (plan.suites.includes('peers') && (plan.peerProfiles === 'all' || !shaped)) await runPeersSuite(ctx, env);
          if (plan.suites.includes('sweep') && (shaped || !anyShaped)) await runSweepSuite(ctx, env);
          if (plan.suites.includes('many') && (plan.many.profiles === 'all' || shaped || !anyShaped)) await runManySuite(ctx, env);
        } finally {
          await env.emulator?.close();
        }
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(workDir, { recursive: true, force: true });
  }
  const caps = Object.fromEntries(plan.profiles.map((p) => [p.name, p.capMiBps]));
  const run: BenchRun = {
    startedAt: startedAt.toISOString(),
    durationSec: (performance.now() - started) / 1000,
    mode: plan.description,
    runtime: runtime.description,
    machine,
    settings: {
      size: plan.size,
      ...(plan.suites.includes('sweep') ? { sweepSize: plan.sweep.size } : {}),
      iterations: plan.iterations,
      chunkSize: plan.chunkSize,
      concurrency: plan.concurrency,
      profiles: plan.endpoint
        ? [{ name: 'endpoint', summary: `${plan.endpoint.url} (real network, no shaping)`, rationale: 'user-given endpoint' }]
        : plan.profiles.map(({ name, summary, rationale, capMiBps }) => ({ name, summary, rationale, ...(capMiBps ? { capMiBps } : {}) })),
      ...(plan.endpoint ? { endpoint: plan.endpoint.url } : {}),
    },
    rows: ctx.rows,
    sweep: ctx.sweep,
    targets: plan.endpoint ? [] : evaluateTargets(ctx.rows, caps),
    recommendations: recommendDefaults(ctx.sweep),
    skipped: ctx.skipped,
    failures: ctx.failures,
  };
  return run;
}

/** Openers for each target of the run, called one after the other. */
function targets(plan: Plan, workDir: string, runtime: ChildRuntime): (() => Promise<TargetEnv>)[] {
  if (plan.endpoint) {
    const { url, bucket, auth } = plan.endpoint;
    return [async () => ({ name: 'endpoint', target: { endpoint: url, bucket, auth } })];
  }
  const store = join(workDir, 'emulator-store');
  return plan.profiles.map((profile) => async () => {
    const emulator = await EmulatorProcess.start(profile, { dir: store, runtime });
    return {
      name: profile.name,
      profile,
      ...(profile.capMiBps ? { capMiBps: profile.capMiBps } : {}),
      emulator,
      target: { endpoint: emulator.url, bucket: EMULATOR_BUCKET, auth: 'none' },
    };
  });
}

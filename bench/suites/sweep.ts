/**
 * Tuning sweep: `TransferManager` over chunk size × concurrency, per direction, on one target. All cells of a
 * direction run in one child process (a fresh process per cell would cost more than many cells take), so the
 * RSS per cell is sampled, not the kernel's peak.
 */
import type { CaseSpec } from '../cases/case.js';
import type { BenchContext, TargetEnv } from '../context.js';
import { median } from '../measure.js';
import { GiB, mibPerSec } from '../units.js';
import { downloadSpec } from './download.js';
import { uploadSpec } from './upload.js';

export async function runSweepSuite(ctx: BenchContext, env: TargetEnv): Promise<void> {
  const { size, chunkSizes, concurrencies, iterations } = ctx.plan.sweep;
  for (const direction of ['download', 'upload'] as const) {
    const cells: { chunkSize: number; concurrency: number }[] = [];
    for (const chunkSize of chunkSizes) {
      for (const concurrency of concurrencies) {
        // A grid point with fewer chunks than connections measures nothing new: skip it.
        if (Math.ceil(size / chunkSize) < concurrency && concurrency !== concurrencies[0]) continue;
        cells.push({ chunkSize, concurrency });
      }
    }
    const specs: CaseSpec[] = [];
    for (const cell of cells) {
      const spec = direction === 'download' ? await downloadSpec(ctx, env, 'tm-file', size) : await uploadSpec(ctx, env, 'tm-file', size);
      specs.push({ ...spec, ...cell, ...(direction === 'upload' ? { name: `bench/sweep-upload-${size}` } : {}) });
    }
    const measurements = await ctx.measureMany(env, specs, iterations, `sweep · ${env.name} · ${direction}`);
    if (!measurements) continue;
    measurements.forEach((m, i) => {
      const cell = cells[i];
      if (!cell) return;
      ctx.sweep.push({
        direction,
        profile: env.name,
        ...cell,
        mibps: median(m.samplesMs.map((ms) => mibPerSec(m.bytes, ms))),
        cpuSecPerGiB: median(m.cpuSec.map((cpu) => cpu / (m.bytes / GiB))),
        sampledPeakRssMiB: m.sampledPeakRssMiB,
      });
    });
  }
}

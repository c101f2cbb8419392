/**
 * Peer comparison: our `TransferManager` against @google-cloud/storage 7.x's, same emulator, same object,
 * same chunk size and concurrency, each side in its own process (so each peak RSS is its own). Ratios are
 * peer ÷ ours: 0.4× means the peer reached 40 % of our throughput.
 *
 * Our rows are taken from the download/upload suites when those ran on this target with the same settings;
 * otherwise they are measured here.
 */
import type { CaseSpec } from '../cases/case.js';
import { relateTo, type BenchContext, type TargetEnv } from '../context.js';
import type { CaseRow } from '../results.js';
import { downloadLabel, downloadSpec } from './download.js';
import { uploadLabel, uploadSpec } from './upload.js';

type Side = { direction: 'download'; method: 'tm-file' | 'peer-crc32c' | 'peer-novalidation' } | { direction: 'upload'; method: 'tm-file' | 'peer-crc32c' };

const DOWNLOADS: Side[] = [
  { direction: 'download', method: 'tm-file' },
  { direction: 'download', method: 'peer-crc32c' },
  { direction: 'download', method: 'peer-novalidation' },
];
const UPLOADS: Side[] = [
  { direction: 'upload', method: 'tm-file' },
  { direction: 'upload', method: 'peer-crc32c' },
];

export async function runPeersSuite(ctx: BenchContext, env: TargetEnv): Promise<void> {
  for (const sides of [DOWNLOADS, UPLOADS]) {
    const rows: CaseRow[] = [];
    for (const side of sides) {
      const row = (side.method === 'tm-file' ? reuse(ctx, env, side) : undefined) ?? (await measureSide(ctx, env, side));
      if (row) rows.push(row);
    }
    relateTo(rows, `${sides[0]?.direction}/tm-file`);
  }
}

async function measureSide(ctx: BenchContext, env: TargetEnv, side: Side): Promise<CaseRow | undefined> {
  const spec: CaseSpec = side.direction === 'download' ? await downloadSpec(ctx, env, side.method) : await uploadSpec(ctx, env, side.method);
  const label = side.direction === 'download' ? downloadLabel(side.method) : uploadLabel(side.method);
  const info = {
    suite: 'peers' as const,
    method: `${side.direction}/${side.method}`,
    label: `${side.direction}: ${label}`,
    chunkSize: ctx.plan.chunkSize,
    concurrency: ctx.plan.concurrency,
  };
  return ctx.measure(env, spec, info, ctx.plan.iterations);
}

/** Our engine's row from the download/upload suite with the same settings, copied into the peers table. */
function reuse(ctx: BenchContext, env: TargetEnv, side: Side): CaseRow | undefined {
  const row = ctx.rows.find(
    (r) =>
      r.suite === side.direction &&
      r.profile === env.name &&
      r.method === side.method &&
      r.chunkSize === ctx.plan.chunkSize &&
      r.concurrency === ctx.plan.concurrency,
  );
  if (!row) return undefined;
  const copy: CaseRow = { ...row, suite: 'peers', method: `${side.direction}/${side.method}`, label: `${side.direction}: ${row.label}` };
  delete copy.vsBase;
  ctx.rows.push(copy);
  return copy;
}

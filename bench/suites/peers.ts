/**
 * Peer comparison: our `TransferManager` against @google-cloud/storage 7.x's, same emulator, same object,
 * same chunk size and concurrency, each side in its own process (so each peak RSS is its own). Ratios are
 * peer ÷ ours: 0.4× means the peer reached 40 % of our throughput.
 *
 * Our rows are taken from the download/upload suites when those ran on this target with the same settings;
 * otherwise they are measured here.
 */
import type { DownloadMethod, UploadMethod } from '../cases/case.js';
import type { BenchContext, TargetEnv } from '../context.js';
import type { CaseRow } from '../results.js';
import { downloadLabel, downloadSpec } from './download.js';
import { uploadLabel, uploadSpec } from './upload.js';

export async function runPeersSuite(ctx: BenchContext, env: TargetEnv): Promise<void> {
  const iterations = ctx.plan.iterations;
  const settings = { chunkSize: ctx.plan.chunkSize, concurrency: ctx.plan.concurrency };

  const downloads: CaseRow[] = [];
  for (const method of ['tm-file', 'peer-crc32c', 'peer-novalidation'] as DownloadMethod[]) {
    const reused = method === 'tm-file' ? reuse(ctx, env, 'download', method) : undefined;
    const row = reused ?? (await ctx.measure(env, await downloadSpec(ctx, env, method), { suite: 'peers', method: `download/${method}`, label: `download: ${downloadLabel(method)}`, ...settings }, iterations));
    if (row) downloads.push(row);
  }
  const uploads: CaseRow[] = [];
  for (const method of ['tm-file', 'peer-crc32c'] as UploadMethod[]) {
    const reused = method === 'tm-file' ? reuse(ctx, env, 'upload', method) : undefined;
    const row = reused ?? (await ctx.measure(env, await uploadSpec(ctx, env, method), { suite: 'peers', method: `upload/${method}`, label: `upload: ${uploadLabel(method)}`, ...settings }, iterations));
    if (row) uploads.push(row);
  }
  relateTo(downloads, 'download/tm-file');
  relateTo(uploads, 'upload/tm-file');
}

/** Our engine's row from the download/upload suite, copied into the peers table. */
function reuse(ctx: BenchContext, env: TargetEnv, suite: 'download' | 'upload', method: string): CaseRow | undefined {
  const row = ctx.rows.find(
    (r) => r.suite === suite && r.profile === env.name && r.method === method && r.chunkSize === ctx.plan.chunkSize && r.concurrency === ctx.plan.concurrency,
  );
  if (!row) return undefined;
  const copy: CaseRow = { ...row, suite: 'peers', method: `${suite}/${method}`, label: `${suite}: ${row.label}` };
  delete copy.vsBase;
  ctx.rows.push(copy);
  return copy;
}

function relateTo(rows: CaseRow[], baseMethod: string): void {
  const base = rows.find((r) => r.method === baseMethod);
  if (!base) return;
  for (const row of rows) row.vsBase = row.mibps.median / base.mibps.median;
}

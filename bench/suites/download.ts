/**
 * Download suite: one `RawDownload` GET (the single stream) against `TransferManager` to a file and to a
 * stream, plus `curl -o` as the loopback yardstick. Ratios are to the single stream and to the profile's cap.
 */
import type { DownloadCaseSpec, DownloadMethod } from '../cases/case.js';
import { notes, relateCpuToBare, type BenchContext, type RowInfo, type TargetEnv } from '../context.js';
import { shortSize } from '../units.js';

const LABELS: Record<DownloadMethod, string> = {
  single: 'single stream (RawDownload → file)',
  'tm-file': 'TransferManager.downloadFile',
  'tm-stream': 'TransferManager.downloadToStream',
  curl: 'curl -o (no validation)',
  'peer-crc32c': '@google-cloud/storage downloadFileInChunks, crc32c',
  'peer-novalidation': '@google-cloud/storage downloadFileInChunks, no validation',
  'bare-drop': 'bare undici, bodies dropped (no checks)',
  'bare-file': 'bare undici + 1 MiB positional writes (no checks)',
};

/** Each engine path and the bare client doing the same work, for the CPU ratio. */
export const DOWNLOAD_BARE_PAIRS: Readonly<Record<string, string>> = { 'tm-stream': 'bare-drop', 'tm-file': 'bare-file' };

export function downloadLabel(method: DownloadMethod): string {
  return LABELS[method];
}

/** The spec of a download case of the run's payload object with the run's engine settings. */
export async function downloadSpec(ctx: BenchContext, env: TargetEnv, method: DownloadMethod, size = ctx.plan.size): Promise<DownloadCaseSpec> {
  const payload = await ctx.ensureObject(env, size);
  return {
    kind: 'download',
    method,
    target: env.target,
    size,
    name: ctx.objectName(size),
    chunkSize: ctx.plan.chunkSize,
    concurrency: ctx.plan.concurrency,
    expectedCrc32c: payload.crc32c,
    workDir: ctx.workDir,
  };
}

export async function runDownloadSuite(ctx: BenchContext, env: TargetEnv, options: { curl: boolean }): Promise<void> {
  const methods: DownloadMethod[] = ['single', 'tm-file', 'tm-stream'];
  // Per-byte client cost shows where the link is not the limit: on a shaped link every client waits alike.
  if (env.capMiBps === undefined) methods.push('bare-file', 'bare-drop');
  // curl is one more single stream: only informative where the client, not a shaped link, is the limit.
  if (env.emulator && env.capMiBps === undefined) {
    if (options.curl) methods.push('curl');
    else ctx.skipped.push(`download · ${env.name} · curl comparison: curl is not installed`);
  }
  const cases = [];
  for (const method of methods) {
    // The bare clients move the whole object at the engine's settings, like the engine.
    const engine = method === 'tm-file' || method === 'tm-stream' || method === 'bare-file' || method === 'bare-drop';
    const { size, iterations } = ctx.workloadFor(env, !engine);
    const spec = await downloadSpec(ctx, env, method, size);
    const info: RowInfo = { suite: 'download', method, label: LABELS[method] };
    if (engine) Object.assign(info, { chunkSize: spec.chunkSize, concurrency: spec.concurrency });
    info.note = notes(method === 'curl' ? 'curl process' : undefined, size === ctx.plan.size ? undefined : `${shortSize(size)} object`);
    cases.push({ spec, info, iterations });
  }
  relateCpuToBare(await ctx.measureAll(env, cases, 'single'), DOWNLOAD_BARE_PAIRS);
}

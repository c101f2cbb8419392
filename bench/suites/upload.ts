/**
 * Upload suite: the single-stream uploads (`ResumableUpload` with one chunk, `SimpleUpload`) against
 * `TransferManager`'s parallel XML multipart upload from a file and from a stream. Ratios are to the resumable
 * single stream and to the profile's cap.
 */
import type { UploadCaseSpec, UploadMethod } from '../cases/case.js';
import { notes, relateCpuToBare, type BenchContext, type RowInfo, type TargetEnv } from '../context.js';
import { shortSize } from '../units.js';

const LABELS: Record<UploadMethod, string> = {
  resumable: 'single stream (ResumableUpload, 1 chunk)',
  simple: 'single stream (SimpleUpload)',
  'tm-file': 'TransferManager.uploadFile',
  'tm-stream': 'TransferManager.uploadStream',
  'peer-crc32c': '@google-cloud/storage uploadFileInChunks, crc32c',
  'bare-put': 'bare undici PUTs of file ranges (no checks)',
};

export function uploadLabel(method: UploadMethod): string {
  return LABELS[method];
}

/** The spec of an upload case of the payload, to an object named after the method (no case overwrites another's). */
export async function uploadSpec(ctx: BenchContext, env: TargetEnv, method: UploadMethod, size = ctx.plan.size): Promise<UploadCaseSpec> {
  const payload = await ctx.payload(size);
  return {
    kind: 'upload',
    method,
    target: env.target,
    size,
    name: `bench/upload-${method}-${payload.size}`,
    chunkSize: ctx.plan.chunkSize,
    concurrency: ctx.plan.concurrency,
    expectedCrc32c: payload.crc32c,
    workDir: ctx.workDir,
    sourceFile: payload.file,
    seed: ctx.plan.seed,
  };
}

export async function runUploadSuite(ctx: BenchContext, env: TargetEnv): Promise<void> {
  const methods: UploadMethod[] = ['resumable', 'simple', 'tm-file', 'tm-stream'];
  if (env.capMiBps === undefined) methods.push('bare-put');
  const cases = [];
  for (const method of methods) {
    const engine = method === 'tm-file' || method === 'tm-stream' || method === 'bare-put';
    const { size, iterations } = ctx.workloadFor(env, !engine);
    const spec = await uploadSpec(ctx, env, method, size);
    const info: RowInfo = { suite: 'upload', method, label: LABELS[method] };
    if (engine) Object.assign(info, { chunkSize: spec.chunkSize, concurrency: spec.concurrency });
    info.note = notes(engine ? undefined : 'object held in memory', size === ctx.plan.size ? undefined : `${shortSize(size)} object`);
    cases.push({ spec, info, iterations });
  }
  relateCpuToBare(await ctx.measureAll(env, cases, 'resumable'), { 'tm-file': 'bare-put' });
}

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Op } from '../../src/emulator/index.js';
import type { CompletedPart } from '../../src/errors.js';
import type { AuthProvider } from '../../src/transport/auth.js';
import type { UploadCheckpoint } from '../../src/transfer/options.js';
import { RetryStrategy } from '../../src/transport/retry.js';
import { MiB, harness, objectBytes, uploadIsOpen, writeSeededFile, type Harness } from './helpers.js';

let h: Harness;
/** One manager for the file: its worker threads start once. Tests override chunkSize/concurrency per call. */
let tm: ReturnType<Harness['manager']>;
const PART = 5 * MiB;
const SIZE = 4 * PART + 77;
let path: string;
let data: Buffer;

before(async () => {
  h = await harness();
  tm = h.manager({ chunkSize: PART, concurrency: 3 });
  path = join(h.dir, 'source.bin');
  data = await writeSeededFile(path, SIZE, 1000);
});
after(async () => {
  await h.close();
});
beforeEach(() => h.emulator.reset());

/** Uploads `path` with a fault queued on the `skip`-th request of `op`; returns the result and the checkpoints. */
async function uploadWith(op: Op, fault: string, skip = 0, options: Parameters<ReturnType<Harness['manager']>['uploadFile']>[2] = {}) {
  const name = `faulty/${op}/${fault.replace(/\W/g, '_')}/${skip}`;
  h.emulator.faults.add({ match: { op, bucket: 'upf' }, fault, skip });
  const events: UploadCheckpoint[] = [];
  const result = await tm.uploadFile(path, { bucket: 'upf', name }, { onCheckpoint: (e) => events.push(e), ...options });
  return { result, name, events };
}

function uploadIdOf(events: readonly UploadCheckpoint[]): string {
  const initiated = events.find((e) => e.type === 'initiated');
  assert.ok(initiated, 'the upload was initiated');
  return initiated.uploadId;
}

for (const [op, fault, skip] of [
  ['mpu-initiate', 'status:503', 0],
  ['mpu-upload-part', 'status:503', 1],
  ['mpu-upload-part', 'status:500', 0],
  ['mpu-upload-part', 'reset-request-after:100000', 2],
  ['mpu-upload-part', 'omit-header:etag', 1],
  ['mpu-upload-part', 'omit-header:x-goog-hash', 3],
  ['mpu-complete', 'status:503', 0],
  ['mpu-complete', 'omit-header:x-goog-hash', 0],
] as const) {
  test(`${fault} on ${op} #${skip} still yields the exact object`, async () => {
    const { result, name } = await uploadWith(op, fault, skip);
    assert.ok((await objectBytes(h.emulator, 'upf', name)).equals(data));
    assert.equal(result.validated, true);
    assert.equal(result.method, 'multipart');
  });
}

test('429 with Retry-After on a part is honoured and the upload completes', async () => {
  const started = performance.now();
  const { name } = await uploadWith('mpu-upload-part', 'status:429,retry-after=1', 0, {
    retry: new RetryStrategy({ initialDelayMs: 10, maxSleepMs: 2000, maxRetries: 2 }),
  });
  assert.ok(performance.now() - started >= 900);
  assert.ok((await objectBytes(h.emulator, 'upf', name)).equals(data));
});

test('a part stalled past the read timeout is retried', async () => {
  const { name } = await uploadWith('mpu-upload-part', 'stall-headers:3000', 1, { timeout: { readMs: 300 } });
  assert.ok((await objectBytes(h.emulator, 'upf', name)).equals(data));
});

test('no CRC32C from the complete answer nor from a HEAD: validated false, or UnvalidatedError on demand', async () => {
  h.emulator.faults.add({ match: { op: ['mpu-complete', 'xml-head'] }, fault: 'omit-header:x-goog-hash', times: 2 });
  const result = await tm.uploadFile(path, 'gs://upf/nohash');
  assert.equal(result.validated, false);
  assert.ok((await objectBytes(h.emulator, 'upf', 'nohash')).equals(data));
  h.emulator.faults.add({ match: { op: ['mpu-complete', 'xml-head'] }, fault: 'omit-header:x-goog-hash', times: 2 });
  await assert.rejects(tm.uploadFile(path, 'gs://upf/nohash2', { requireValidation: true }), { code: 'ERR_GCS_UNVALIDATED' });
});

test('a part that keeps failing cancels the upload and rejects with MultipartUploadError naming the cause', async () => {
  h.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'status:400', skip: 2, times: 100 });
  const events: UploadCheckpoint[] = [];
  await assert.rejects(tm.uploadFile(path, 'gs://upf/failing', { onCheckpoint: (e) => events.push(e) }), (error: Error & Record<string, unknown>) => {
    assert.equal(error.code, 'ERR_GCS_MPU_FAILED');
    assert.equal(error.cleanup, 'aborted');
    assert.equal((error.cause as { status?: number }).status, 400);
    assert.equal(error.uploadId, uploadIdOf(events));
    return true;
  });
  assert.equal(await uploadIsOpen(h.emulator, 'upf', 'failing', uploadIdOf(events)), false, 'no open upload');
  assert.equal((await fetch(`${h.emulator.url}/upf/failing`)).status, 404, 'no object');
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-complete'], 0, 'never finalized');
});

test('keepOnFailure leaves the upload open with its completed parts; resume finishes the exact object', async () => {
  h.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'status:400', skip: 3, times: 100 });
  let kept: { uploadId: string; completedParts: readonly CompletedPart[] } | undefined;
  // One part at a time, so exactly parts 1-3 are done when part 4 fails.
  await assert.rejects(tm.uploadFile(path, 'gs://upf/kept', { keepOnFailure: true, concurrency: 1 }), (error: Error & Record<string, unknown>) => {
    assert.equal(error.code, 'ERR_GCS_MPU_FAILED');
    assert.equal(error.cleanup, 'left-for-resume');
    kept = error as unknown as typeof kept;
    return true;
  });
  assert.ok(kept);
  assert.deepEqual(
    kept.completedParts.map((p) => p.partNumber),
    [1, 2, 3],
  );
  assert.equal(await uploadIsOpen(h.emulator, 'upf', 'kept', kept.uploadId), true);
  h.emulator.reset();
  const result = await tm.uploadFile(path, 'gs://upf/kept', { resumeFrom: { uploadId: kept.uploadId, parts: kept.completedParts } });
  assert.ok((await objectBytes(h.emulator, 'upf', 'kept')).equals(data));
  assert.equal(result.uploadId, kept.uploadId);
  assert.equal(result.validated, true);
  const { requests } = h.emulator.metrics.snapshot();
  assert.equal(requests['mpu-list-parts'], 1);
  assert.equal(requests['mpu-upload-part'], 5 - kept.completedParts.length, 'only the missing parts were sent');
  assert.equal(requests['mpu-initiate'], 0);
});

test('resume re-sends parts whose ETag differs or whose local bytes changed, keeping part numbers', async () => {
  h.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'status:400', skip: 4, times: 100 });
  let kept: { uploadId: string; completedParts: readonly CompletedPart[] } | undefined;
  await assert.rejects(tm.uploadFile(path, 'gs://upf/reconcile', { keepOnFailure: true, concurrency: 1 }), (error: Error) => {
    kept = error as unknown as typeof kept;
    return true;
  });
  assert.ok(kept);
  assert.deepEqual(
    kept.completedParts.map((p) => p.partNumber),
    [1, 2, 3, 4],
  );
  // Part 2's recorded ETag no longer matches the server's; part 3's bytes change on disk.
  const parts = kept.completedParts.map((p) => (p.partNumber === 2 ? { ...p, etag: '"not-the-etag"' } : p));
  const changed = Buffer.from(data);
  changed[2 * PART + 10] = (changed[2 * PART + 10] as number) ^ 0xff;
  const changedPath = join(h.dir, 'changed.bin');
  await writeFile(changedPath, changed);
  h.emulator.reset();
  await tm.uploadFile(changedPath, 'gs://upf/reconcile', { resumeFrom: { uploadId: kept.uploadId, parts } });
  assert.ok((await objectBytes(h.emulator, 'upf', 'reconcile')).equals(changed));
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-upload-part'], 3, 'parts 2, 3 and 5');
});

test('a 401 from a worker refreshes the token on the main thread and resubmits the part once', async () => {
  const calls: boolean[] = [];
  const auth: AuthProvider = {
    async getHeaders(_url, options) {
      calls.push(options?.forceRefresh === true);
      return { authorization: `Bearer token-${calls.length}` };
    },
  };
  const tm = h.manager({ chunkSize: PART, concurrency: 1, auth });
  h.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'status:401', skip: 1 });
  await tm.uploadFile(path, 'gs://upf/auth');
  assert.ok((await objectBytes(h.emulator, 'upf', 'auth')).equals(data));
  assert.equal(calls.filter(Boolean).length, 1, 'one forced refresh');
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-upload-part'], 6);
});

test('abort at initiate rejects with AbortError within a second, no part is sent', async () => {
  h.emulator.faults.add({ match: { op: 'mpu-initiate' }, fault: 'stall-headers:5000' });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const started = performance.now();
  await assert.rejects(tm.uploadFile(path, 'gs://upf/abort-initiate', { signal: controller.signal }), { name: 'AbortError' });
  assert.ok(performance.now() - started < 1100);
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-upload-part'], 0);
});

test('abort mid-transfer stops the parts within a second, cancels the upload, and creates no object', async () => {
  h.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'stall-headers:5000', skip: 1, times: 10 });
  const controller = new AbortController();
  const events: UploadCheckpoint[] = [];
  const pending = tm.uploadFile(path, 'gs://upf/abort-mid', { signal: controller.signal, onCheckpoint: (e) => events.push(e) });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const abortedAt = performance.now();
  controller.abort();
  await assert.rejects(pending, { name: 'AbortError', message: /cancelled/ });
  assert.ok(performance.now() - abortedAt < 1000, `took ${performance.now() - abortedAt} ms`);
  assert.equal(await uploadIsOpen(h.emulator, 'upf', 'abort-mid', uploadIdOf(events)), false);
  assert.equal((await fetch(`${h.emulator.url}/upf/abort-mid`)).status, 404);
});

test('abort during finalize leaves no open upload', async () => {
  h.emulator.faults.add({ match: { op: 'mpu-complete' }, fault: 'stall-headers:5000' });
  const controller = new AbortController();
  const events: UploadCheckpoint[] = [];
  const pending = tm.uploadFile(path, 'gs://upf/abort-final', {
    signal: controller.signal,
    onCheckpoint: (e) => {
      events.push(e);
      if (events.filter((x) => x.type === 'part').length === 5) setTimeout(() => controller.abort(), 200);
    },
  });
  await assert.rejects(pending, { name: 'AbortError' });
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-complete'], 1);
  assert.equal(await uploadIsOpen(h.emulator, 'upf', 'abort-final', uploadIdOf(events)), false);
});

test('keepOnFailure with an abort leaves the upload open for a later resume', async () => {
  h.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'stall-headers:5000', skip: 2, times: 10 });
  const controller = new AbortController();
  const events: UploadCheckpoint[] = [];
  const pending = tm.uploadFile(path, 'gs://upf/abort-keep', {
    signal: controller.signal,
    keepOnFailure: true,
    onCheckpoint: (e) => events.push(e),
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  controller.abort();
  await assert.rejects(pending, { name: 'AbortError', message: /left open/ });
  const uploadId = uploadIdOf(events);
  assert.equal(await uploadIsOpen(h.emulator, 'upf', 'abort-keep', uploadId), true);
  h.emulator.reset();
  const parts = events.flatMap((e) => (e.type === 'part' ? [{ partNumber: e.partNumber, etag: e.etag, crc32c: e.crc32c, size: e.size }] : []));
  await tm.uploadFile(path, 'gs://upf/abort-keep', { resumeFrom: { uploadId, parts } });
  assert.ok((await objectBytes(h.emulator, 'upf', 'abort-keep')).equals(data));
});

test('resuming an upload that no longer exists fails with cleanup none, without a cancel request', async () => {
  const events: UploadCheckpoint[] = [];
  await tm.uploadFile(path, 'gs://upf/gone', { onCheckpoint: (e) => events.push(e) });
  h.emulator.reset();
  await assert.rejects(tm.uploadFile(path, 'gs://upf/gone', { resumeFrom: { uploadId: uploadIdOf(events) } }), {
    code: 'ERR_GCS_MPU_FAILED',
    cleanup: 'none',
    message: /no longer exists/,
  });
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-abort'], 0);
});

test('a complete answer cut off after the object was built, then a NoSuchUpload cut off too: the upload is recognised as done', async () => {
  const name = 'faulty/complete-cut';
  // Both answers lose their body after 10 bytes: the 200 of the complete that built the object, and the 404
  // NoSuchUpload of its retry. A cut body is a network error, so the retry after it gets the whole
  // NoSuchUpload, and the HEAD + CRC32C check recognises the object.
  h.emulator.faults.add({ match: { op: 'mpu-complete', bucket: 'upf' }, fault: 'truncate-body:10', times: 2 });
  const result = await tm.uploadFile(path, { bucket: 'upf', name });
  assert.equal(result.validated, true);
  assert.ok((await objectBytes(h.emulator, 'upf', name)).equals(data));
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-complete'], 3);
});

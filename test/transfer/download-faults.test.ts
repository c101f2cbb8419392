import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { RetryStrategy } from '../../src/transport/retry.js';
import { MiB, exists, harness, seededBytes, type Harness } from './helpers.js';

let h: Harness;
const CHUNK = 1 * MiB;
const SIZE = 6 * CHUNK + 123;
let data: Buffer;

before(async () => {
  h = await harness();
  data = seededBytes(SIZE, 42);
  await h.emulator.putObject('faults', 'obj', data);
});
after(async () => {
  await h.close();
});
beforeEach(() => h.emulator.reset());

async function noFileLeft(dest: string): Promise<void> {
  assert.equal(await exists(dest), false, 'no destination file');
  assert.equal(await exists(`${dest}.gcs-transfer.partial`), false, 'no partial file');
}

/** Downloads with the fault queued on the `skip`-th media request, to a file and to a stream. */
async function downloadWith(fault: string, skip: number, options: Parameters<ReturnType<Harness['manager']>['downloadFile']>[2] = {}) {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 3 });
  const dest = join(h.dir, `dest-${fault.replace(/\W/g, '_')}-${skip}`);
  h.emulator.faults.add({ match: { op: 'media', bucket: 'faults' }, fault, skip });
  const result = await tm.downloadFile('gs://faults/obj', dest, options);
  const bytes = await readFile(dest);
  return { result, bytes, dest };
}

for (const [fault, skip] of [
  ['status:503', 0],
  ['status:503', 3],
  ['status:429,retry-after=1', 2],
  ['reset-after:1000', 0],
  ['reset-after:300000', 4],
  ['truncate-body:5000', 2],
  ['ignore-range', 0],
  ['ignore-range', 3],
  ['omit-header:content-range', 1],
] as const) {
  test(`${fault} on media request #${skip} still yields the exact bytes`, async () => {
    const started = performance.now();
    // Retry-After is capped by the strategy's maxSleepMs, so that case needs a cap above one second.
    const retry = fault.includes('retry-after') ? new RetryStrategy({ initialDelayMs: 10, maxSleepMs: 2000, maxRetries: 2 }) : undefined;
    const { result, bytes } = await downloadWith(fault, skip, retry ? { retry } : {});
    assert.ok(bytes.equals(data));
    assert.equal(result.validated, true);
    assert.equal(result.crc32c, crc32cToBase64(crc32c(data)));
    if (fault.includes('retry-after')) assert.ok(performance.now() - started >= 900, 'Retry-After was honoured');
  });
}

test('a body that stalls past the read timeout is cut and resumed', async () => {
  const { bytes } = await downloadWith('stall-body:3000,after=1000', 2, { timeout: { readMs: 300 } });
  assert.ok(bytes.equals(data));
});

test('a flipped byte is DataCorruption, and nothing is renamed or left behind', async () => {
  for (const skip of [0, 4]) {
    const dest = join(h.dir, `flip-${skip}`);
    const tm = h.manager({ chunkSize: CHUNK, concurrency: 3 });
    h.emulator.faults.add({ match: { op: 'media' }, fault: 'flip-byte:777', skip });
    await assert.rejects(tm.downloadFile('gs://faults/obj', dest), (error: Error & Record<string, unknown>) => {
      assert.equal(error.code, 'ERR_GCS_DATA_CORRUPTION');
      assert.equal(error.expected, crc32cToBase64(crc32c(data)));
      return true;
    });
    await noFileLeft(dest);
    h.emulator.reset();
    const stream = tm.downloadToStream('gs://faults/obj');
    h.emulator.faults.add({ match: { op: 'media' }, fault: 'flip-byte:777', skip });
    await assert.rejects(async () => {
      for await (const chunk of stream) void chunk;
    }, { code: 'ERR_GCS_DATA_CORRUPTION' });
  }
});

test('no x-goog-hash: the download completes with validated: false, or fails with requireValidation', async () => {
  const { result, bytes } = await downloadWith('omit-header:x-goog-hash', 0);
  assert.ok(bytes.equals(data));
  assert.equal(result.validated, false);
  h.emulator.reset();
  const dest = join(h.dir, 'unvalidated');
  h.emulator.faults.add({ match: { op: 'media' }, fault: 'omit-header:x-goog-hash' });
  await assert.rejects(h.manager({ chunkSize: CHUNK }).downloadFile('gs://faults/obj', dest, { requireValidation: true }), {
    code: 'ERR_GCS_UNVALIDATED',
  });
  await noFileLeft(dest);
});

test('the object overwritten mid-download is a SourceChangedError, with nothing left behind', async () => {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 2 });
  await h.emulator.putObject('faults', 'moving', data);
  const dest = join(h.dir, 'moving');
  h.emulator.faults.add({ match: { op: 'media', object: 'moving' }, fault: 'bump-generation', skip: 1 });
  await assert.rejects(tm.downloadFile('gs://faults/moving', dest), { code: 'ERR_GCS_SOURCE_CHANGED', message: /overwritten/ });
  await noFileLeft(dest);
});

test('a server that never honours Range fails with a typed error after bounded attempts', async () => {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 2 });
  const dest = join(h.dir, 'no-range');
  h.emulator.faults.add({ match: { op: 'media' }, fault: 'ignore-range', times: 100 });
  await assert.rejects(tm.downloadFile('gs://faults/obj', dest), { code: 'ERR_GCS_INVALID_RESPONSE' });
  assert.equal(h.emulator.metrics.snapshot().requests.media, 3);
  await noFileLeft(dest);
});

test('a persistent 503 exhausts the retry budget and fails with the 503, nothing left behind', async () => {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 2 });
  const dest = join(h.dir, 'down');
  h.emulator.faults.add({ match: { op: 'media' }, fault: 'status:503', skip: 2, times: 100 });
  await assert.rejects(tm.downloadFile('gs://faults/obj', dest), (error: Error & { status?: number }) => error.status === 503);
  await noFileLeft(dest);
});

test('abort during discovery rejects with AbortError within a second, nothing left behind', async () => {
  const tm = h.manager({ chunkSize: CHUNK });
  const dest = join(h.dir, 'abort-discovery');
  h.emulator.faults.add({ match: { op: 'media' }, fault: 'stall-headers:5000' });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const started = performance.now();
  await assert.rejects(tm.downloadFile('gs://faults/obj', dest, { signal: controller.signal }), { name: 'AbortError', code: 'ABORT_ERR' });
  assert.ok(performance.now() - started < 1100, `took ${performance.now() - started} ms`);
  await noFileLeft(dest);
});

test('abort mid-transfer stops every range within a second and removes the partial file', async () => {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 3 });
  const dest = join(h.dir, 'abort-mid');
  h.emulator.faults.add({ match: { op: 'media' }, fault: 'stall-body:5000,after=1000', skip: 1, times: 10 });
  const controller = new AbortController();
  const seen: number[] = [];
  const pending = tm.downloadFile('gs://faults/obj', dest, {
    signal: controller.signal,
    onProgress: (p) => seen.push(p.bytesDone),
  });
  // Mid-transfer: once bytes are flowing (the pool's first thread may still be starting after a fixed delay).
  for (let waited = 0; seen.length === 0 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const abortedAt = performance.now();
  controller.abort();
  await assert.rejects(pending, { name: 'AbortError' });
  assert.ok(performance.now() - abortedAt < 1000, `took ${performance.now() - abortedAt} ms`);
  assert.ok(seen.length > 0 && (seen.at(-1) as number) < SIZE);
  await noFileLeft(dest);
  // The stream form stops too, and reports the abort as the stream's error.
  const streamController = new AbortController();
  const stream = tm.downloadToStream('gs://faults/obj', { signal: streamController.signal });
  setTimeout(() => streamController.abort(), 200);
  await assert.rejects(async () => {
    for await (const chunk of stream) void chunk;
  }, { name: 'AbortError' });
});

test('a consumer that destroys the stream early stops the download', async () => {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 2 });
  const stream = tm.downloadToStream('gs://faults/obj');
  let received = 0;
  for await (const chunk of stream) {
    received += (chunk as Buffer).length;
    if (received > CHUNK / 2) break;
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const { inFlight, requests } = h.emulator.metrics.snapshot();
  assert.equal(inFlight, 0);
  assert.ok(requests.media <= 3, `${requests.media} requests`);
});

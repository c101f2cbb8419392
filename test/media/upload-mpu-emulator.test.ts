/**
 * XMLMPUContainer and XMLMPUPart against the emulator: real bytes round-tripped (parts of at least 5 MiB but the
 * last, as GCS requires), names that need encoding, retries, a corrupted part refused by the server, ListParts,
 * finalize refusing gaps, cancel.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { combineCrc32c } from '../../src/checksum/combine.js';
import { crc32c, crc32cFromBase64, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { DataCorruption, InvalidStateError, NotFound } from '../../src/errors.js';
import { XMLMPUContainer } from '../../src/media/xml-mpu-container.js';
import { XMLMPUPart, type UploadedPart } from '../../src/media/xml-mpu-part.js';
import { BUCKET, bytes, corruptingTransport, downloadBack, fastRetry, useUploadEnv, type UploadEnv } from './upload-emulator-env.js';

const P = 5 * 1024 * 1024;

function container(env: UploadEnv, name: string): XMLMPUContainer {
  const c = new XMLMPUContainer(env.endpoint.xmlObjectUrl(BUCKET, name), name);
  c.retryStrategy = fastRetry();
  return c;
}

function part(c: XMLMPUContainer, file: string | null, start: number, end: number, n: number, options: ConstructorParameters<typeof XMLMPUPart>[6] = {}): XMLMPUPart {
  const p = new XMLMPUPart(c.uploadUrl, c.uploadId as string, file, start, end, n, options);
  p.retryStrategy = fastRetry();
  return p;
}

/** Uploads `data` (also written to `file`) in parts of `P`, alternating file and in-memory parts. */
async function uploadInParts(env: UploadEnv, c: XMLMPUContainer, data: Buffer, file: string): Promise<UploadedPart[]> {
  await c.initiate(env.transport, 'application/octet-stream');
  const results: UploadedPart[] = [];
  const count = Math.max(1, Math.ceil(data.length / P));
  for (let n = 1; n <= count; n++) {
    const start = (n - 1) * P;
    const end = Math.min(data.length, n * P);
    const p = n % 2 ? part(c, file, start, end, n) : part(c, null, start, end, n, { data: data.subarray(start, end), checksum: 'md5' });
    const result = await p.upload(env.transport);
    c.registerPart(n, result.etag);
    results.push(result);
  }
  return results;
}

describe('XML multipart upload round trips', () => {
  it('stores exactly the bytes for 0, 1, P-1, P, P+1 and 2P+123 bytes; the combined part CRCs match the object', async (t) => {
    const env = await useUploadEnv(t);
    const dir = await mkdtemp(join(tmpdir(), 'mpu-it-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    for (const [i, size] of [0, 1, P - 1, P, P + 1, 2 * P + 123].entries()) {
      const data = bytes(size, 50 + i);
      const file = join(dir, `src-${size}`);
      await writeFile(file, data);
      const name = `mpu-${size}`;
      const c = container(env, name);
      const parts = await uploadInParts(env, c, data, file);
      const expected = crc32cToBase64(combineCrc32c(parts.map((p) => ({ crc32c: crc32cFromBase64(p.crc32c) as number, length: p.size }))));
      assert.equal(expected, crc32cToBase64(crc32c(data)));
      const result = await c.finalize(env.transport, { expectedCrc32c: expected });
      assert.equal(result.crc32c, expected);
      assert.match(result.generation ?? '', /^\d+$/);
      assert.equal(c.finished, true);
      assert.ok((await downloadBack(env, name)).equals(data), name);
    }
  });

  it('object names with "/", space, "#", "%", "+", "?" and unicode reach the right object', async (t) => {
    const env = await useUploadEnv(t);
    const name = 'dir/sub dir/a#b%c+d?e=f&g é 😀.bin';
    const data = bytes(1000, 77);
    const c = container(env, name);
    await c.initiate(env.transport, 'text/plain');
    const result = await part(c, null, 0, data.length, 1, { data }).upload(env.transport);
    c.registerPart(1, result.etag);
    await c.finalize(env.transport);
    assert.ok((await downloadBack(env, name)).equals(data));
  });
});

describe('XML multipart upload faults', () => {
  it('initiate, part and complete retry 503 and 429 + Retry-After', async (t) => {
    const env = await useUploadEnv(t);
    env.emulator.faults.add({ match: { op: 'mpu-initiate' }, fault: 'status:503' });
    env.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'status:429,retry-after=1' });
    env.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'reset-request-after:1000', skip: 1 });
    env.emulator.faults.add({ match: { op: 'mpu-complete' }, fault: 'status:503' });
    const data = bytes(P + 10, 5);
    const dir = await mkdtemp(join(tmpdir(), 'mpu-retry-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'src');
    await writeFile(file, data);
    const c = container(env, 'retried');
    const started = performance.now();
    await uploadInParts(env, c, data, file);
    assert.ok(performance.now() - started >= 990, 'waited for Retry-After: 1');
    await c.finalize(env.transport);
    const requests = env.emulator.metrics.snapshot().requests;
    assert.equal(requests['mpu-initiate'], 2);
    assert.equal(requests['mpu-upload-part'], 4);
    assert.equal(requests['mpu-complete'], 2);
    assert.ok((await downloadBack(env, 'retried')).equals(data));
  });

  it('a part corrupted on the way is refused by the server (BadDigest → DataCorruption), for crc32c and md5', async (t) => {
    const env = await useUploadEnv(t);
    const dir = await mkdtemp(join(tmpdir(), 'mpu-bad-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const data = bytes(300_000, 8);
    const file = join(dir, 'src');
    await writeFile(file, data);
    const corrupt = corruptingTransport(env.transport, (r) => r.method === 'PUT');
    const c = container(env, 'corrupted');
    await c.initiate(env.transport, 'application/octet-stream');
    for (const [checksum, source] of [['crc32c', file], ['md5', null]] as const) {
      const p = part(c, source, 0, data.length, 1, { checksum, ...(source === null ? { data } : {}) });
      await assert.rejects(p.upload(corrupt), (e: unknown) => e instanceof DataCorruption && e.algorithm === checksum && /BadDigest|InvalidDigest/.test(e.message));
      assert.equal(p.finished, false);
    }
    assert.deepEqual(await c.listParts(env.transport), []);
  });

  it('listParts reports uploaded parts; finalize refuses gaps before sending; cancel removes the upload', async (t) => {
    const env = await useUploadEnv(t);
    const c = container(env, 'gappy');
    await c.initiate(env.transport, 'application/octet-stream');
    const uploaded = [];
    for (const n of [1, 3]) {
      const data = bytes(n === 1 ? P : 10, n);
      const result = await part(c, null, 0, data.length, n, { data }).upload(env.transport);
      c.registerPart(n, result.etag);
      uploaded.push({ partNumber: n, etag: result.etag, size: data.length });
    }
    assert.deepEqual(await c.listParts(env.transport), uploaded);
    assert.throws(() => c.prepareFinalizeRequest(), InvalidStateError);
    await assert.rejects(c.finalize(env.transport), /registered parts must be exactly 1\.\.N/);
    assert.equal(env.emulator.metrics.snapshot().requests['mpu-complete'] ?? 0, 0);

    await c.cancel(env.transport);
    c.registerPart(2, '"whatever"');
    await assert.rejects(c.finalize(env.transport), (e: unknown) => e instanceof NotFound && e.gcsCode === 'NoSuchUpload');
    await assert.rejects(c.listParts(env.transport), NotFound);
    await assert.rejects(c.cancel(env.transport), NotFound);
  });

  it('a retried complete whose first answer was lost is confirmed with expectedCrc32c', async (t) => {
    const env = await useUploadEnv(t);
    const data = bytes(2000, 12);
    const c = container(env, 'lost-answer');
    await c.initiate(env.transport, 'application/octet-stream');
    c.registerPart(1, (await part(c, null, 0, data.length, 1, { data }).upload(env.transport)).etag);
    // The server completes the upload, then the connection dies before the answer is read.
    env.emulator.faults.add({ match: { op: 'mpu-complete' }, fault: 'reset-after:0' });
    const result = await c.finalize(env.transport, { expectedCrc32c: crc32cToBase64(crc32c(data)) });
    assert.equal(result.crc32c, crc32cToBase64(crc32c(data)));
    assert.equal(env.emulator.metrics.snapshot().requests['mpu-complete'], 2);
    assert.ok((await downloadBack(env, 'lost-answer')).equals(data));
  });
});

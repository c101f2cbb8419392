/**
 * SimpleUpload, MultipartUpload and ResumableUpload against the emulator: real bytes round-tripped for sizes 0,
 * 1, chunk−1, chunk, chunk+1 and a few MiB; retries under 503 and 429 + Retry-After; recover() after a reset
 * mid-request; the server refusing a checksum that does not match the bytes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { UPLOAD_CHUNK_SIZE } from '../../src/constants.js';
import { InvalidResponse, NetworkError } from '../../src/errors.js';
import { MultipartUpload } from '../../src/media/multipart-upload.js';
import { ResumableUpload } from '../../src/media/resumable-upload.js';
import { SimpleUpload } from '../../src/media/simple-upload.js';
import type { UploadSourceInput } from '../../src/media/upload-source.js';
import { BUCKET, bytes, corruptingTransport, downloadBack, fastRetry, useUploadEnv, type UploadEnv } from './upload-emulator-env.js';

const C = UPLOAD_CHUNK_SIZE;
const SIZES = [0, 1, C - 1, C, C + 1, 3 * 1024 * 1024 + 17];

async function resumable(env: UploadEnv, name: string, source: UploadSourceInput, options: { chunkSize?: number; streamFinal?: boolean; maxRetries?: number } = {}) {
  const upload = new ResumableUpload(env.endpoint.uploadUrl(BUCKET, 'resumable'), options.chunkSize ?? C, { checksum: 'crc32c' });
  upload.retryStrategy = fastRetry(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries });
  await upload.initiate(env.transport, source, { name }, 'application/octet-stream', options.streamFinal === undefined ? {} : { streamFinal: options.streamFinal });
  return upload;
}

describe('round trips', () => {
  it('SimpleUpload and MultipartUpload store exactly the bytes sent', async (t) => {
    const env = await useUploadEnv(t);
    for (const [i, size] of SIZES.entries()) {
      const data = bytes(size, i + 1);
      const simple = new SimpleUpload(env.endpoint.uploadUrl(BUCKET, 'media', { name: `simple-${size}` }), { checksum: 'crc32c' });
      const stored = await simple.transmit(env.transport, data, 'application/octet-stream');
      assert.equal(stored.size, String(size));
      assert.equal(stored.crc32c, crc32cToBase64(crc32c(data)));
      assert.ok((await downloadBack(env, `simple-${size}`)).equals(data), `simple ${size}`);

      const multipart = new MultipartUpload(env.endpoint.uploadUrl(BUCKET, 'multipart'), { checksum: i % 2 ? 'md5' : 'crc32c' });
      const object = await multipart.transmit(env.transport, data, { name: `multipart-${size}`, metadata: { size: String(size), 'ké': 'é' } }, 'application/x-test');
      assert.equal(object.contentType, 'application/x-test');
      assert.deepEqual(object.metadata, { size: String(size), 'ké': 'é' });
      assert.ok((await downloadBack(env, `multipart-${size}`)).equals(data), `multipart ${size}`);
    }
  });

  it('ResumableUpload from bytes, a file and a stream (unknown size) stores exactly the bytes sent', async (t) => {
    const env = await useUploadEnv(t);
    const dir = await mkdtemp(join(tmpdir(), 'resumable-it-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    for (const [i, size] of SIZES.entries()) {
      const data = bytes(size, 100 + i);
      const path = join(dir, `f-${size}`);
      await writeFile(path, data);
      // Stream chunks of an odd size, so chunk boundaries never line up with the stream's.
      const pieces = Array.from({ length: Math.ceil(size / 100_003) }, (_, k) => data.subarray(k * 100_003, (k + 1) * 100_003));
      for (const [kind, source] of [['bytes', data], ['file', path], ['stream', Readable.from(pieces)]] as const) {
        const name = `resumable-${kind}-${size}`;
        const upload = await resumable(env, name, source);
        assert.equal(upload.totalBytes, kind === 'stream' ? undefined : size);
        let object;
        let requests = 0;
        while (!upload.finished) {
          object = await upload.transmitNextChunk(env.transport);
          requests++;
        }
        assert.equal(object?.size, String(size));
        assert.equal(upload.bytesUploaded, size);
        // An exact multiple of the chunk size of unknown length needs one more, empty request.
        const extra = kind === 'stream' && size > 0 && size % C === 0 ? 1 : 0;
        assert.equal(requests, Math.max(1, Math.ceil(size / C)) + extra, `${name} chunk count`);
        assert.ok((await downloadBack(env, name)).equals(data), name);
      }
    }
  });
});

describe('retries', () => {
  it('SimpleUpload retries a 503 and a 429 honouring Retry-After', async (t) => {
    const env = await useUploadEnv(t);
    env.emulator.faults.add({ match: { op: 'upload-media' }, fault: 'status:503' });
    env.emulator.faults.add({ match: { op: 'upload-media' }, fault: 'status:429,retry-after=1', skip: 1 });
    const upload = new SimpleUpload(env.endpoint.uploadUrl(BUCKET, 'media', { name: 'retried' }));
    upload.retryStrategy = fastRetry();
    const started = performance.now();
    await upload.transmit(env.transport, bytes(1000), 'application/octet-stream');
    assert.ok(performance.now() - started >= 990, 'waited for Retry-After: 1');
    assert.equal(env.emulator.metrics.snapshot().requests['upload-media'], 3);
    assert.ok((await downloadBack(env, 'retried')).equals(bytes(1000)));
  });

  it('a stalled answer is cut by the read timeout and the request retried', async (t) => {
    const env = await useUploadEnv(t);
    env.emulator.faults.add({ match: { op: 'upload-multipart' }, fault: 'stall-headers:6000' });
    const upload = new MultipartUpload(env.endpoint.uploadUrl(BUCKET, 'multipart'));
    upload.retryStrategy = fastRetry();
    const started = performance.now();
    await upload.transmit(env.transport, bytes(5000), { name: 'stalled' }, 'a/b', { timeout: { readMs: 300 } });
    assert.ok(performance.now() - started < 4_000, 'did not wait for the stalled answer');
    assert.equal(env.emulator.metrics.snapshot().requests['upload-multipart'], 2);
    assert.ok((await downloadBack(env, 'stalled')).equals(bytes(5000)));
  });

  it('ResumableUpload retries initiate and chunk failures (503, 429, reset mid-request) transparently', async (t) => {
    const env = await useUploadEnv(t);
    const data = bytes(3 * C + 5, 7);
    env.emulator.faults.add({ match: { op: 'resumable-initiate' }, fault: 'status:503' });
    env.emulator.faults.add({ match: { op: 'resumable-put' }, fault: 'status:429', skip: 1 });
    env.emulator.faults.add({ match: { op: 'resumable-put' }, fault: 'reset-request-after:100000', skip: 3 });
    const upload = await resumable(env, 'resumable-retried', Readable.from([data]));
    while (!upload.finished) await upload.transmitNextChunk(env.transport);
    const requests = env.emulator.metrics.snapshot().requests;
    assert.equal(requests['resumable-initiate'], 2);
    assert.equal(requests['resumable-put'], 4 + 2);
    assert.ok((await downloadBack(env, 'resumable-retried')).equals(data));
  });

  it('ResumableUpload.recover() after a reset mid-chunk resumes where the server stands (file and stream)', async (t) => {
    const env = await useUploadEnv(t);
    const dir = await mkdtemp(join(tmpdir(), 'recover-it-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const data = bytes(4 * C + 1234, 9);
    const path = join(dir, 'src.bin');
    await writeFile(path, data);
    for (const [kind, source] of [['file', path], ['stream', Readable.from([data])]] as const) {
      env.emulator.reset();
      const name = `recovered-${kind}`;
      // Two whole chunks in one request, then the connection dies 100 KB into the second.
      const upload = await resumable(env, name, source, { chunkSize: 2 * C, maxRetries: 0 });
      await upload.transmitNextChunk(env.transport);
      assert.equal(upload.bytesUploaded, 2 * C);
      env.emulator.faults.add({ match: { op: 'resumable-put' }, fault: 'reset-request-after:100000' });
      await assert.rejects(upload.transmitNextChunk(env.transport), NetworkError);
      const persisted = await upload.recover(env.transport);
      assert.ok(persisted >= 2 * C && persisted % C === 0 && persisted <= 4 * C, `persisted ${persisted}`);
      while (!upload.finished) await upload.transmitNextChunk(env.transport);
      assert.ok((await downloadBack(env, name)).equals(data), name);
    }
  });
});

describe('checksums the server refuses', () => {
  it('a wrong x-goog-hash on a simple upload is refused (BadDigest), nothing stored', async (t) => {
    const env = await useUploadEnv(t);
    const upload = new SimpleUpload(env.endpoint.uploadUrl(BUCKET, 'media', { name: 'bad-digest' }), { headers: { 'x-goog-hash': 'crc32c=AAAAAA==' } });
    await assert.rejects(upload.transmit(env.transport, bytes(100), 'application/octet-stream'), (e: unknown) => {
      return e instanceof InvalidResponse && e.status === 400 && /BadDigest|doesn't match/.test(`${e.message} ${e.response?.body}`);
    });
    await assert.rejects(downloadBack(env, 'bad-digest'), /404/);
  });

  it('bytes corrupted on the way are refused for every JSON upload kind', async (t) => {
    const env = await useUploadEnv(t);
    const corrupt = corruptingTransport(env.transport, (r) => r.method !== 'GET' && r.body instanceof Uint8Array && r.body.byteLength > 1000);
    const data = bytes(C + 3000, 3);
    const simple = new SimpleUpload(env.endpoint.uploadUrl(BUCKET, 'media', { name: 'c1' }), { checksum: 'md5' });
    await assert.rejects(simple.transmit(corrupt, data, 'a/b'), (e: unknown) => e instanceof InvalidResponse && e.status === 400);
    const multipart = new MultipartUpload(env.endpoint.uploadUrl(BUCKET, 'multipart'), { checksum: 'crc32c' });
    await assert.rejects(multipart.transmit(corrupt, data, { name: 'c2' }, 'a/b'), (e: unknown) => e instanceof InvalidResponse && e.status === 400);
    // Resumable: the first chunk is corrupted; only the whole-object hash on the last chunk can reveal it.
    const upload = await resumable(env, 'c3', data);
    let first = true;
    const once = corruptingTransport(env.transport, () => {
      const pick = first;
      first = false;
      return pick;
    });
    await upload.transmitNextChunk(once);
    await assert.rejects(upload.transmitNextChunk(env.transport), (e: unknown) => e instanceof InvalidResponse && e.status === 400);
    assert.equal(upload.invalid, true);
    for (const name of ['c1', 'c2', 'c3']) await assert.rejects(downloadBack(env, name), /404/);
  });
});

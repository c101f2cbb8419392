import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import type { Emulator } from '../../src/emulator/index.js';
import { bytes, call, useEmulator } from './helpers.js';

const KiB = 1024;
const Q = 256 * KiB;

async function initiate(emulator: Emulator, name: string, options: { body?: unknown; headers?: Record<string, string>; query?: string } = {}): Promise<string> {
  const response = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=resumable&name=${encodeURIComponent(name)}${options.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=UTF-8', ...options.headers },
    body: JSON.stringify(options.body ?? {}),
  });
  assert.equal(response.status, 200, response.text);
  const location = response.header('location');
  assert.ok(location);
  return location;
}

function put(url: string, range: string, body?: Buffer, headers: Record<string, string> = {}) {
  return call(url, { method: 'PUT', headers: { 'content-range': range, ...headers }, ...(body ? { body } : {}) });
}

test('initiate answers 200 with a Location holding upload_id; chunks get 308 and Range; the last byte gets the object', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(2 * Q + 1000);
  const location = await initiate(emulator, 'r.bin', { body: { contentType: 'text/plain', metadata: { a: 'b' } } });
  assert.match(location, /^http:\/\/127\.0\.0\.1:\d+\/upload\/storage\/v1\/b\/bkt\/o\?uploadType=resumable&name=r\.bin&upload_id=[\w-]+$/);

  const empty = await put(location, 'bytes */*');
  assert.equal(empty.status, 308);
  assert.equal(empty.header('range'), undefined, 'no Range header while nothing is persisted');

  const first = await put(location, `bytes 0-${Q - 1}/*`, data.subarray(0, Q));
  assert.equal(first.status, 308);
  assert.equal(first.header('range'), `bytes=0-${Q - 1}`);

  const second = await put(location, `bytes ${Q}-${2 * Q - 1}/${data.length}`, data.subarray(Q, 2 * Q));
  assert.equal(second.status, 308);
  assert.equal(second.header('range'), `bytes=0-${2 * Q - 1}`);

  const status = await put(location, 'bytes */*');
  assert.equal(status.status, 308);
  assert.equal(status.header('range'), `bytes=0-${2 * Q - 1}`);

  const last = await put(location, `bytes ${2 * Q}-${data.length - 1}/${data.length}`, data.subarray(2 * Q));
  assert.equal(last.status, 200);
  const meta = last.json();
  assert.equal(meta.name, 'r.bin');
  assert.equal(meta.size, String(data.length));
  assert.equal(meta.contentType, 'text/plain');
  assert.deepEqual(meta.metadata, { a: 'b' });
  assert.equal(meta.md5Hash, createHash('md5').update(data).digest('base64'));
  assert.equal(meta.crc32c, crc32cToBase64(crc32c(data)));
  assert.deepEqual((await call(`${emulator.url}/bkt/r.bin`)).body, data);

  // A finished session answers status queries with the object.
  const after = await put(location, 'bytes */*');
  assert.equal(after.status, 200);
  assert.equal(after.json().generation, meta.generation);
  const counts = emulator.metrics.snapshot().requests;
  assert.equal(counts['resumable-initiate'], 1);
  assert.equal(counts['resumable-put'], 6);
});

test('bytes */N finalises when N bytes are persisted (unknown-size uploads end this way)', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(Q, 2);
  const location = await initiate(emulator, 'u.bin');
  assert.equal((await put(location, `bytes 0-${Q - 1}/*`, data)).status, 308);
  const done = await put(location, `bytes */${Q}`);
  assert.equal(done.status, 200);
  assert.equal(done.json().size, String(Q));
  // Zero-byte upload: a single empty `bytes */0`.
  const zero = await initiate(emulator, 'zero.bin');
  const zeroDone = await put(zero, 'bytes */0');
  assert.equal(zeroDone.status, 200);
  assert.equal(zeroDone.json().size, '0');
});

test('bytes re-sent below the persisted offset are trimmed; a gap above it is a 503', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(3 * Q, 3);
  const location = await initiate(emulator, 'trim.bin', { headers: { 'x-upload-content-length': String(data.length) } });
  assert.equal((await put(location, `bytes 0-${Q - 1}/${data.length}`, data.subarray(0, Q))).status, 308);
  const gap = await put(location, `bytes ${2 * Q}-${3 * Q - 1}/${data.length}`, data.subarray(2 * Q));
  assert.equal(gap.status, 503);
  assert.match(gap.json().error.message, /exceeds already uploaded size of 262144 byte/);
  // Overlap: bytes 0..2Q-1 again; the first Q are skipped, the rest appended.
  const overlap = await put(location, `bytes 0-${2 * Q - 1}/${data.length}`, data.subarray(0, 2 * Q));
  assert.equal(overlap.status, 308);
  assert.equal(overlap.header('range'), `bytes=0-${2 * Q - 1}`);
  const last = await put(location, `bytes ${2 * Q}-${3 * Q - 1}/${data.length}`, data.subarray(2 * Q));
  assert.equal(last.status, 200);
  assert.deepEqual((await call(`${emulator.url}/bkt/trim.bin`)).body, data);
});

test('non-final chunks: under 256 KiB is a 400; an unaligned one persists only whole 256 KiB blocks', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(3 * Q, 4);
  const location = await initiate(emulator, 'align.bin');
  const small = await put(location, 'bytes 0-1023/*', data.subarray(0, 1024));
  assert.equal(small.status, 400);
  assert.match(small.json().error.message, /required to be equal or greater than 262144/);
  const unaligned = await put(location, `bytes 0-${Q + 999}/*`, data.subarray(0, Q + 1000));
  assert.equal(unaligned.status, 308);
  assert.equal(unaligned.header('range'), `bytes=0-${Q - 1}`);
  const rest = await put(location, `bytes ${Q}-${data.length - 1}/${data.length}`, data.subarray(Q));
  assert.equal(rest.status, 200);
  assert.deepEqual((await call(`${emulator.url}/bkt/align.bin`)).body, data);
});

test('x-goog-hash on the final chunk and hashes declared at initiate are checked', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(1000, 5);
  const goodCrc = crc32cToBase64(crc32c(data));
  const badCrc = crc32cToBase64(crc32c(Buffer.from('nope')));
  const a = await initiate(emulator, 'hash.bin');
  const rejected = await put(a, `bytes 0-999/1000`, data, { 'x-goog-hash': `crc32c=${badCrc}` });
  assert.equal(rejected.status, 400);
  assert.match(rejected.json().error.message, /CRC32C/);
  assert.equal((await call(`${emulator.url}/bkt/hash.bin`)).status, 404);
  const b = await initiate(emulator, 'hash.bin', { body: { md5Hash: createHash('md5').update('other').digest('base64') } });
  assert.equal((await put(b, `bytes 0-999/1000`, data)).status, 400);
  const c = await initiate(emulator, 'hash.bin');
  const accepted = await put(c, `bytes 0-999/1000`, data, { 'x-goog-hash': `crc32c=${goodCrc}` });
  assert.equal(accepted.status, 200);
  assert.equal(accepted.json().crc32c, goodCrc);
});

test('DELETE on a session answers 499 and the session is gone', async (t) => {
  const emulator = await useEmulator(t);
  const location = await initiate(emulator, 'gone.bin');
  assert.equal((await put(location, `bytes 0-${Q - 1}/*`, bytes(Q))).status, 308);
  const cancelled = await call(location, { method: 'DELETE' });
  assert.equal(cancelled.status, 499);
  assert.equal((await put(location, 'bytes */*')).status, 499);
  assert.equal((await call(`${emulator.url}/bkt/gone.bin`)).status, 404);
  assert.equal(emulator.metrics.snapshot().requests['resumable-cancel'], 1);
  assert.deepEqual(readdirSync(join(emulator.dir, 'tmp')), [], 'the session file is removed');
  const unknown = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=nope`, { method: 'PUT', headers: { 'content-range': 'bytes */*' } });
  assert.equal(unknown.status, 404);
});

test('the single-request form `bytes 0-*/*` (used by @google-cloud/storage) ends with the request', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(700_000, 6);
  const location = await initiate(emulator, 'stream.bin');
  const done = await put(location, 'bytes 0-*/*', data);
  assert.equal(done.status, 200);
  assert.equal(done.json().size, String(data.length));
  // Without any Content-Range the body is the whole object, too.
  const plain = await initiate(emulator, 'plain.bin');
  const response = await call(plain, { method: 'PUT', body: data });
  assert.equal(response.status, 200);
  assert.deepEqual((await call(`${emulator.url}/bkt/plain.bin`)).body, data);
});

test('ifGenerationMatch=0 on a resumable upload: 412 when the object exists', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'exists', 'x');
  const response = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=resumable&name=exists&ifGenerationMatch=0`, { method: 'POST', body: '{}' });
  assert.equal(response.status, 412);
  // Checked again when the upload completes: the object appeared in between.
  const location = await initiate(emulator, 'later', { query: '&ifGenerationMatch=0' });
  await emulator.putObject('bkt', 'later', 'first');
  assert.equal((await put(location, 'bytes 0-2/3', Buffer.from('abc'))).status, 412);
  assert.equal((await call(`${emulator.url}/bkt/later`)).text, 'first');
});

test('a client that disconnects mid-chunk leaves the session resumable at a 256 KiB boundary', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(4 * Q, 8);
  const location = await initiate(emulator, 'cut.bin');
  const url = new URL(location);
  await new Promise<void>((resolve) => {
    const req = httpRequest(url, { method: 'PUT', headers: { 'content-range': `bytes 0-${data.length - 1}/${data.length}`, 'content-length': data.length } });
    req.on('error', () => resolve());
    req.write(data.subarray(0, 2 * Q + 500), () => setTimeout(() => {
      req.destroy();
      resolve();
    }, 100));
  });
  let status;
  for (let i = 0; i < 50; i += 1) {
    status = await put(location, 'bytes */*');
    if (status.header('range') === `bytes=0-${2 * Q + 499}`) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(status?.status, 308);
  // The interrupted chunk was the final one (it reached the declared total), so every received byte counts.
  assert.equal(status?.header('range'), `bytes=0-${2 * Q + 499}`);
  const rest = await put(location, `bytes ${2 * Q + 500}-${data.length - 1}/${data.length}`, data.subarray(2 * Q + 500));
  assert.equal(rest.status, 200);
  assert.deepEqual((await call(`${emulator.url}/bkt/cut.bin`)).body, data);
});

test('a non-final chunk cut by a reset-request-after fault persists whole 256 KiB blocks', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(4 * Q, 9);
  const location = await initiate(emulator, 'reset.bin');
  await assert.rejects(put(location, `bytes 0-${2 * Q - 1}/*`, data.subarray(0, 2 * Q), { 'x-emulator-fault': `reset-request-after:${Q + 100}` }));
  const status = await put(location, 'bytes */*');
  assert.equal(status.status, 308);
  assert.equal(status.header('range'), `bytes=0-${Q - 1}`);
  assert.equal((await put(location, `bytes ${Q}-${data.length - 1}/${data.length}`, data.subarray(Q))).status, 200);
  assert.deepEqual((await call(`${emulator.url}/bkt/reset.bin`)).body, data);
});

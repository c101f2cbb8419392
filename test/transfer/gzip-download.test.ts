/**
 * Objects stored with Content-Encoding: gzip: fetched as stored (parallel ranges, verified against the
 * stored CRC32C) and decompressed into the file or the stream by default, as gcloud storage cp does; kept as
 * stored with `decompress: false`; a stored object that is not valid gzip is a typed error and leaves no file;
 * a stream never ends short: bad gzip or a CRC32C mismatch ends it with a typed error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { MiB, harness, seededBytes, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  await h.close();
});

test('a gzip-stored object downloads in ranges, verified, and decompressed into the file', async () => {
  const text = Buffer.from('gcs-transfer '.repeat(400_000)); // ~5 MiB, compresses well
  const stored = Buffer.concat([gzipSync(text), seededBytes(0, 1)]);
  const incompressible = seededBytes(3 * MiB, 2);
  const storedBig = gzipSync(incompressible, { level: 0 }); // > 3 chunks of 1 MiB as stored
  await h.emulator.putObject('gzipped', 'text.gz', stored, { contentEncoding: 'gzip' });
  await h.emulator.putObject('gzipped', 'big.gz', storedBig, { contentEncoding: 'gzip' });
  const tm = h.manager({ chunkSize: MiB, concurrency: 3 });

  h.emulator.metrics.reset();
  const dest = join(h.dir, 'big.out');
  const result = await tm.downloadFile('gs://gzipped/big.gz', dest);
  assert.ok((await readFile(dest)).equals(incompressible), 'the file holds the decompressed bytes');
  assert.equal(result.bytes, storedBig.length);
  assert.equal(result.crc32c, crc32cToBase64(crc32c(storedBig)), 'the stored bytes were verified');
  assert.equal(result.validated, true);
  assert.deepEqual(result.decompressed, { encoding: 'gzip', bytes: incompressible.length });
  assert.ok((h.emulator.metrics.snapshot().requests.media ?? 0) >= 4, 'ranged, in parallel');

  const small = join(h.dir, 'text.out');
  await tm.downloadFile('gs://gzipped/text.gz', small);
  assert.ok((await readFile(small)).equals(text));
  assert.deepEqual((await readdir(h.dir)).filter((n) => n.includes('gcs-transfer')), [], 'no temporary files left');
});

test('decompress: false keeps the stored bytes', async () => {
  const stored = gzipSync(Buffer.from('keep me compressed'));
  await h.emulator.putObject('gzipped', 'keep.gz', stored, { contentEncoding: 'gzip' });
  const tm = h.manager({ chunkSize: MiB });
  const dest = join(h.dir, 'keep.gz');
  const result = await tm.downloadFile('gs://gzipped/keep.gz', dest, { decompress: false });
  assert.ok((await readFile(dest)).equals(stored));
  assert.equal(result.decompressed, undefined);
});

test('a gzip-stored object that is not gzip: a typed error, no file', async () => {
  await h.emulator.putObject('gzipped', 'liar.gz', Buffer.from('this is not gzip at all'), { contentEncoding: 'gzip' });
  const tm = h.manager({ chunkSize: MiB });
  const dest = join(h.dir, 'liar');
  await assert.rejects(tm.downloadFile('gs://gzipped/liar.gz', dest), { code: 'ERR_GCS_INVALID_RESPONSE', message: /not valid gzip/ });
  await assert.rejects(stat(dest), { code: 'ENOENT' });
  assert.deepEqual((await readdir(h.dir)).filter((n) => n.startsWith('liar')), []);
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** About half-compressible text (hex of random bytes): several 1 MiB ranges as stored. */
function hexText(bytes: number, seed: number): Buffer {
  return Buffer.from(seededBytes(bytes, seed).toString('hex'));
}

test('downloadToStream: a gzip-stored object of several ranges streams decompressed, verified as stored', async () => {
  const text = hexText(2 * MiB, 5);
  const stored = gzipSync(text);
  assert.ok(stored.length > 2 * MiB, 'more than two 1 MiB ranges as stored');
  await h.emulator.putObject('gzipped', 'stream.gz', stored, { contentEncoding: 'gzip' });
  const tm = h.manager({ chunkSize: MiB, concurrency: 2 });
  h.emulator.metrics.reset();
  const stream = tm.downloadToStream('gs://gzipped/stream.gz');
  assert.ok((await readAll(stream)).equals(text));
  const result = await stream.result;
  assert.equal(result.bytes, stored.length);
  assert.equal(result.crc32c, crc32cToBase64(crc32c(stored)));
  assert.equal(result.validated, true);
  assert.equal(result.parts, 3);
  assert.deepEqual(result.decompressed, { encoding: 'gzip', bytes: text.length });
  assert.equal(h.emulator.metrics.snapshot().requests.media, 3, 'ranged as stored');
});

test('downloadToStream with decompress: false yields the stored bytes; identity objects are untouched', async () => {
  const stored = gzipSync(hexText(MiB, 6));
  await h.emulator.putObject('gzipped', 'raw.gz', stored, { contentEncoding: 'gzip' });
  const tm = h.manager({ chunkSize: MiB });
  const stream = tm.downloadToStream('gs://gzipped/raw.gz', { decompress: false });
  assert.ok((await readAll(stream)).equals(stored));
  assert.equal((await stream.result).decompressed, undefined);
  // A .gz file stored as it is (no Content-Encoding) is data, never decompressed.
  await h.emulator.putObject('gzipped', 'plain.gz', stored);
  const plain = tm.downloadToStream('gs://gzipped/plain.gz');
  assert.ok((await readAll(plain)).equals(stored));
  assert.equal((await plain.result).decompressed, undefined);
  assert.throws(() => tm.downloadToStream('gs://gzipped/raw.gz', { decompress: 'no' as unknown as boolean }), {
    code: 'ERR_GCS_INVALID_ARG',
    message: /decompress/,
  });
});

test('downloadToStream: a gzip-stored object that is not gzip ends the stream with a typed error, after verifying it', async () => {
  const liar = seededBytes(2 * MiB + 5, 7);
  await h.emulator.putObject('gzipped', 'liar-stream.gz', liar, { contentEncoding: 'gzip' });
  const tm = h.manager({ chunkSize: MiB, concurrency: 2 });
  h.emulator.metrics.reset();
  const stream = tm.downloadToStream('gs://gzipped/liar-stream.gz');
  let delivered = 0;
  await assert.rejects(
    async () => {
      for await (const chunk of stream) delivered += (chunk as Buffer).length;
    },
    { code: 'ERR_GCS_INVALID_RESPONSE', message: /gs:\/\/gzipped\/liar-stream\.gz .*\(verified\) bytes are not valid gzip \(Z_DATA_ERROR\)/ },
  );
  assert.equal(delivered, 0, 'nothing that failed to decode reached the consumer');
  await assert.rejects(stream.result, { code: 'ERR_GCS_INVALID_RESPONSE' });
  assert.equal(h.emulator.metrics.snapshot().bytesOut, liar.length, 'the rest was fetched only to verify it');
  // A gzip cut short decodes until its end: the failure comes after the last stored byte, still typed.
  const text = hexText(MiB, 9);
  await h.emulator.putObject('gzipped', 'cut.gz', gzipSync(text).subarray(0, -6), { contentEncoding: 'gzip' });
  const cut = tm.downloadToStream('gs://gzipped/cut.gz');
  await assert.rejects(readAll(cut), { code: 'ERR_GCS_INVALID_RESPONSE', message: /\(verified\) bytes are not valid gzip/ });
  // Without checksums nothing could tell the transfer from the object: it stops at once and says so.
  const unchecked = tm.downloadToStream('gs://gzipped/liar-stream.gz', { checksum: false });
  await assert.rejects(readAll(unchecked), { code: 'ERR_GCS_INVALID_RESPONSE', message: /not verified/ });
});

test('downloadToStream: a corrupted range of a gzip-stored object is DataCorruption, never a short stream', async () => {
  const text = hexText(2 * MiB, 8);
  const stored = gzipSync(text);
  await h.emulator.putObject('gzipped', 'flipped.gz', stored, { contentEncoding: 'gzip' });
  const tm = h.manager({ chunkSize: MiB, concurrency: 1 });
  h.emulator.faults.add({ match: { op: 'media', bucket: 'gzipped' }, fault: 'flip-byte:777', skip: 1 });
  const stream = tm.downloadToStream('gs://gzipped/flipped.gz');
  await assert.rejects(readAll(stream), { code: 'ERR_GCS_DATA_CORRUPTION' });
  await assert.rejects(stream.result, { code: 'ERR_GCS_DATA_CORRUPTION' });
});

test('downloadToStream: a highly compressed object decompresses with bounded buffering', async () => {
  const zeros = Buffer.alloc(64 * MiB);
  const stored = gzipSync(zeros);
  await h.emulator.putObject('gzipped', 'zeros.gz', stored, { contentEncoding: 'gzip' });
  const tm = h.manager({ chunkSize: MiB });
  const stream = tm.downloadToStream('gs://gzipped/zeros.gz');
  let total = 0;
  let peak = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    peak = Math.max(peak, stream.readableLength);
  }
  assert.equal(total, zeros.length);
  // Gunzip waits for the consumer: what sits unread stays around zlib's 16 KiB pieces, not megabytes.
  assert.ok(peak <= 256 * 1024, `${peak} bytes buffered`);
});

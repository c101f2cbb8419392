/**
 * Objects stored with Content-Encoding: gzip: fetched as stored (parallel ranges, verified against the
 * stored CRC32C) and decompressed into the file by default, as gcloud storage cp does; kept as stored with
 * `decompress: false`; a stored object that is not valid gzip is a typed error and leaves no file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
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

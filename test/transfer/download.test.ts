import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import type { DownloadCheckpoint } from '../../src/transfer/options.js';
import type { ProgressSnapshot } from '../../src/transfer/progress.js';
import { MiB, exists, harness, seededBytes, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  await h.close();
});
beforeEach(() => h.emulator.reset());

const CHUNK = 1 * MiB;

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('byte-exact downloads to a file and to a stream for 0, 1, chunk-1, chunk, chunk+1 and 5 chunks + 3 bytes', async () => {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 3 });
  for (const [i, size] of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 3].entries()) {
    const data = seededBytes(size, i);
    const put = await h.emulator.putObject('dlt', `sizes/${size}`, data);
    const dest = join(h.dir, `sizes-${size}`);
    const result = await tm.downloadFile(`gs://dlt/sizes/${size}`, dest);
    assert.ok((await readFile(dest)).equals(data), `file bytes for size ${size}`);
    assert.equal(await exists(`${dest}.gcs-transfer.partial`), false);
    assert.deepEqual(result, {
      bucket: 'dlt',
      name: `sizes/${size}`,
      bytes: size,
      crc32c: crc32cToBase64(crc32c(data)),
      validated: true,
      // An empty object is discovered through a 416 `bytes */0`, which carries no generation.
      generation: size === 0 ? undefined : put.generation,
      parts: Math.ceil(size / CHUNK),
      elapsedMs: result.elapsedMs,
    });
    assert.ok((await readStream(tm.downloadToStream({ bucket: 'dlt', name: `sizes/${size}` }))).equals(data), `stream bytes for size ${size}`);
  }
});

test('small objects finish in the discovery request; the first chunk is never fetched twice', async () => {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 4 });
  await h.emulator.putObject('dlt', 'small', seededBytes(CHUNK, 7));
  await h.emulator.putObject('dlt', 'big', seededBytes(6 * CHUNK, 8));
  await tm.downloadFile('gs://dlt/small', join(h.dir, 'small'));
  const small = h.emulator.metrics.snapshot();
  assert.equal(small.requests.media, 1);
  assert.equal(small.requests.metadata, 0, 'no separate metadata request');
  h.emulator.reset();
  await tm.downloadFile('gs://dlt/big', join(h.dir, 'big'));
  const big = h.emulator.metrics.snapshot();
  assert.equal(big.requests.media, 6);
  assert.equal(big.bytesOut, 6 * CHUNK, 'every byte sent exactly once');
});

test('the number of ranged GETs in flight never exceeds concurrency, and the window stays full', async () => {
  const data = seededBytes(24 * CHUNK, 9);
  await h.emulator.putObject('dlt', 'window', data);
  for (const concurrency of [1, 3, 8]) {
    h.emulator.reset();
    const tm = h.manager({ chunkSize: CHUNK, concurrency });
    const dest = join(h.dir, `window-${concurrency}`);
    await tm.downloadFile('gs://dlt/window', dest);
    const { peakConcurrentByOp } = h.emulator.metrics.snapshot();
    assert.ok(peakConcurrentByOp.media <= concurrency, `peak ${peakConcurrentByOp.media} > ${concurrency}`);
    if (concurrency > 1) assert.ok(peakConcurrentByOp.media >= 2, `peak ${peakConcurrentByOp.media}: no parallelism`);
    assert.ok((await readFile(dest)).equals(data));
  }
  h.emulator.reset();
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 4 });
  assert.ok((await readStream(tm.downloadToStream('gs://dlt/window'))).equals(data));
  assert.ok(h.emulator.metrics.snapshot().peakConcurrentByOp.media <= 4);
});

test('names with slashes, spaces, #, %, + and unicode', async () => {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 2 });
  for (const name of ['dir/sub/a b#c%d+e.bin', '100%.bin', 'ünïcødé/ファイル #1.bin', 'q?x=1&y.bin']) {
    const data = seededBytes(2 * CHUNK + 11, name.length);
    await h.emulator.putObject('dlt', name, data);
    const dest = join(h.dir, 'named');
    const result = await tm.downloadFile({ bucket: 'dlt', name }, dest);
    assert.equal(result.name, name);
    assert.ok((await readFile(dest)).equals(data), name);
  }
});

test('a requested generation is the one read; one that no longer exists is a NotFound and leaves no file', async () => {
  const tm = h.manager({ chunkSize: CHUNK });
  const old = seededBytes(2 * CHUNK, 10);
  const first = await h.emulator.putObject('dlt', 'versioned', old);
  const pinned = await tm.downloadFile({ bucket: 'dlt', name: 'versioned', generation: first.generation }, join(h.dir, 'v'));
  assert.equal(pinned.generation, first.generation);
  assert.ok((await readFile(join(h.dir, 'v'))).equals(old));
  await h.emulator.putObject('dlt', 'versioned', seededBytes(2 * CHUNK, 11));
  await unlink(join(h.dir, 'v'));
  // Without versioning the old generation is gone: asking for it is a NotFound, not the new bytes.
  await assert.rejects(tm.downloadFile({ bucket: 'dlt', name: 'versioned', generation: first.generation }, join(h.dir, 'v')), {
    code: 'ERR_GCS_NOT_FOUND',
  });
  assert.equal(await exists(join(h.dir, 'v')), false);
  assert.equal(await exists(join(h.dir, 'v.gcs-transfer.partial')), false);
});

test('progress: totals known after discovery, bytes and parts only grow, a final snapshot at the end', async () => {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 2 });
  await h.emulator.putObject('dlt', 'progress', seededBytes(8 * CHUNK, 12));
  const seen: ProgressSnapshot[] = [];
  await tm.downloadFile('gs://dlt/progress', join(h.dir, 'progress'), { onProgress: (p) => seen.push(p) });
  const last = seen.at(-1);
  assert.deepEqual({ ...last, elapsedMs: 0 }, { bytesDone: 8 * CHUNK, bytesTotal: 8 * CHUNK, partsDone: 8, partsTotal: 8, elapsedMs: 0 });
  // The size comes with the first bytes of discovery, so no snapshot shows bytes without a total.
  assert.ok(seen.every((p) => p.bytesTotal === 8 * CHUNK), JSON.stringify(seen));
  for (let i = 1; i < seen.length; i++) {
    assert.ok((seen[i] as ProgressSnapshot).bytesDone >= (seen[i - 1] as ProgressSnapshot).bytesDone);
    assert.ok((seen[i] as ProgressSnapshot).partsDone >= (seen[i - 1] as ProgressSnapshot).partsDone);
  }
});

test('checkpoints, then a resume that fetches only the missing ranges into the kept partial file', async () => {
  const tm = h.manager({ chunkSize: CHUNK, concurrency: 2 });
  const data = seededBytes(6 * CHUNK + 100, 13);
  const put = await h.emulator.putObject('dlt', 'resumable', data);
  const dest = join(h.dir, 'resumable');
  const events: DownloadCheckpoint[] = [];
  // Range 4 (the 5th request) fails for good, after a few ranges have landed.
  h.emulator.faults.add({ match: { op: 'media', object: 'resumable' }, fault: 'status:400', skip: 4, times: 1 });
  await assert.rejects(
    tm.downloadFile('gs://dlt/resumable', dest, { keepPartial: true, onCheckpoint: (e) => events.push(e) }),
    { code: 'ERR_GCS_INVALID_RESPONSE' },
  );
  assert.equal(await exists(dest), false, 'nothing at the destination');
  assert.equal(await exists(`${dest}.gcs-transfer.partial`), true, 'partial kept for resume');
  const discovered = events[0];
  assert.deepEqual(discovered, { type: 'discovered', size: data.length, generation: put.generation, crc32c: put.crc32c });
  const ranges = events.filter((e) => e.type === 'range');
  assert.ok(ranges.length >= 2 && ranges.length < 7, `${ranges.length} ranges done`);
  for (const range of ranges) {
    assert.equal(range.crc32c, crc32c(data.subarray(range.start, range.end)), `crc of [${range.start}, ${range.end})`);
  }
  h.emulator.reset();
  const resumed = await tm.downloadFile('gs://dlt/resumable', dest, {
    resumeFrom: { generation: put.generation, ranges: ranges.map(({ start, end, crc32c }) => ({ start, end, crc32c })) },
  });
  assert.ok((await readFile(dest)).equals(data));
  assert.equal(resumed.validated, true);
  const doneBytes = ranges.reduce((n, r) => n + r.end - r.start, 0);
  const { bytesOut } = h.emulator.metrics.snapshot();
  // Plus at most one byte: when only a tail is missing, discovery starts one byte early.
  assert.ok(bytesOut - (data.length - doneBytes) <= 1 && bytesOut >= data.length - doneBytes, `fetched ${bytesOut} bytes`);
});

test('a resume whose ranges cover everything but the tail re-reads one byte to discover, and works when all is done', async () => {
  const tm = h.manager({ chunkSize: CHUNK });
  const data = seededBytes(3 * CHUNK, 14);
  const put = await h.emulator.putObject('dlt', 'tail', data);
  const dest = join(h.dir, 'tail');
  const events: DownloadCheckpoint[] = [];
  await tm.downloadFile('gs://dlt/tail', dest, { onCheckpoint: (e) => events.push(e) });
  // Ranges complete in any order; sorted, the first two are the first 2 × CHUNK bytes.
  const ranges = events
    .flatMap((e) => (e.type === 'range' ? [{ start: e.start, end: e.end, crc32c: e.crc32c }] : []))
    .sort((a, b) => a.start - b.start);
  // Rebuild a partial file holding every range (as a crash just before the rename would leave it).
  await writeFile(`${dest}.gcs-transfer.partial`, await readFile(dest));
  h.emulator.reset();
  const all = await tm.downloadFile('gs://dlt/tail', dest, { resumeFrom: { generation: put.generation, ranges } });
  assert.equal(all.validated, true);
  assert.equal(h.emulator.metrics.snapshot().bytesOut, 1);
  assert.ok((await readFile(dest)).equals(data));
  // Now only the first two ranges are done.
  await writeFile(`${dest}.gcs-transfer.partial`, data.subarray(0, 2 * CHUNK));
  h.emulator.reset();
  await tm.downloadFile('gs://dlt/tail', dest, { resumeFrom: { generation: put.generation, ranges: ranges.slice(0, 2) } });
  assert.ok((await readFile(dest)).equals(data));
  assert.equal(h.emulator.metrics.snapshot().bytesOut, CHUNK + 1);
});

test('resume refuses a changed object, overlapping ranges and a missing partial file', async () => {
  const tm = h.manager({ chunkSize: CHUNK });
  const data = seededBytes(2 * CHUNK, 15);
  const put = await h.emulator.putObject('dlt', 'changed', data);
  const dest = join(h.dir, 'changed');
  await writeFile(`${dest}.gcs-transfer.partial`, data.subarray(0, CHUNK));
  await h.emulator.putObject('dlt', 'changed', seededBytes(2 * CHUNK, 16));
  const ranges = [{ start: 0, end: CHUNK, crc32c: crc32c(data.subarray(0, CHUNK)) }];
  await assert.rejects(tm.downloadFile('gs://dlt/changed', dest, { resumeFrom: { generation: put.generation, ranges } }), {
    code: 'ERR_GCS_SOURCE_CHANGED',
  });
  assert.equal(await exists(dest), false);
  await assert.rejects(
    tm.downloadFile('gs://dlt/changed', dest, {
      resumeFrom: { generation: put.generation, ranges: [...ranges, { start: 10, end: 20, crc32c: 1 }] },
    }),
    { code: 'ERR_GCS_INVALID_ARG', message: /overlaps/ },
  );
  await assert.rejects(tm.downloadFile('gs://dlt/changed', join(h.dir, 'nothing'), { resumeFrom: { generation: '1', ranges: [] } }), {
    code: 'ERR_GCS_INVALID_ARG',
    message: /partial does not exist/,
  });
});

test('bad arguments are InvalidArgumentErrors before any request', async () => {
  const tm = h.manager();
  await assert.rejects(tm.downloadFile('http://x/y', join(h.dir, 'x')), { code: 'ERR_GCS_INVALID_ARG', message: /gs:\/\/bucket\/object/ });
  await assert.rejects(tm.downloadFile('gs://dlt/x', join(h.dir, 'x'), { concurrency: 0 }), { code: 'ERR_GCS_INVALID_ARG', message: /concurrency/ });
  await assert.rejects(tm.downloadFile('gs://dlt/x', join(h.dir, 'x'), { chunkSize: 1.5 }), { code: 'ERR_GCS_INVALID_ARG', message: /chunkSize/ });
  assert.throws(() => tm.downloadToStream('gs://dlt/x', { readWindow: 0 }), { code: 'ERR_GCS_INVALID_ARG', message: /readWindow/ });
  assert.throws(() => tm.downloadToStream('gs://dlt/x', { keepPartial: true }), { code: 'ERR_GCS_INVALID_ARG' });
  assert.equal(h.emulator.metrics.snapshot().requests.media, 0);
});

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import type { UploadCheckpoint } from '../../src/transfer/options.js';
import type { ProgressSnapshot } from '../../src/transfer/progress.js';
import { MiB, harness, objectBytes, seededBytes, uploadIsOpen, writeSeededFile, type Harness } from './helpers.js';

let h: Harness;
/** One manager for the file: its worker threads start once. Tests override chunkSize/concurrency per call. */
let tm: ReturnType<Harness['manager']>;
before(async () => {
  h = await harness();
  tm = h.manager({ chunkSize: PART, concurrency: 3 });
});
after(async () => {
  await h.close();
});
beforeEach(() => h.emulator.reset());

/** The smallest part size GCS accepts, so multipart tests stay small. */
const PART = 5 * MiB;

/** A stream that yields `data` in awkward piece sizes. */
function irregular(data: Buffer): Readable {
  const pieces: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = [1, 65_537, 3 * MiB + 5, 17, 700_000][i % 5] as number;
    pieces.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(pieces);
}

test('byte-exact uploads from a file and from a stream for 0, 1, part-1, part, part+1 and 3 parts + 7 bytes', async () => {
  for (const [i, size] of [0, 1, PART - 1, PART, PART + 1, 3 * PART + 7].entries()) {
    const path = join(h.dir, `up-${size}`);
    const data = await writeSeededFile(path, size, 100 + i);
    const expectedCrc = crc32cToBase64(crc32c(data));
    const fromFile = await tm.uploadFile(path, `gs://upl/file/${size}`);
    assert.ok((await objectBytes(h.emulator, 'upl', `file/${size}`)).equals(data), `file upload of ${size}`);
    const multipart = size > PART;
    assert.deepEqual(
      { ...fromFile, elapsedMs: 0, generation: 'g', uploadId: multipart ? 'id' : undefined },
      {
        bucket: 'upl',
        name: `file/${size}`,
        bytes: size,
        crc32c: expectedCrc,
        validated: true,
        generation: 'g',
        uploadId: multipart ? 'id' : undefined,
        parts: multipart ? Math.ceil(size / PART) : 1,
        elapsedMs: 0,
        method: multipart ? 'multipart' : 'single',
      },
    );
    assert.match(fromFile.generation ?? '', /^\d+$/);
    const fromStream = await tm.uploadStream(irregular(data), `gs://upl/stream/${size}`);
    assert.ok((await objectBytes(h.emulator, 'upl', `stream/${size}`)).equals(data), `stream upload of ${size}`);
    assert.equal(fromStream.crc32c, expectedCrc);
    assert.equal(fromStream.bytes, size);
    assert.equal(fromStream.method, multipart ? 'multipart' : 'single');
  }
});

test('parts in flight never exceed concurrency, file and stream alike', async () => {
  const path = join(h.dir, 'window');
  const data = await writeSeededFile(path, 8 * PART + 3, 200);
  for (const concurrency of [1, 3]) {
    h.emulator.reset();
    await tm.uploadFile(path, `gs://upl/window-${concurrency}`, { concurrency });
    const file = h.emulator.metrics.snapshot();
    assert.equal(file.requests['mpu-upload-part'], 9);
    assert.ok(file.peakConcurrentByOp['mpu-upload-part'] <= concurrency, `file peak ${file.peakConcurrentByOp['mpu-upload-part']}`);
    if (concurrency > 1) assert.ok(file.peakConcurrentByOp['mpu-upload-part'] >= 2, 'no parallelism');
    h.emulator.reset();
    await tm.uploadStream(Readable.from([data]), `gs://upl/window-s-${concurrency}`, { concurrency });
    const stream = h.emulator.metrics.snapshot();
    assert.ok(stream.peakConcurrentByOp['mpu-upload-part'] <= concurrency);
    assert.ok((await objectBytes(h.emulator, 'upl', `window-s-${concurrency}`)).equals(data));
  }
});

test('content type, custom metadata, and names with slashes, spaces, #, %, + and unicode', async () => {
  const path = join(h.dir, 'named');
  for (const [i, name] of ['dir/sub/a b#c%d+e.bin', '100%.bin', 'ünïcødé/ファイル #1.bin'].entries()) {
    const data = await writeSeededFile(path, i === 0 ? 10 : 2 * PART + 1, 300 + i);
    await tm.uploadFile(path, { bucket: 'upl', name }, { contentType: 'text/x-test', metadata: { origin: 'test-suite' } });
    const response = await fetch(`${h.emulator.url}/upl/${name.split('/').map(encodeURIComponent).join('/')}`);
    assert.equal(response.status, 200, name);
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(data), name);
    assert.equal(response.headers.get('content-type'), 'text/x-test');
    assert.equal(response.headers.get('x-goog-meta-origin'), 'test-suite');
  }
});

test('singleRequestThreshold decides between one request and a multipart upload', async () => {
  const path = join(h.dir, 'threshold');
  await writeSeededFile(path, 3 * MiB, 400);
  assert.equal((await tm.uploadFile(path, 'gs://upl/t1', { singleRequestThreshold: 1 * MiB })).method, 'multipart');
  assert.equal((await tm.uploadFile(path, 'gs://upl/t2', { singleRequestThreshold: 3 * MiB })).method, 'single');
  const { requests } = h.emulator.metrics.snapshot();
  assert.equal(requests['upload-multipart'], 1);
  assert.equal(requests['mpu-initiate'], 1);
});

test('ifGenerationMatch: 0 writes only a new object — atomically in one request, checked before and after the parts of a multipart upload', async () => {
  const path = join(h.dir, 'noclobber');
  const data = await writeSeededFile(path, 2 * PART + 3, 450);
  const theirs = Buffer.from('written by someone else');
  await h.emulator.putObject('upl', 'taken-small', theirs);
  await h.emulator.putObject('upl', 'taken-big', theirs);
  h.emulator.metrics.reset();

  // One request: the service applies the precondition itself.
  await assert.rejects(tm.uploadFile(path, 'gs://upl/taken-small', { ifGenerationMatch: 0, singleRequestThreshold: 3 * PART }), { code: 'ERR_GCS_PRECONDITION_FAILED' });
  // Multipart: refused before a single part is sent.
  await assert.rejects(tm.uploadFile(path, 'gs://upl/taken-big', { ifGenerationMatch: '0' }), { code: 'ERR_GCS_PRECONDITION_FAILED', message: /only if it does not exist/ });
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-initiate'], 0);
  assert.ok((await objectBytes(h.emulator, 'upl', 'taken-small')).equals(theirs));
  assert.ok((await objectBytes(h.emulator, 'upl', 'taken-big')).equals(theirs));

  // Another writer creates the object while the parts are on their way (their answers are held back 300 ms,
  // so that write is surely stored before the upload completes): the upload is cancelled, theirs stays.
  h.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'stall-headers:300', times: 3 });
  let raced: Promise<unknown> | undefined;
  const racing = tm.uploadFile(path, 'gs://upl/raced', {
    ifGenerationMatch: 0,
    onCheckpoint: (event) => {
      if (event.type === 'initiated') raced ??= h.emulator.putObject('upl', 'raced', theirs);
    },
  });
  await assert.rejects(racing, (error: Error & { code?: string; cleanup?: string; cause?: { code?: string } }) => {
    assert.equal(error.code, 'ERR_GCS_MPU_FAILED');
    assert.equal(error.cause?.code, 'ERR_GCS_PRECONDITION_FAILED');
    assert.equal(error.cleanup, 'aborted');
    return true;
  });
  await raced;
  assert.ok((await objectBytes(h.emulator, 'upl', 'raced')).equals(theirs));

  // Free names are written, both ways.
  assert.equal((await tm.uploadFile(path, 'gs://upl/free-small', { ifGenerationMatch: 0, singleRequestThreshold: 3 * PART })).method, 'single');
  assert.equal((await tm.uploadFile(path, 'gs://upl/free-big', { ifGenerationMatch: 0 })).method, 'multipart');
  assert.ok((await objectBytes(h.emulator, 'upl', 'free-big')).equals(data));
  await assert.rejects(tm.uploadFile(path, 'gs://upl/x', { ifGenerationMatch: 'latest' }), { code: 'ERR_GCS_INVALID_ARG', message: /ifGenerationMatch/ });
});

test('progress and checkpoints of a multipart upload', async () => {
  const path = join(h.dir, 'progress');
  const data = await writeSeededFile(path, 4 * PART + 9, 500);
  const seen: ProgressSnapshot[] = [];
  const events: UploadCheckpoint[] = [];
  const result = await tm.uploadFile(path, 'gs://upl/progress', { onProgress: (p) => seen.push(p), onCheckpoint: (e) => events.push(e) });
  const last = seen.at(-1) as ProgressSnapshot;
  assert.deepEqual({ ...last, elapsedMs: 0 }, { bytesDone: data.length, bytesTotal: data.length, partsDone: 5, partsTotal: 5, elapsedMs: 0 });
  assert.ok(seen.every((p) => p.bytesDone <= data.length));
  assert.deepEqual(events[0], { type: 'initiated', uploadId: result.uploadId, partSize: PART });
  const parts = events.filter((e) => e.type === 'part');
  assert.deepEqual(
    parts.map((p) => p.partNumber).sort((a, b) => a - b),
    [1, 2, 3, 4, 5],
  );
  for (const part of parts) {
    const start = (part.partNumber - 1) * PART;
    assert.equal(part.crc32c, crc32cToBase64(crc32c(data.subarray(start, start + part.size))));
  }
});

test('a few hundred MiB round trip through file upload and parallel download, byte-exact', async () => {
  const size = 200 * MiB + 12_345;
  const path = join(h.dir, 'large');
  const data = await writeSeededFile(path, size, 600);
  const up = await tm.uploadFile(path, 'gs://upl/large.bin', { chunkSize: 16 * MiB, concurrency: 8 });
  assert.equal(up.parts, 13);
  assert.equal(up.validated, true);
  const dest = join(h.dir, 'large.out');
  const down = await tm.downloadFile('gs://upl/large.bin', dest, { chunkSize: 16 * MiB, concurrency: 8 });
  assert.equal(down.crc32c, up.crc32c);
  assert.equal(down.validated, true);
  assert.ok((await readFile(dest)).equals(data));
});

test('uploadStream from a Readable that errors rejects and cancels the upload', async () => {
  const events: UploadCheckpoint[] = [];
  async function* failing(): AsyncGenerator<Buffer> {
    yield seededBytes(2 * PART + 1, 700);
    throw new Error('source broke');
  }
  await assert.rejects(tm.uploadStream(Readable.from(failing()), 'gs://upl/broken', { onCheckpoint: (e) => events.push(e) }), {
    code: 'ERR_GCS_MPU_FAILED',
    cleanup: 'aborted',
    message: /source broke/,
  });
  const initiated = events[0];
  assert.equal(initiated?.type, 'initiated');
  assert.equal(await uploadIsOpen(h.emulator, 'upl', 'broken', (initiated as { uploadId: string }).uploadId), false);
});

test('bad arguments are InvalidArgumentErrors before any request', async () => {
  const path = join(h.dir, 'args');
  await writeSeededFile(path, 10, 800);
  const cases: [() => Promise<unknown>, RegExp][] = [
    [() => tm.uploadFile(path, 'gs:/upl/x'), /`destination`/],
    [() => tm.uploadFile(path, 'gs://upl/x', { contentType: 'a\nb' }), /contentType/],
    [() => tm.uploadFile(path, 'gs://upl/x', { metadata: { 'bad key': 'v' } }), /metadata/],
    [() => tm.uploadFile(path, 'gs://upl/x', { singleRequestThreshold: -1 }), /singleRequestThreshold/],
    [() => tm.uploadFile(path, 'gs://upl/x', { checksum: false, requireValidation: true }), /requireValidation/],
    [() => tm.uploadStream(Readable.from([]), 'gs://upl/x', { resumeFrom: { uploadId: 'u' } }), /uploadFile/],
    [() => tm.uploadStream(42 as unknown as Readable, 'gs://upl/x'), /`source`/],
  ];
  for (const [start, message] of cases) await assert.rejects(start(), { code: 'ERR_GCS_INVALID_ARG', message });
  const { requests } = h.emulator.metrics.snapshot();
  assert.equal(Object.values(requests).reduce((a, b) => a + b, 0), 0);
});

test('a missing, unreadable or non-regular source is a LocalIOError (path, syscall, errno) before any request', async () => {
  const unreadable = join(h.dir, 'unreadable');
  await writeSeededFile(unreadable, 6 * MiB, 801);
  await chmod(unreadable, 0o000);
  const cases: [string, string][] = [
    [join(h.dir, 'missing'), 'ENOENT'],
    [h.dir, 'EISDIR'],
    ...(process.getuid?.() === 0 ? [] : [[unreadable, 'EACCES'] as [string, string]]),
  ];
  for (const [path, errno] of cases) {
    await assert.rejects(tm.uploadFile(path, 'gs://upl/x'), { code: 'ERR_GCS_LOCAL_IO', path, errno });
  }
  const { requests } = h.emulator.metrics.snapshot();
  assert.equal(Object.values(requests).reduce((a, b) => a + b, 0), 0, 'no multipart upload started');
});

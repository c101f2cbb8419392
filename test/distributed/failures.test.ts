/**
 * A failed task fails its object, not the job: the other objects complete, the failed ones are listed with
 * their reasons, a multipart upload whose part failed for good is cancelled, `cp --queue --wait` and `status`
 * exit 3, and an object name that would escape the destination directory is refused, not written.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { getTransferStatus } from '../../src/distributed/index.js';
import { bytes } from '../emulator/helpers.js';
import { cli } from './cli-io.js';
import { setUp } from './in-process.js';
import { REDIS_SKIP_MESSAGE, haveRedis } from './redis.js';

const MiB = 1024 * 1024;
const skip = haveRedis() ? false : REDIS_SKIP_MESSAGE;

test('failures: each failed object is listed, its upload cancelled, the rest completes; exit 3', { skip, timeout: 60_000 }, async (t) => {
  const events: string[] = [];
  const { redis, emulator, root } = await setUp(t, { concurrency: 4, onEvent: (e) => events.push(e.type === 'failed' ? e.task : e.type === 'error' ? e.message : e.type) });
  await mkdir(join(root, 'src'));
  await writeFile(join(root, 'src', 'refused-1.bin'), bytes(300_000, 1));
  await writeFile(join(root, 'src', 'refused-2.bin'), bytes(1000, 2));
  await writeFile(join(root, 'src', 'big-refused.bin'), bytes(6 * MiB, 3));
  await writeFile(join(root, 'src', 'big-good.bin'), bytes(6 * MiB, 4));
  // Permanent refusals (403 / 400 are not retried): every single-request upload (the small files), and every
  // part of one of the large files.
  emulator.faults.add({ match: { op: 'upload-multipart' }, fault: 'status:403', times: 1000 });
  emulator.faults.add({ match: { op: 'mpu-upload-part', object: 'up/src/big-refused.bin' }, fault: 'status:400', times: 1000 });

  const run = await cli(['cp', '-r', 'src', 'gs://bucket-f/up', '--queue', redis.url, '--job', 'f-1', '--endpoint', emulator.url, '--chunk-size', '5MiB', '--wait', '--interval', '100ms'], root);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /state: {4}failed/);
  assert.match(run.stderr, /failed: {3}gs:\/\/bucket-f\/up\/src\/refused-1\.bin: .*403.*\[ERR_GCS_/);
  assert.match(run.stderr, /failed: {3}gs:\/\/bucket-f\/up\/src\/big-refused\.bin: .*parts were uploaded/);

  const status = await getTransferStatus(redis.url, 'f-1');
  assert.equal(status.state, 'failed');
  assert.equal(status.objectsDone, 1);
  assert.equal(status.objectsFailed, 3);
  assert.deepEqual(
    status.failures.map((f) => f.name).sort(),
    ['gs://bucket-f/up/src/big-refused.bin', 'gs://bucket-f/up/src/refused-1.bin', 'gs://bucket-f/up/src/refused-2.bin'],
  );
  // The failed multipart upload was cancelled: the emulator holds no staged part.
  assert.equal(emulator.metrics.snapshot().requests['mpu-abort'], 1);
  assert.deepEqual(await readdir(join(emulator.dir, 'tmp')), []);
  // The good object is there.
  for (const name of ['big-good.bin']) {
    const response = await request(`${emulator.url}/download/storage/v1/b/bucket-f/o/up%2Fsrc%2F${name}?alt=media`);
    assert.ok(Buffer.from(await response.body.arrayBuffer()).equals(await readFile(join(root, 'src', name))), name);
  }
  const shown = await cli(['status', '--queue', redis.url, '--job', 'f-1'], root);
  assert.equal(shown.code, 3);
  assert.match(shown.stdout, /objects: {2}1 done, 3 failed, 4 total/);
  assert.ok(events.includes('finalize-upload') && events.includes('object'), events.join(', '));
});

test('download: an object name that would leave the destination is refused and listed; the rest lands', { skip, timeout: 60_000 }, async (t) => {
  const { redis, emulator, root } = await setUp(t);
  await emulator.putObject('bucket-n', 'p/ok/a.txt', 'fine');
  await emulator.putObject('bucket-n', 'p/x/../../escape.txt', 'must not leave the directory');
  await emulator.putObject('bucket-n', 'p/folder/', '');
  const run = await cli(['cp', '-r', 'gs://bucket-n/p', 'out', '--queue', redis.url, '--job', 'n-1', '--endpoint', emulator.url, '--wait', '--interval', '100ms'], root);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /p\/x\/\.\.\/\.\.\/escape\.txt: The object name does not map to a safe local path/);
  assert.equal(await readFile(join(root, 'out', 'p', 'ok', 'a.txt'), 'utf8'), 'fine');
  assert.deepEqual((await readdir(root)).sort(), ['out']);
  assert.deepEqual((await readdir(join(root, 'out'))).sort(), ['p']);
  assert.deepEqual((await readdir(join(root, 'out', 'p'))).sort(), ['ok']);
});

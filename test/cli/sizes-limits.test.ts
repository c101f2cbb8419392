/**
 * Range and part sizes through the built bin: a download never makes ranges below the documented minimum
 * (256 KiB), an upload says in one line when its part size is raised, and values out of range are usage
 * errors naming the flag and the accepted range.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { MIN_DOWNLOAD_RANGE } from '../../src/transfer/options.js';
import { runBin } from './bin.js';

let emulator: Emulator;
let dir: string;

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'cli-sizes-'));
});

after(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

test('--chunk-size 1 on a download: 256 KiB ranges, said once', async () => {
  assert.equal(MIN_DOWNLOAD_RANGE, 256 * 1024);
  const data = randomBytes(1024 * 1024);
  await emulator.putObject('sizes', 'one-mib', data);
  emulator.metrics.reset();
  const run = await runBin(['cp', '--endpoint', emulator.url, '--chunk-size', '1', 'gs://sizes/one-mib', join(dir, 'one-mib')]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr.match(/range size raised from 1 B to 256 KiB, the smallest download range/g)?.length, 1, run.stderr);
  assert.equal(emulator.metrics.snapshot().requests.media, 4);
  assert.ok((await readFile(join(dir, 'one-mib'))).equals(data));
});

test('an upload whose part size is raised says so in one line', async () => {
  await writeFile(join(dir, 'six.bin'), randomBytes(6 * 1024 * 1024));
  const run = await runBin(['cp', '--endpoint', emulator.url, '--chunk-size', '1k', join(dir, 'six.bin'), 'gs://sizes/six.bin'], {
    env: { GCS_TRANSFER_STATE_DIR: join(dir, 'state') },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr.match(/part size raised from 1\.0 KiB to 5\.0 MiB: GCS multipart parts are at least 5 MiB/g)?.length, 1, run.stderr);
});

test('out-of-range values name the flag and the accepted range', async () => {
  const cases: [string[], RegExp][] = [
    [['--chunk-size', '6GiB'], /--chunk-size: expected a size from 1 byte to 5GiB \(GCS's largest part\), got '6GiB'/],
    [['--chunk-size', '0'], /--chunk-size: expected a size from 1 byte to 5GiB/],
    [['--read-timeout', '2000h'], /--read-timeout: expected a duration from 1ms to 24h, got '2000h'/],
    [['--max-retry-time', '25h'], /--max-retry-time: expected a duration from 0 to 24h, got '25h'/],
    [['-j', '1000'], /--concurrency: expected a whole number from 1 to 256, got '1000'/],
  ];
  for (const [flags, pattern] of cases) {
    const run = await runBin(['cp', ...flags, 'gs://sizes/o', join(dir, 'x')]);
    assert.equal(run.code, 2, flags.join(' '));
    assert.match(run.stderr, pattern);
  }
});

/** Uploads `file` with `--chunk-size chunk` while every part after the first fails for good: the state is kept. */
async function interruptedUpload(file: string, object: string, chunk: string, env: NodeJS.ProcessEnv): Promise<void> {
  emulator.faults.add({ match: { op: 'mpu-upload-part', object }, fault: 'status:503', skip: 1, times: 1000 });
  try {
    const run = await runBin(['cp', '--endpoint', emulator.url, '--chunk-size', chunk, '-j', '1', '--max-retry-time', '200ms', file, `gs://sizes/${object}`], { env });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /re-run the same command to resume/);
  } finally {
    emulator.faults.clear();
  }
}

test('a re-run with the same too-small --chunk-size resumes without a "keeping the part size" line', async () => {
  const env = { GCS_TRANSFER_STATE_DIR: join(dir, 'state') };
  const file = join(dir, 'same.bin');
  const data = randomBytes(3 * 5 * 1024 * 1024);
  await writeFile(file, data);
  await interruptedUpload(file, 'same.bin', '1MiB', env);
  const again = await runBin(['cp', '--endpoint', emulator.url, '--chunk-size', '1MiB', file, 'gs://sizes/same.bin'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /resuming: 5\.0 MiB of 15\.0 MiB recorded as uploaded/);
  // 1 MiB resolves to 5 MiB, the interrupted upload's own part size: nothing is being kept against the flag.
  assert.doesNotMatch(again.stderr, /keeping the interrupted upload's part size/);
  assert.doesNotMatch(again.stderr, /part size raised/, 'the resumed upload is not planned afresh');
  assert.ok(Buffer.from(await (await fetch(`${emulator.url}/sizes/same.bin`)).arrayBuffer()).equals(data));
});

test('a re-run with a genuinely different part size names both effective sizes', async () => {
  const env = { GCS_TRANSFER_STATE_DIR: join(dir, 'state') };
  const file = join(dir, 'other.bin');
  const data = randomBytes(13 * 1024 * 1024);
  await writeFile(file, data);
  await interruptedUpload(file, 'other.bin', '6MiB', env);
  const again = await runBin(['cp', '--endpoint', emulator.url, '--chunk-size', '1MiB', file, 'gs://sizes/other.bin'], { env });
  assert.equal(again.code, 0, again.stderr);
  const lines = again.stderr.match(/keeping the interrupted upload's part size.*/g) ?? [];
  assert.deepEqual(lines, ["keeping the interrupted upload's part size, 6.0 MiB, rather than 5.0 MiB (--chunk-size applies to new uploads)"]);
  assert.ok(Buffer.from(await (await fetch(`${emulator.url}/sizes/other.bin`)).arrayBuffer()).equals(data));
});

/**
 * The scale-out acceptance test: three `gcs-transfer worker` processes and a `cp -r --queue --wait` submitter on a
 * real redis-server and the emulator. A mixed tree (small files, an empty one, odd names, and a large file split
 * into parts) is uploaded while one worker is SIGKILLed holding a part task; BullMQ's stalled-job check must hand
 * the task to another worker. Every object must be byte-exact, no multipart upload may stay open, and the job
 * must be reported complete. The same tree is then downloaded back by the survivors (the large object in
 * ranges) while the worker holding a range is SIGKILLed too, and compared byte for byte.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Queue } from 'bullmq';
import { request } from 'undici';
import { TransferManager } from '../../src/transfer/transfer-manager.js';
import { startEmulator } from '../../src/emulator/index.js';
import { JobStore, KEY_PREFIX } from '../../src/distributed/job-state.js';
import { QUEUE_NAME } from '../../src/distributed/queue-names.js';
import { objectKey } from '../../src/distributed/job-spec.js';
import { bytes } from '../emulator/helpers.js';
import { startCli, runCliProcess, type CliRun } from '../hardening/cli-process.js';
import { REDIS_SKIP_MESSAGE, haveRedis, startRedis } from './redis.js';

const MiB = 1024 * 1024;
const skip = haveRedis() ? false : REDIS_SKIP_MESSAGE;

/** The tree: relative path → contents. */
function makeTree(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let i = 0; i < 18; i++) files.set(`small/${i % 3}/file-${i}.bin`, bytes(1 + ((i * 37_919) % 600_000), i + 1));
  files.set('empty.txt', Buffer.alloc(0));
  files.set('odd names/ünï cödé & spaces #1.txt', Buffer.from('odd names survive the round trip\n'));
  files.set('exactly-one-chunk.bin', bytes(5 * MiB, 77));
  files.set('one-byte-over.bin', bytes(5 * MiB + 1, 78));
  files.set('large/big.bin', bytes(40 * MiB + 3, 99));
  return files;
}

interface WorkerProcess {
  run: CliRun;
  id: string;
}

/** Starts a worker process (added to `runs` at once, so that cleanup finds it even if it never gets ready). */
async function startWorkerProcess(queue: string, runs: CliRun[]): Promise<WorkerProcess> {
  const run = startCli(['worker', '--queue', queue, '--lease', '2s', '--concurrency', '3']);
  runs.push(run);
  // Loading a worker takes seconds on a busy 2-core machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const id = /worker id ([0-9a-f-]+)/.exec(run.stderr)?.[1];
    if (id !== undefined) return { run, id };
    if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not start: ${run.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('scale-out: 3 workers, one SIGKILLed mid-part; byte-exact, no open upload, job complete; download back with another SIGKILL', { skip, timeout: 180_000 }, async (t) => {
  const redis = await startRedis();
  // Shaped so that parts take about a second each: the kill lands while parts are in flight.
  const emulator = await startEmulator({ shaping: { perConnectionBytesPerSec: 5 * MiB, aggregateBytesPerSec: 60 * MiB, firstByteDelayMs: 5 } });
  const root = await mkdtemp(join(tmpdir(), 'gcs-dist-'));
  const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port }, prefix: KEY_PREFIX });
  const runs: CliRun[] = [];
  // Registered before any process starts, whatever fails later: processes and clients go before their Redis.
  t.after(async () => {
    for (const run of runs) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    await Promise.all(runs.map((run) => run.exited));
    await queue.close();
    await redis.stop();
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  });
  // Workers start while the tree is written.
  const t0 = Date.now();
  const starting = Promise.all([0, 1, 2].map(() => startWorkerProcess(redis.url, runs)));
  const files = makeTree();
  for (const [rel, data] of files) {
    await mkdir(join(root, 'src', rel, '..'), { recursive: true });
    await writeFile(join(root, 'src', rel), data);
  }
  const workers = await starting;
  const client = await queue.client;

  const common = ['--queue', redis.url, '--endpoint', emulator.url, '--chunk-size', '5MiB', '--wait', '--interval', '200ms'];
  const submitter = startCli(['cp', '-r', join(root, 'src'), 'gs://bucket-1/data/', '--job', 'up-1', ...common]);
  runs.push(submitter);

  /** SIGKILLs the live worker that holds a running task of this kind, once such requests are on the wire. */
  const killHolderOf = async (task: 'part' | 'range', op: 'mpu-upload-part' | 'media', run: CliRun): Promise<WorkerProcess> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      assert.ok(Date.now() < deadline, `no worker ever held a ${task} task; submitter: ${run.stderr}`);
      if (emulator.metrics.snapshot().requests[op] > 0) {
        for (const job of await queue.getActive()) {
          if (job.name !== task) continue;
          const token = await client.get(`${KEY_PREFIX}:${QUEUE_NAME}:${job.id ?? ''}:lock`);
          const holder = workers.find((w) => w.run.child.exitCode === null && token?.startsWith(`${w.id}:`));
          if (holder === undefined) continue;
          holder.run.child.kill('SIGKILL');
          const killed = await holder.run.exited;
          assert.equal(killed.signal, 'SIGKILL');
          return holder;
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const victim = await killHolderOf('part', 'mpu-upload-part', submitter);
  t.diagnostic(`workers up and a part in flight, its worker killed, after ${Date.now() - t0} ms`);

  const killedAt = Date.now();
  const submitted = await submitter.exited;
  t.diagnostic(`job finished ${Date.now() - killedAt} ms after the kill`);
  assert.equal(submitted.code, 0, `cp --queue --wait failed:\n${submitted.stderr}`);
  assert.equal(submitted.stdout.trim(), 'up-1');
  assert.match(submitted.stderr, /state: {4}complete/);

  // Every object byte-exact (read back with the single-machine engine, many ranges at once).
  const statusRun = runCliProcess(['status', '--queue', redis.url, '--job', 'up-1', '--json']);
  {
    await using tm = new TransferManager({ endpoint: emulator.url, chunkSize: 5 * MiB });
    for (const [rel, data] of files) {
      const copy = join(root, 'check', rel);
      await mkdir(join(copy, '..'), { recursive: true });
      await tm.downloadFile(`gs://bucket-1/data/src/${rel}`, copy);
      assert.ok((await readFile(copy)).equals(data), `${rel}: the stored object differs from the file`);
    }
  }

  // No multipart upload left open: every upload the job started is gone (completed), it started no other,
  // and the emulator holds no staged parts.
  const uploads = await new JobStore(client, 'up-1').uploads();
  const multipart = ['one-byte-over.bin', 'large/big.bin'];
  assert.deepEqual(Object.keys(uploads).sort(), multipart.map(objectKey).sort(), 'the objects above the chunk size went multipart');
  assert.equal(emulator.metrics.snapshot().requests['mpu-initiate'], multipart.length);
  for (const rel of multipart) {
    const uploadId = uploads[objectKey(rel)] as string;
    const response = await request(`${emulator.url}/bucket-1/data/src/${rel}?uploadId=${encodeURIComponent(uploadId)}`);
    await response.body.dump();
    assert.equal(response.statusCode, 404, `the upload of ${rel} is still open`);
  }
  assert.deepEqual(await readdir(join(emulator.dir, 'tmp')), []);

  // The job is reported complete, with every object and byte counted once.
  const total = [...files.values()].reduce((sum, d) => sum + d.length, 0);
  const status = await statusRun;
  assert.equal(status.code, 0, status.stderr);
  const report = JSON.parse(status.stdout) as Record<string, unknown>;
  assert.equal(report['state'], 'complete');
  assert.equal(report['objectsTotal'], files.size);
  assert.equal(report['objectsDone'], files.size);
  assert.equal(report['objectsFailed'], 0);
  assert.equal(report['bytesTotal'], total);
  assert.equal(report['bytesDone'], total);

  t.diagnostic(`upload checked after ${Date.now() - t0} ms`);
  // Back down (gcloud's naming: the prefix's last segment is kept, as `cp -r` keeps the directory's): the large object in ranges written in place, renamed after the CRC check. The worker holding a
  // range is killed too; the last survivor re-runs the range, rewriting its offsets.
  emulator.reset();
  const downloader = startCli(['cp', '-r', 'gs://bucket-1/data/src', join(root, 'back'), '--job', 'down-1', ...common]);
  runs.push(downloader);
  const second = await killHolderOf('range', 'media', downloader);
  const back = await downloader.exited;
  assert.equal(back.code, 0, back.stderr);
  t.diagnostic(`download done after ${Date.now() - t0} ms`);
  for (const [rel, data] of files) {
    assert.ok((await readFile(join(root, 'back', 'src', rel))).equals(data), `${rel} downloaded differs`);
  }
  const leftovers = (await readdir(join(root, 'back'), { recursive: true })).filter((name) => String(name).endsWith('.partial'));
  assert.deepEqual(leftovers, []);

  // The survivor stops cleanly on SIGTERM: it finishes what it holds and exits 0.
  const survivors = workers.filter((w) => w !== victim && w !== second);
  assert.equal(survivors.length, 1);
  for (const w of survivors) w.run.child.kill('SIGTERM');
  for (const w of survivors) {
    const exit: { code: number | null; stderr: string } = await w.run.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stderr, /stopping/);
  }
  t.diagnostic(`workers stopped after ${Date.now() - t0} ms`);
});

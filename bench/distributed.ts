/**
 * A short measurement of distributed transfers, run by hand: `node --import tsx bench/distributed.ts`.
 * Needs `redis-server` on PATH. Two numbers:
 *
 * 1. Overhead per task: N tiny files uploaded (a) by one in-process TransferManager, 16 at a time, and (b) as a
 *    distributed job run by one in-process worker with 16 task slots, against an unshaped emulator. The
 *    difference divided by N is what Redis and BullMQ add to each task (enqueue, lease, completion, our
 *    counters), since the uploads themselves are the same.
 * 2. Throughput with 1, 2 and 3 worker processes (`gcs-transfer worker --concurrency 4`) uploading then
 *    downloading one large object in 8 MiB parts/ranges through the emulator's realistic profile (20 MiB/s per
 *    connection, 200 MiB/s in total, 30 ms to first byte), from submit to the job's end.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../src/emulator/index.js';
import { startWorker, submitTransfer, waitForTransfer } from '../src/distributed/index.js';
import { TransferManager } from '../src/transfer/transfer-manager.js';
import { startCli, type CliRun } from '../test/hardening/cli-process.js';
import { startRedis } from '../test/distributed/redis.js';
import { EmulatorProcess } from './emulator-process.js';
import { PROFILES } from './profiles.js';

const MiB = 1024 * 1024;
const TINY_FILES = 400;
const LARGE_MIB = 256;
const PART_MIB = 8;

const scratch = await mkdtemp(join(tmpdir(), 'gcs-dist-bench-'));
const redis = await startRedis();
try {
  await overhead();
  await throughput();
} finally {
  await redis.stop();
  await rm(scratch, { recursive: true, force: true });
}

async function overhead(): Promise<void> {
  const dir = join(scratch, 'tiny');
  await import('node:fs/promises').then((fs) => fs.mkdir(dir));
  for (let i = 0; i < TINY_FILES; i++) await writeFile(join(dir, `f-${i}`), `tiny file ${i}\n`);
  const emulator = await startEmulator();
  try {
    const tm = new TransferManager({ endpoint: emulator.url });
    const local0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < TINY_FILES; i = next++) await tm.uploadFile(join(dir, `f-${i}`), `gs://bench/local/f-${i}`);
      }),
    );
    const localMs = performance.now() - local0;
    await tm.close();

    const worker = await startWorker({ queue: redis.url, concurrency: 16 });
    const dist0 = performance.now();
    const { name } = await submitTransfer({ queue: redis.url, source: dir, destination: 'gs://bench/dist/', recursive: true, endpoint: emulator.url });
    const status = await waitForTransfer(redis.url, name, { intervalMs: 20 });
    const distMs = performance.now() - dist0;
    await worker.close();
    if (status.state !== 'complete') throw new Error(`overhead job ended ${status.state}`);
    const per = (ms: number): string => (ms / TINY_FILES).toFixed(2);
    console.log(`overhead: ${TINY_FILES} tiny uploads, 16 at a time, unshaped emulator`);
    console.log(`  in-process TransferManager: ${localMs.toFixed(0)} ms (${per(localMs)} ms per object)`);
    console.log(`  distributed, 1 worker:      ${distMs.toFixed(0)} ms (${per(distMs)} ms per object)`);
    console.log(`  overhead per task: ${per(distMs - localMs)} ms of wall time at 16 in flight; ${((distMs - localMs) * 16 / TINY_FILES).toFixed(1)} ms per task of latency`);
  } finally {
    await emulator.close();
  }
}

async function throughput(): Promise<void> {
  const file = join(scratch, 'large', 'big.bin');
  await import('node:fs/promises').then((fs) => fs.mkdir(join(scratch, 'large')));
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  await writeFile(file, Buffer.concat(Array.from({ length: LARGE_MIB }, () => block)));
  const emulator = await EmulatorProcess.start(PROFILES.realistic);
  const workers: CliRun[] = [];
  try {
    console.log(`throughput: one ${LARGE_MIB} MiB object in ${PART_MIB} MiB parts/ranges, realistic profile, workers with 4 task slots each`);
    for (let n = 1; n <= 3; n++) {
      while (workers.length < n) workers.push(startCli(['worker', '--queue', redis.url, '--concurrency', '4', '--quiet']));
      await new Promise((r) => setTimeout(r, n === 1 ? 4000 : 3000));
      const common = { queue: redis.url, endpoint: emulator.url, chunkSize: PART_MIB * MiB };
      const up0 = performance.now();
      const up = await submitTransfer({ ...common, source: file, destination: `gs://bench/w${n}/big.bin` });
      const upStatus = await waitForTransfer(redis.url, up.name, { intervalMs: 50 });
      const upS = (performance.now() - up0) / 1000;
      const down0 = performance.now();
      const down = await submitTransfer({ ...common, source: `gs://bench/w${n}/big.bin`, destination: join(scratch, `down-${n}.bin`) });
      const downStatus = await waitForTransfer(redis.url, down.name, { intervalMs: 50 });
      const downS = (performance.now() - down0) / 1000;
      if (upStatus.state !== 'complete' || downStatus.state !== 'complete') throw new Error('a throughput job failed');
      console.log(`  ${n} worker${n > 1 ? 's' : ' '}: upload ${(LARGE_MIB / upS).toFixed(0)} MiB/s (${upS.toFixed(1)} s), download ${(LARGE_MIB / downS).toFixed(0)} MiB/s (${downS.toFixed(1)} s)`);
      await rm(join(scratch, `down-${n}.bin`), { force: true });
    }
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await emulator.close();
  }
}

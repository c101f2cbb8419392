/** An in-process distributed setup for one test: Redis, an emulator, a scratch directory and one worker. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startEmulator } from '../../src/emulator/index.js';
import { startWorker, type TransferWorker, type WorkerOptions } from '../../src/distributed/index.js';
import { startRedis } from './redis.js';

/** Redis, an emulator and a scratch directory for one test; one in-process worker, stopped before Redis. */
export async function setUp(t: TestContext, workerOptions: Partial<WorkerOptions> = {}) {
  const redis = await startRedis();
  const emulator = await startEmulator();
  const root = await mkdtemp(join(tmpdir(), 'gcs-dist-fail-'));
  let worker: TransferWorker | undefined;
  t.after(async () => {
    await worker?.close();
    await redis.stop();
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  });
  worker = await startWorker({ queue: redis.url, leaseMs: 2000, ...workerOptions });
  return { redis, emulator, root };
}


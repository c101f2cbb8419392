/**
 * Listing does not run away from the transfers: with more tasks waiting than `maxBacklog`, listing tasks go
 * back to the queue (without spending an attempt) until the workers catch up, and the job still completes.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { getTransferStatus, submitTransfer, waitForTransfer } from '../../src/distributed/index.js';
import { setUp } from './in-process.js';
import { REDIS_SKIP_MESSAGE, haveRedis } from './redis.js';

const skip = haveRedis() ? false : REDIS_SKIP_MESSAGE;

test('listing holds back while the queue is full, then the job completes', { skip, timeout: 60_000 }, async (t) => {
  const deferred: string[] = [];
  const { redis, emulator, root } = await setUp(t, {
    concurrency: 2,
    maxBacklog: 3,
    onEvent: (e) => {
      if (e.type === 'deferred') deferred.push(e.task);
    },
  });
  for (let d = 0; d < 6; d++) {
    await mkdir(join(root, 'src', `d${d}`), { recursive: true });
    for (let f = 0; f < 4; f++) await writeFile(join(root, 'src', `d${d}`, `f${f}`), `${d}/${f}\n`);
  }
  const { name } = await submitTransfer({ queue: redis.url, source: join(root, 'src'), destination: 'gs://bucket-b/t/', recursive: true, endpoint: emulator.url });
  const status = await waitForTransfer(redis.url, name, { intervalMs: 50 });
  assert.equal(status.state, 'complete');
  assert.equal(status.objectsDone, 24);
  assert.ok(deferred.length > 0 && deferred.every((task) => task === 'list-dir'), `deferred: ${deferred.join(', ')}`);
  assert.equal((await getTransferStatus(redis.url, name)).objectsFailed, 0);
});

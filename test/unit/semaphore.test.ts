import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore } from '../../src/util/semaphore.js';

test('grants up to capacity at once, then queues callers in FIFO order', async () => {
  const semaphore = new Semaphore(2);
  await semaphore.acquire();
  await semaphore.acquire();
  assert.equal(semaphore.active, 2);
  const order: number[] = [];
  const waiting = [1, 2, 3].map((n) => semaphore.acquire().then(() => order.push(n)));
  assert.equal(semaphore.pending, 3);
  semaphore.release();
  semaphore.release();
  semaphore.release();
  await Promise.all(waiting);
  assert.deepEqual(order, [1, 2, 3]);
  assert.equal(semaphore.active, 2);
  assert.equal(semaphore.pending, 0);
});

test('an aborted waiter leaves the queue, rejects with AbortError and does not consume a slot', async () => {
  const semaphore = new Semaphore(1);
  await semaphore.acquire();
  const controller = new AbortController();
  const aborted = semaphore.acquire({ signal: controller.signal });
  const next = semaphore.acquire();
  controller.abort();
  await assert.rejects(aborted, { name: 'AbortError', code: 'ABORT_ERR' });
  assert.equal(semaphore.pending, 1);
  semaphore.release();
  await next;
  assert.equal(semaphore.active, 1);
});

test('an already-aborted signal rejects without waiting', async () => {
  const semaphore = new Semaphore(1);
  await assert.rejects(semaphore.acquire({ signal: AbortSignal.abort() }), { code: 'ABORT_ERR' });
  assert.equal(semaphore.active, 0);
});

test('run() releases on failure, so concurrency never exceeds capacity', async () => {
  const semaphore = new Semaphore(3);
  let running = 0;
  let peak = 0;
  const tasks = Array.from({ length: 20 }, (_, i) =>
    semaphore
      .run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 1 + (i % 4)));
        running--;
        if (i % 5 === 0) throw new Error(`task ${i}`);
        return i;
      })
      .catch(() => -1),
  );
  const results = await Promise.all(tasks);
  assert.equal(peak, 3);
  assert.equal(semaphore.active, 0);
  assert.equal(results.filter((r) => r === -1).length, 4);
});

test('rejects a bad capacity and an unbalanced release', () => {
  assert.throws(() => new Semaphore(0), { code: 'ERR_GCS_INVALID_ARG', message: /`capacity`.*`0`/ });
  assert.throws(() => new Semaphore(1.5), { code: 'ERR_GCS_INVALID_ARG' });
  assert.throws(() => new Semaphore(1).release(), { code: 'ERR_GCS_INVALID_STATE' });
});

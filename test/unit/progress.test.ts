import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ProgressTracker } from '../../src/transfer/progress.js';
import type { ProgressSnapshot } from '../../src/transfer/progress.js';

test('snapshots are throttled, the last change is flushed by a trailing timer, and finish() reports the end', async () => {
  const seen: ProgressSnapshot[] = [];
  const tracker = new ProgressTracker((s) => seen.push(s), 40);
  tracker.setTotals({ bytes: 1000, parts: 4 });
  for (let i = 0; i < 100; i++) tracker.addBytes(5);
  // Only the first change of the burst is reported at once.
  assert.equal(seen.length, 1);
  await delay(60);
  assert.equal(seen.length, 2);
  assert.equal(seen[1]?.bytesDone, 500);
  tracker.addParts(4);
  tracker.finish();
  const last = seen.at(-1);
  assert.equal(last?.partsDone, 4);
  assert.equal(last?.bytesTotal, 1000);
  assert.equal(last?.partsTotal, 4);
  const count = seen.length;
  tracker.addBytes(1);
  await delay(60);
  assert.equal(seen.length, count, 'nothing after finish()');
});

test('while bytes keep moving a snapshot arrives at least every interval', async () => {
  const times: number[] = [];
  const tracker = new ProgressTracker(() => times.push(performance.now()), 30);
  const end = performance.now() + 300;
  while (performance.now() < end) {
    tracker.addBytes(1);
    await delay(5);
  }
  tracker.finish();
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
  assert.ok(times.length >= 7, `${times.length} snapshots`);
  assert.ok(Math.max(...gaps) < 30 + 25, `largest gap ${Math.max(...gaps)} ms`);
});

test('a throwing callback does not break the tracker', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    const tracker = new ProgressTracker(() => {
      throw new Error('boom');
    });
    tracker.addBytes(1);
    tracker.finish();
    assert.equal(tracker.snapshot().bytesDone, 1);
    await delay(10);
    assert.ok(warnings.some((w) => w.includes('boom')));
  } finally {
    process.off('warning', onWarning);
  }
});

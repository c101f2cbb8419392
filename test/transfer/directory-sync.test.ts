/**
 * Shared directory syncs: concurrent callers share syncs, and every caller is covered by a sync that started
 * after it asked (a sync already running when it asked may predate its rename).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { directorySyncer } from '../../src/transfer/destination/directory-sync.js';

/** A fake sync whose runs are started and finished by hand. */
function manualSyncs() {
  const runs: { path: string; startedAt: number; finish: () => void }[] = [];
  let clock = 0;
  const sync = directorySyncer(
    (path) =>
      new Promise<void>((resolve) => {
        runs.push({ path, startedAt: clock++, finish: resolve });
      }),
  );
  return { runs, sync, tick: () => clock++ };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('callers during a running sync share the next one, which starts after the running one ends', async () => {
  const { runs, sync, tick } = manualSyncs();
  const done: string[] = [];
  const first = sync('/d').then(() => done.push('first'));
  assert.equal(runs.length, 1);
  const askedAt = tick();
  const waiters = Array.from({ length: 20 }, (_, i) => sync('/d').then(() => done.push(`w${i}`)));
  await settle();
  assert.equal(runs.length, 1, 'no second sync while the first runs');
  runs[0]?.finish();
  await first;
  await settle();
  assert.equal(runs.length, 2, 'one sync for all twenty waiters');
  assert.ok((runs[1]?.startedAt ?? -1) > askedAt, 'the waiters are covered by a sync that started after they asked');
  assert.deepEqual(done, ['first']);
  runs[1]?.finish();
  await Promise.all(waiters);
  assert.equal(done.length, 21);
  // Idle again: the next caller starts a sync at once.
  const later = sync('/d');
  assert.equal(runs.length, 3);
  runs[2]?.finish();
  await later;
});

test('directories are synced independently', async () => {
  const { runs, sync } = manualSyncs();
  const a = sync('/a');
  const b = sync('/b');
  assert.deepEqual(runs.map((r) => r.path), ['/a', '/b']);
  for (const run of runs) run.finish();
  await Promise.all([a, b]);
});

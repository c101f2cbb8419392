/**
 * The destination lock's file protocol on its own: an empty lock file is another process between create and
 * write (refused while young, taken over when old), release never removes a lock that is no longer ours, and
 * a partial file that was already there is never recorded as ours.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, utimes, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DestinationLock } from '../../src/transfer/destination/destination-lock.js';
import { LOCK_SUFFIX, PARTIAL_SUFFIX } from '../../src/transfer/destination/side-files.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gcs-transfer-lock-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('an empty lock file is refused while young and taken over once old', async () => {
  const dest = join(dir, 'empty.bin');
  await writeFile(dest + LOCK_SUFFIX, '');
  await assert.rejects(DestinationLock.acquire(dest), { code: 'ERR_GCS_DESTINATION_LOCKED', message: /being locked by another transfer/ });
  const old = new Date(Date.now() - 60_000);
  await utimes(dest + LOCK_SUFFIX, old, old);
  const lock = await DestinationLock.acquire(dest);
  assert.equal(lock.inheritedPartial, false);
  assert.equal(JSON.parse(await readFile(dest + LOCK_SUFFIX, 'utf8')).pid, process.pid);
  await lock.release();
  await assert.rejects(stat(dest + LOCK_SUFFIX), { code: 'ENOENT' });
});

test('release leaves alone a lock file that was replaced while held', async () => {
  const dest = join(dir, 'replaced.bin');
  const lock = await DestinationLock.acquire(dest);
  // A user removed it, and another transfer took the name.
  await unlink(dest + LOCK_SUFFIX);
  const theirs = await DestinationLock.acquire(dest);
  await lock.release();
  assert.equal(theirs.held, true);
  await stat(dest + LOCK_SUFFIX);
  await assert.rejects(DestinationLock.acquire(dest), { code: 'ERR_GCS_DESTINATION_LOCKED' });
  await theirs.release();
  await assert.rejects(stat(dest + LOCK_SUFFIX), { code: 'ENOENT' });
});

test('with partialIntent the record claims the partial file only when none is there yet', async () => {
  const fresh = join(dir, 'intent.bin');
  const lock = await DestinationLock.acquire(fresh, { partialIntent: true });
  assert.equal(lock.ownsPartial, true);
  assert.equal(JSON.parse(await readFile(fresh + LOCK_SUFFIX, 'utf8')).partial, true);
  await lock.release();

  const users = join(dir, 'users.bin');
  await writeFile(users + PARTIAL_SUFFIX, 'the user\'s own file');
  const refused = await DestinationLock.acquire(users, { partialIntent: true });
  assert.equal(refused.ownsPartial, false);
  assert.equal(JSON.parse(await readFile(users + LOCK_SUFFIX, 'utf8')).partial, false);
  await refused.release({ keepPartial: true });
  // Not ours, so nothing was kept as a record of it.
  await assert.rejects(stat(users + LOCK_SUFFIX), { code: 'ENOENT' });
  assert.equal(await readFile(users + PARTIAL_SUFFIX, 'utf8'), 'the user\'s own file');
});

test('a lock whose record was rewritten is still recognised as ours at release', async () => {
  const dest = join(dir, 'rewritten.bin');
  const first = await DestinationLock.acquire(dest);
  await first.notePartial(true);
  await first.release();
  await assert.rejects(stat(dest + LOCK_SUFFIX), { code: 'ENOENT' }, 'removed after its record was rewritten');
  const kept = await DestinationLock.acquire(dest);
  await kept.notePartial(true);
  await kept.release({ keepPartial: true });
  const record = JSON.parse(await readFile(dest + LOCK_SUFFIX, 'utf8')) as { released?: boolean; partial?: boolean };
  assert.deepEqual([record.released, record.partial], [true, true], 'kept, marked released, for a resume');
  const next = await DestinationLock.acquire(dest);
  assert.equal(next.inheritedPartial, true);
  await next.release();
  await assert.rejects(stat(dest + LOCK_SUFFIX), { code: 'ENOENT' });
});

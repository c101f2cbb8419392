/**
 * `downloadFile`'s destination in the library: one download per file at a time (DestinationLock), a lock
 * held by the caller is honoured, and a result always describes the file that is there.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DestinationLock } from '../../src/transfer/destination/destination-lock.js';
import { MiB, harness, seededBytes, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  await h.close();
});
beforeEach(() => h.emulator.reset());

test('two downloadFile calls to one destination: the second rejects with ERR_GCS_DESTINATION_LOCKED', async () => {
  const tm = h.manager({ chunkSize: MiB });
  const a = seededBytes(2 * MiB, 1);
  const b = seededBytes(2 * MiB, 2);
  await h.emulator.putObject('lock', 'a', a);
  await h.emulator.putObject('lock', 'b', b);
  h.emulator.faults.add({ match: { op: 'media', object: 'a' }, fault: 'stall-body:300,after=1000', times: 1 });
  const dest = join(h.dir, 'same.bin');
  const first = tm.downloadFile('gs://lock/a', dest);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await assert.rejects(tm.downloadFile('gs://lock/b', dest), { code: 'ERR_GCS_DESTINATION_LOCKED', path: dest });
  const result = await first;
  assert.equal(result.name, 'a');
  assert.ok((await readFile(dest)).equals(a));
  assert.deepEqual((await readdir(h.dir)).filter((n) => n.startsWith('same.bin')), ['same.bin']);
});

test('a lock the caller holds is used and stays held; without it the call is refused', async () => {
  const tm = h.manager({ chunkSize: MiB });
  const data = seededBytes(MiB + 5, 3);
  await h.emulator.putObject('lock', 'held', data);
  const dest = join(h.dir, 'held.bin');
  const lock = await DestinationLock.acquire(dest);
  try {
    await assert.rejects(tm.downloadFile('gs://lock/held', dest), { code: 'ERR_GCS_DESTINATION_LOCKED' });
    await tm.downloadFile('gs://lock/held', dest, { destinationLock: lock });
    assert.equal(lock.held, true);
    assert.ok((await readFile(dest)).equals(data));
  } finally {
    await lock.release();
  }
  assert.deepEqual((await readdir(h.dir)).filter((n) => n.startsWith('held.bin')), ['held.bin']);
});

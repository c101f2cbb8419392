/**
 * The download journal merges adjacent completed ranges (combining their CRC32Cs), so its size follows the
 * number of gaps and ranges in flight, not the object's size; gaps stay gaps, and a merged journal resumes into
 * a verified object.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { crc32c } from '../../src/checksum/crc32c.js';
import { DownloadJournal } from '../../src/transfer/resume/journal-download.js';
import type { ResumeEvent } from '../../src/transfer/options.js';
import { harness, seededBytes, type Harness } from './helpers.js';

const RANGE = 256 * 1024;
let h: Harness;

before(async () => {
  h = await harness();
});

after(async () => {
  await h.close();
});

interface Saved {
  generation: string;
  ranges: { start: number; end: number; crc32c: number }[];
}

async function saved(dest: string): Promise<Saved> {
  return JSON.parse(await readFile(`${dest}.gcs-transfer.partial.json`, 'utf8')) as Saved;
}

/** A journal fed `discovered`, then a `range` event for each of `indexes` (ranges of RANGE bytes of `data`). */
async function journalOf(dest: string, data: Buffer, generation: string, indexes: number[]): Promise<DownloadJournal> {
  const journal = new DownloadJournal(dest, { endpoint: h.emulator.url, object: `gs://merge/${dest.split('/').at(-1)}` });
  journal.onCheckpoint({ type: 'discovered', size: data.length, generation });
  for (const i of indexes) {
    const start = i * RANGE;
    const end = Math.min(start + RANGE, data.length);
    journal.onCheckpoint({ type: 'range', start, end, crc32c: crc32c(data.subarray(start, end)) });
  }
  await journal.flush();
  return journal;
}

test('many adjacent completed ranges, finished in any order, are one entry with the CRC32C of all their bytes', async () => {
  const data = seededBytes(64 * RANGE, 1);
  const dest = join(h.dir, 'adjacent.bin');
  // Completion order of a sliding window: mostly ascending, neighbours swapped.
  const order = Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? i + 1 : i - 1));
  const journal = await journalOf(dest, data, '1', order);
  assert.deepEqual((await saved(dest)).ranges, [{ start: 0, end: data.length, crc32c: crc32c(data) }]);
  // A range in progress is its own entry (a later event for its start supersedes it), not merged.
  journal.onCheckpoint({ type: 'partial', start: 64 * RANGE, end: 64 * RANGE + 10, crc32c: 7 });
  await journal.flush();
  assert.equal((await saved(dest)).ranges.length, 2);
  assert.equal(journal.rangeCount, 2);
});

test('a journal with gaps keeps them, and resuming from it fetches only the gaps and verifies the object', async () => {
  const data = seededBytes(16 * RANGE + 100, 2);
  const put = await h.emulator.putObject('merge', 'gaps.bin', data);
  const dest = join(h.dir, 'gaps.bin');
  await journalOf(dest, data, put.generation, [0, 1, 2, 3, 4, 5, 8, 9, 10, 11]);
  const ranges = (await saved(dest)).ranges;
  assert.deepEqual(ranges, [
    { start: 0, end: 6 * RANGE, crc32c: crc32c(data.subarray(0, 6 * RANGE)) },
    { start: 8 * RANGE, end: 12 * RANGE, crc32c: crc32c(data.subarray(8 * RANGE, 12 * RANGE)) },
  ]);
  // The partial file an interrupted run would have left: the journal's ranges written, the gaps not.
  const partial = Buffer.alloc(data.length);
  for (const range of ranges) data.copy(partial, range.start, range.start, range.end);
  await writeFile(`${dest}.gcs-transfer.partial`, partial);
  // The lock record of a dead gcs-transfer run that kept its partial file: it is ours to reuse.
  await writeFile(`${dest}.gcs-transfer.lock`, JSON.stringify({ tool: 'gcs-transfer', host: hostname(), pid: 4194305, token: 'dead', partial: true }));

  h.emulator.metrics.reset();
  const events: ResumeEvent[] = [];
  const result = await h.manager({ chunkSize: RANGE }).downloadFile('gs://merge/gaps.bin', dest, { resume: { onEvent: (e) => events.push(e) } });
  assert.equal(result.validated, true);
  assert.ok((await readFile(dest)).equals(data));
  assert.deepEqual(result.resumed, { bytes: 10 * RANGE, parts: 2 });
  assert.deepEqual(events, [{ type: 'resuming', bytes: 10 * RANGE, size: data.length }]);
  const { bytesOut } = h.emulator.metrics.snapshot();
  assert.ok(bytesOut >= data.length - 10 * RANGE && bytesOut <= data.length - 10 * RANGE + 1, `fetched ${bytesOut} bytes`);
});

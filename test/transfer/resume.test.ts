/**
 * `resume` on downloadFile and uploadFile: a call interrupted half-way is continued by the next call with
 * `resume` (only the rest moves, and the result is verified), a changed source starts over and says why, and
 * with `resume` off nothing saved by anyone is touched.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ResumeEvent } from '../../src/transfer/options.js';
import { MiB, exists, harness, objectBytes, seededBytes, writeSeededFile, type Harness } from './helpers.js';

const KiB = 1024;
const RANGE = 256 * KiB;
let h: Harness;

before(async () => {
  h = await harness();
});

after(async () => {
  await h.close();
});

/** A `resume` option that records what it decided, with its own state directory (never the user's). */
function recorder(): { events: ResumeEvent[]; notes: () => string[]; resume: { stateDir: string; onEvent: (e: ResumeEvent) => void } } {
  const events: ResumeEvent[] = [];
  return {
    events,
    notes: () => events.flatMap((e) => (e.type === 'note' ? [e.message] : [])),
    resume: { stateDir: join(h.dir, 'state'), onEvent: (event) => events.push(event) },
  };
}

type Interruptible = (options: { signal: AbortSignal; resume: ReturnType<typeof recorder>['resume']; onCheckpoint: (event: { type: string }) => void }) => Promise<unknown>;

/** Runs `transfer` with `resume` and aborts it once `count` checkpoints of `type` have come; resolves its events. */
async function interrupted(transfer: Interruptible, type: 'range' | 'part', count: number): Promise<ResumeEvent[]> {
  const controller = new AbortController();
  let done = 0;
  const first = recorder();
  const onCheckpoint = (event: { type: string }): void => {
    if (event.type === type && ++done === count) controller.abort();
  };
  await assert.rejects(transfer({ signal: controller.signal, resume: first.resume, onCheckpoint }), { code: 'ABORT_ERR' });
  return first.events;
}

/** A download with `resume`, aborted once `ranges` ranges have landed. */
function interruptedDownload(object: string, dest: string, ranges: number): Promise<ResumeEvent[]> {
  const tm = h.manager({ chunkSize: RANGE, concurrency: 2 });
  return interrupted((options) => tm.downloadFile(`gs://resume/${object}`, dest, options), 'range', ranges);
}

/** An upload with `resume`, aborted once `parts` parts were accepted. */
function interruptedUpload(path: string, object: string, parts: number): Promise<ResumeEvent[]> {
  const tm = h.manager({ chunkSize: 5 * MiB, concurrency: 1 });
  return interrupted((options) => tm.uploadFile(path, `gs://resume/${object}`, options), 'part', parts);
}

test('downloadFile: aborted half-way, the next call with resume fetches less than half and verifies', async () => {
  const data = seededBytes(16 * RANGE, 1);
  await h.emulator.putObject('resume', 'down.bin', data);
  const dest = join(h.dir, 'down.bin');
  const events = await interruptedDownload('down.bin', dest, 9);
  const kept = events.find((e) => e.type === 'kept');
  assert.deepEqual(kept, { type: 'kept', paths: [`${dest}.gcs-transfer.partial`, `${dest}.gcs-transfer.partial.json`] });
  assert.equal(await exists(dest), false, 'nothing at the destination until verified');
  // Adjacent ranges are merged: nine ranges done, two in flight, at most a handful of entries.
  const journal = JSON.parse(await readFile(`${dest}.gcs-transfer.partial.json`, 'utf8')) as { ranges: unknown[] };
  assert.ok(journal.ranges.length <= 2 * 2 + 1, `${journal.ranges.length} journal entries`);

  h.emulator.metrics.reset();
  const second = recorder();
  const result = await h.manager({ chunkSize: RANGE, concurrency: 2 }).downloadFile('gs://resume/down.bin', dest, { resume: second.resume });
  const { bytesOut } = h.emulator.metrics.snapshot();
  assert.ok(bytesOut < data.length / 2, `fetched ${bytesOut} of ${data.length} bytes`);
  assert.equal(result.validated, true);
  assert.ok((await readFile(dest)).equals(data));
  assert.ok(result.resumed !== undefined && result.resumed.bytes >= 9 * RANGE && result.resumed.parts >= 1, JSON.stringify(result.resumed));
  assert.ok(second.events.some((e) => e.type === 'resuming' && e.bytes === result.resumed?.bytes && e.size === data.length));
  assert.deepEqual((await readdir(h.dir)).filter((n) => n.startsWith('down.bin')), ['down.bin'], 'journal, partial file and lock are gone');
});

test('downloadFile: an object overwritten since the interruption starts over and says why', async () => {
  await h.emulator.putObject('resume', 'changed.bin', seededBytes(16 * RANGE, 2));
  const dest = join(h.dir, 'changed.bin');
  await interruptedDownload('changed.bin', dest, 6);
  const fresh = seededBytes(16 * RANGE, 3);
  await h.emulator.putObject('resume', 'changed.bin', fresh);
  const second = recorder();
  const result = await h.manager({ chunkSize: RANGE }).downloadFile('gs://resume/changed.bin', dest, { resume: second.resume });
  assert.ok(second.notes().some((n) => /^starting over: .*generation/.test(n)), second.notes().join('\n'));
  assert.deepEqual(result.resumed, { bytes: 0, parts: 0 });
  assert.equal(result.validated, true);
  assert.ok((await readFile(dest)).equals(fresh));
});

test('uploadFile: aborted after two parts, the next call with resume sends only the rest', async () => {
  const path = join(h.dir, 'up.bin');
  const data = await writeSeededFile(path, 4 * 5 * MiB + 10, 4);
  const events = await interruptedUpload(path, 'up.bin', 2);
  const kept = events.find((e) => e.type === 'kept');
  assert.ok(kept?.type === 'kept' && kept.paths.length === 1 && kept.paths[0]?.startsWith(join(h.dir, 'state', 'uploads')), JSON.stringify(kept));

  h.emulator.metrics.reset();
  const second = recorder();
  const result = await h.manager({ chunkSize: 5 * MiB, concurrency: 1 }).uploadFile(path, 'gs://resume/up.bin', { resume: second.resume });
  const { requests } = h.emulator.metrics.snapshot();
  assert.equal(requests['mpu-initiate'] ?? 0, 0, 'the interrupted upload is continued');
  assert.equal(requests['mpu-upload-part'], 5 - (result.resumed?.parts ?? 0), 'parts already uploaded are not sent again');
  assert.ok((result.resumed?.parts ?? 0) >= 2 && result.resumed?.bytes === (result.resumed?.parts ?? 0) * 5 * MiB, JSON.stringify(result.resumed));
  assert.ok(second.events.some((e) => e.type === 'resuming' && e.partSize === 5 * MiB && e.plannedPartSize === 5 * MiB && e.size === data.length));
  assert.equal(result.validated, true);
  assert.ok((await objectBytes(h.emulator, 'resume', 'up.bin')).equals(data));
  assert.deepEqual(await readdir(join(h.dir, 'state', 'uploads')), [], 'the journal is removed once the object exists');
});

test('uploadFile: a file changed since the interruption cancels the old upload and starts over, saying why', async () => {
  const path = join(h.dir, 'up-changed.bin');
  await writeSeededFile(path, 3 * 5 * MiB, 5);
  await interruptedUpload(path, 'up-changed.bin', 1);
  const fresh = await writeSeededFile(path, 3 * 5 * MiB, 6);
  const later = new Date(Date.now() + 5000);
  await utimes(path, later, later);
  h.emulator.metrics.reset();
  const second = recorder();
  const result = await h.manager({ chunkSize: 5 * MiB }).uploadFile(path, 'gs://resume/up-changed.bin', { resume: second.resume });
  assert.ok(second.notes().some((n) => /^starting over: .* changed since the interrupted upload \(modified/.test(n)), second.notes().join('\n'));
  assert.ok(second.notes().includes('the unfinished upload was cancelled'), second.notes().join('\n'));
  const { requests } = h.emulator.metrics.snapshot();
  assert.equal(requests['mpu-abort'], 1);
  assert.equal(requests['mpu-upload-part'], 3);
  assert.deepEqual(result.resumed, { bytes: 0, parts: 0 });
  assert.ok((await objectBytes(h.emulator, 'resume', 'up-changed.bin')).equals(fresh));
});

test('with resume off, saved state is neither read nor removed, and nothing new is saved', async () => {
  const data = seededBytes(4 * RANGE, 7);
  await h.emulator.putObject('resume', 'off.bin', data);
  const dest = join(h.dir, 'off.bin');
  const journal = JSON.stringify({ version: 1, kind: 'download', endpoint: h.emulator.url, object: 'gs://resume/off.bin', ranges: [] });
  await writeFile(`${dest}.gcs-transfer.partial.json`, journal);
  const tm = h.manager({ chunkSize: RANGE });
  await tm.downloadFile('gs://resume/off.bin', dest, { resume: false });
  assert.equal(await readFile(`${dest}.gcs-transfer.partial.json`, 'utf8'), journal, 'an earlier journal is left as it was');
  assert.ok((await readFile(dest)).equals(data));

  // The default state directory, were a journal written: it must not even be created.
  const stateDir = join(h.dir, 'state-off');
  const previous = process.env.GCS_TRANSFER_STATE_DIR;
  process.env.GCS_TRANSFER_STATE_DIR = stateDir;
  const path = join(h.dir, 'off-up.bin');
  await writeSeededFile(path, 2 * 5 * MiB, 8);
  h.emulator.faults.add({ match: { op: 'mpu-upload-part', object: 'off-up.bin' }, fault: 'status:503', times: 1000 });
  try {
    await assert.rejects(tm.uploadFile(path, 'gs://resume/off-up.bin', { chunkSize: 5 * MiB }), { code: 'ERR_GCS_MPU_FAILED' });
  } finally {
    h.emulator.faults.clear();
    if (previous === undefined) delete process.env.GCS_TRANSFER_STATE_DIR;
    else process.env.GCS_TRANSFER_STATE_DIR = previous;
  }
  assert.equal(await exists(stateDir), false, 'no journal without resume');
  assert.deepEqual((await readdir(h.dir)).filter((n) => n.startsWith('off-up')), ['off-up.bin']);
});

test('resume is refused with resumeFrom, on streams, and when malformed', async () => {
  const tm = h.manager();
  await assert.rejects(tm.downloadFile('gs://resume/x', join(h.dir, 'x'), { resume: true, resumeFrom: { generation: '1', ranges: [] } }), {
    code: 'ERR_GCS_INVALID_ARG',
    message: /`resume` and `resumeFrom` exclude each other/,
  });
  await assert.rejects(tm.uploadFile(join(h.dir, 'x'), 'gs://resume/x', { resume: 'yes' as unknown as boolean }), {
    code: 'ERR_GCS_INVALID_ARG',
    message: /Expected `resume` to be a boolean or/,
  });
  await assert.rejects(tm.uploadFile(join(h.dir, 'x'), 'gs://resume/x', { resume: { stateDir: '' } }), { message: /resume\.stateDir/ });
  assert.throws(() => tm.downloadToStream('gs://resume/x', { resume: true }), { message: /apply to downloadFile only/ });
});

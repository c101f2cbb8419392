/**
 * Crash-safe upload resume, end to end: the real `gcs-transfer cp` uploads from a file in a child process, is
 * killed at chosen points, and is run again. The re-run must continue the same multipart upload (reconciled
 * with ListParts), send only the parts the journal did not record, and produce the exact object.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCliProcess, startCli } from './cli-process.js';
import { ResumeHarness, readJson } from './resume-harness.js';

const MiB = 1024 * 1024;
/** Two 5 MiB parts (the XML API's minimum) and a short last one. */
const size = 2 * 5 * MiB + 54_321;
const content = randomBytes(size);
/** Besides the parts, a run sends the CompleteMultipartUpload XML: well under 4 KiB for three parts. */
const XML_SLACK = 4096;

let h: ResumeHarness;
let source: string;
let args: string[];

interface Journal {
  uploadId?: string;
  parts: { size: number }[];
}

before(async () => {
  h = await ResumeHarness.start(10 * MiB);
  source = join(h.dir, 'upload.bin');
  await writeFile(source, content);
  args = h.cp(['--chunk-size', '5MiB', source, 'gs://bkt/up/object.bin']);
});

after(() => h.close());

async function journalFiles(): Promise<string[]> {
  return readdir(join(h.stateDir, 'uploads')).catch(() => []);
}

async function journal(): Promise<Journal | undefined> {
  const file = (await journalFiles()).find((name) => name.endsWith('.json') && !name.startsWith('.'));
  return file === undefined ? undefined : readJson<Journal>(join(h.stateDir, 'uploads', file));
}

function recordedBytes(j: Journal | undefined): number {
  return (j?.parts ?? []).reduce((total, part) => total + part.size, 0);
}

/**
 * Keeps a run from finishing before the test kills it: every complete request is refused (503, retried with
 * back-off), and the emulator never assembles the object. `killWhen` clears it (emulator.reset()).
 */
function holdCompletion(): void {
  h.emulator.faults.add({ match: { op: 'mpu-complete' }, fault: 'status:503', times: 1_000_000 });
}

const partsJournaled = (count: number) => async () => {
  const j = await journal();
  return j?.uploadId !== undefined && j.parts.length >= count;
};

for (const killAfterParts of [0, 1]) {
  test(`SIGKILL after ${killAfterParts} part(s): the re-run reconciles with ListParts and sends only the rest`, async () => {
    holdCompletion();
    const first = startCli(args, { env: h.env });
    await h.killWhen(first, partsJournaled(killAfterParts), `${killAfterParts} parts journaled`);
    const saved = await journal();
    assert.ok(saved?.uploadId);
    const [file] = (await journalFiles()).filter((name) => !name.startsWith('.'));
    assert.equal((await stat(join(h.stateDir, 'uploads', file as string))).mode & 0o777, 0o600);

    const second = await runCliProcess(args, { env: h.env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resuming: /);
    const metrics = h.emulator.metrics.snapshot();
    assert.equal(metrics.requests['mpu-initiate'], 0, 'the interrupted upload is continued, not restarted');
    assert.equal(metrics.requests['mpu-list-parts'], 1);
    assert.equal(metrics.requests['mpu-complete'], 1);
    const left = size - recordedBytes(saved);
    assert.ok(metrics.bytesIn >= left && metrics.bytesIn <= left + XML_SLACK, `the re-run sent ${metrics.bytesIn} bytes; ${left} were left`);
    assert.ok((await h.objectBytes('bkt', 'up/object.bin')).equals(content), 'byte-exact');
    assert.deepEqual(await journalFiles(), [], 'the journal (and any temp file) is gone after success');
  });
}

test('SIGKILL while the complete request keeps failing: the re-run sends no part again', async () => {
  h.emulator.faults.add({ match: { op: 'mpu-complete' }, fault: 'reset-request-after:10', times: 1000 });
  const first = startCli(args, { env: h.env });
  await h.killWhen(
    first,
    async () => h.emulator.metrics.snapshot().requests['mpu-complete'] > 0 && (await partsJournaled(3)()),
    'the complete request, with every part journaled',
  );
  h.emulator.faults.clear();
  const second = await runCliProcess(args, { env: h.env });
  assert.equal(second.code, 0, second.stderr);
  const metrics = h.emulator.metrics.snapshot();
  assert.equal(metrics.requests['mpu-upload-part'], 0);
  assert.equal(metrics.requests['mpu-list-parts'], 1);
  assert.equal(metrics.requests['mpu-complete'], 1);
  assert.ok(metrics.bytesIn < XML_SLACK, `only the complete body is sent, got ${metrics.bytesIn} bytes`);
  assert.ok((await h.objectBytes('bkt', 'up/object.bin')).equals(content));
  assert.deepEqual(await journalFiles(), []);
});

test('SIGKILL after the server completed the upload: the re-run recognises the object and sends nothing', async () => {
  // The server goes on assembling the object although the client is killed while waiting for the answer.
  await h.emulator.putObject('bkt', 'up/object.bin', 'stale');
  h.emulator.faults.add({ match: { op: 'mpu-complete' }, fault: 'stall-headers:1500' });
  const first = startCli(args, { env: h.env });
  await h.killWhen(
    first,
    async () => h.emulator.metrics.snapshot().requests['mpu-complete'] > 0 && (await partsJournaled(3)()),
    'the complete request, with every part journaled',
  );
  assert.ok((await h.objectBytes('bkt', 'up/object.bin')).equals(content), 'the server completed the upload');
  h.emulator.reset();
  const second = await runCliProcess(args, { env: h.env });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /had been completed: the object already holds exactly this file/);
  const metrics = h.emulator.metrics.snapshot();
  assert.equal(metrics.requests['mpu-upload-part'] + metrics.requests['mpu-initiate'] + metrics.requests['mpu-complete'], 0);
  assert.equal(metrics.bytesIn, 0);
  assert.deepEqual(await journalFiles(), []);
});

test('SIGKILL, then the local file changes: the re-run cancels the old upload, starts over and says why', async () => {
  holdCompletion();
  const first = startCli(args, { env: h.env });
  await h.killWhen(first, partsJournaled(1), '1 part journaled');
  const changed = Buffer.from(content);
  changed[0] = (changed[0] ?? 0) ^ 0xff;
  await writeFile(source, changed);
  // Same size: only the modification time tells.
  await utimes(source, new Date(), new Date(Date.now() + 5_000));
  try {
    const second = await runCliProcess(args, { env: h.env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /starting over: .* changed since the interrupted upload \(modified/);
    assert.match(second.stderr, /the unfinished upload was cancelled/);
    const metrics = h.emulator.metrics.snapshot();
    assert.equal(metrics.requests['mpu-abort'], 1);
    assert.equal(metrics.requests['mpu-initiate'], 1);
    assert.ok((await h.objectBytes('bkt', 'up/object.bin')).equals(changed));
  } finally {
    await writeFile(source, content);
  }
});

test('--restart discards the saved upload; --no-resume neither reads nor writes a journal', async () => {
  holdCompletion();
  const first = startCli(args, { env: h.env });
  await h.killWhen(first, partsJournaled(1), '1 part journaled');
  const restarted = await runCliProcess([...args, '--restart'], { env: h.env });
  assert.equal(restarted.code, 0, restarted.stderr);
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-abort'], 1);
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-list-parts'], 0);
  assert.deepEqual(await journalFiles(), []);
  h.emulator.reset();
  holdCompletion();
  const plain = startCli([...args, '--no-resume'], { env: h.env });
  await h.killWhen(plain, async () => h.emulator.metrics.snapshot().requests['mpu-upload-part'] >= 2, 'parts in flight');
  assert.deepEqual(await journalFiles(), []);
});

/**
 * Crash-safe download resume, end to end: the real `gcs-transfer cp` runs in a child process against a
 * bandwidth-capped emulator, is killed with SIGKILL (or interrupted with SIGINT) at chosen points, and is run
 * again. The second run must produce the exact bytes and fetch only what the journal did not record, as the
 * emulator's byte counter shows.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCliProcess, startCli } from './cli-process.js';
import { ResumeHarness, readJson } from './resume-harness.js';

const MiB = 1024 * 1024;
const size = 12 * MiB + 12_345;
const content = randomBytes(size);

let h: ResumeHarness;
let dest: string;
let journalPath: string;
let args: string[];

before(async () => {
  h = await ResumeHarness.start(6 * MiB);
  await h.emulator.putObject('bkt', 'down/object.bin', content);
  dest = join(h.dir, 'download.bin');
  journalPath = `${dest}.gcs-transfer.partial.json`;
  args = h.cp(['--chunk-size', '1MiB', 'gs://bkt/down/object.bin', dest]);
});

after(() => h.close());

async function rangesDone(): Promise<{ count: number; bytes: number }> {
  const ranges = (await readJson<{ ranges?: { start: number; end: number }[] }>(journalPath))?.ranges ?? [];
  return { count: ranges.length, bytes: ranges.reduce((total, r) => total + r.end - r.start, 0) };
}

// Adjacent completed ranges share one journal entry, so progress is measured in journaled bytes (1 MiB ranges).
const atLeast = (count: number) => async () => (await rangesDone()).bytes >= count * MiB;

/** Served bytes of the second run: what the journal did not hold, plus at most the one byte discovery re-reads. */
function assertFetchedOnly(left: number): void {
  const { bytesOut } = h.emulator.metrics.snapshot();
  assert.ok(bytesOut >= left && bytesOut <= left + 1, `the re-run fetched ${bytesOut} bytes; ${left} were left`);
}

for (const killAfterRanges of [1, 6]) {
  test(`SIGKILL after ${killAfterRanges} range(s): the re-run fetches only the rest, byte-exact`, async () => {
    const first = startCli(args, { env: h.env });
    const exit = await h.killWhen(first, atLeast(killAfterRanges), `${killAfterRanges} ranges journaled`);
    assert.equal(exit.signal, 'SIGKILL');
    const journaled = await rangesDone();
    assert.equal((await stat(`${dest}.gcs-transfer.partial`)).mode & 0o777, 0o600);
    assert.equal((await stat(journalPath)).mode & 0o777, 0o600);
    await assert.rejects(stat(dest), { code: 'ENOENT' }, 'nothing is presented as done');

    const second = await runCliProcess(args, { env: h.env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resuming: /);
    assert.ok((await readFile(dest)).equals(content), 'byte-exact');
    assertFetchedOnly(size - journaled.bytes);
    await assert.rejects(stat(journalPath), { code: 'ENOENT' });
    await assert.rejects(stat(`${dest}.gcs-transfer.partial`), { code: 'ENOENT' });
    await rm(dest);
  });
}

test('SIGKILL, then the object is overwritten: the re-run starts over, says why, and gets the new bytes', async () => {
  const first = startCli(args, { env: h.env });
  await h.killWhen(first, atLeast(3), '3 ranges journaled');
  const replacement = randomBytes(3 * MiB + 7);
  await h.emulator.putObject('bkt', 'down/object.bin', replacement);
  try {
    const second = await runCliProcess(args, { env: h.env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /starting over: .*generation/);
    assert.ok((await readFile(dest)).equals(replacement), 'the new generation, byte-exact');
  } finally {
    await h.emulator.putObject('bkt', 'down/object.bin', content);
    await rm(dest, { force: true });
  }
});

test('a range damaged in the partial file is detected on resume and fetched again', async () => {
  const first = startCli(args, { env: h.env });
  await h.killWhen(first, atLeast(4), '4 ranges journaled');
  const journal = await readJson<{ ranges: { start: number; end: number }[] }>(journalPath);
  const victim = journal?.ranges[0];
  assert.ok(victim);
  // As after a power cut: the journal says done, the disk says otherwise.
  const partial = await readFile(`${dest}.gcs-transfer.partial`);
  partial.fill(0, victim.start, victim.end);
  await writeFile(`${dest}.gcs-transfer.partial`, partial);
  const journaled = await rangesDone();
  const second = await runCliProcess(args, { env: h.env });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /1 of \d+ saved ranges did not match/);
  assert.ok((await readFile(dest)).equals(content), 'byte-exact despite the damaged partial file');
  assertFetchedOnly(size - journaled.bytes + (victim.end - victim.start));
  await rm(dest);
});

test('SIGINT stops cleanly with exit 130, keeps the state, and the re-run resumes', async () => {
  const first = startCli(args, { env: h.env });
  const exit = await h.killWhen(first, atLeast(4), '4 ranges journaled', 'SIGINT');
  assert.equal(exit.code, 130, exit.stderr);
  assert.match(exit.stderr, /interrupted by SIGINT/);
  assert.match(exit.stderr, /re-run the same command to resume/);
  const journaled = await rangesDone();
  const second = await runCliProcess(args, { env: h.env });
  assert.equal(second.code, 0, second.stderr);
  assert.ok((await readFile(dest)).equals(content));
  assertFetchedOnly(size - journaled.bytes);
  await rm(dest);
});

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JournalWriter, readJournalFile, removeJournalFile, writeJournalFile } from '../../src/transfer/resume/journal-file.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'journal-file-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('writeJournalFile replaces the file atomically, mode 0600, leaving no temp files', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'j.json');
    await writeJournalFile(path, { a: 1 });
    await writeJournalFile(path, { a: 2, parts: [1, 2, 3] });
    assert.deepEqual(await readJournalFile(path), { data: { a: 2, parts: [1, 2, 3] } });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ['j.json']);
  });
});

test('readJournalFile: undefined when absent, a reason when unusable', async () => {
  await withDir(async (dir) => {
    assert.equal(await readJournalFile(join(dir, 'none.json')), undefined);
    const torn = join(dir, 'torn.json');
    await writeFile(torn, '{"version":1,"ran');
    assert.deepEqual(await readJournalFile(torn), { error: 'it is not valid JSON' });
    await removeJournalFile(torn);
    await removeJournalFile(torn);
    assert.deepEqual(await readdir(dir), []);
  });
});

test('JournalWriter serialises writes, keeps the newest state and flushes it durably', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'w.json');
    const writer = new JournalWriter<{ n: number }>(path);
    for (let n = 1; n <= 50; n += 1) writer.write({ n });
    await writer.flush();
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { n: 50 });
    assert.deepEqual(await readdir(dir), ['w.json']);
  });
});

test('JournalWriter never throws at the writer; a failed write surfaces on flush', async () => {
  await withDir(async (dir) => {
    const writer = new JournalWriter<{ n: number }>(join(dir, 'missing-dir', 'w.json'));
    writer.write({ n: 1 });
    await assert.rejects(writer.flush(), { code: 'ENOENT' });
    await writer.remove();
  });
});

test('temp files left by a killed writer are swept; a live writer\'s are not', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'j.json');
    // pid 2^22+1 is above Linux's default pid_max, so no such process exists.
    const dead = join(dir, `.j.json.${2 ** 22 + 1}.deadbeef.tmp`);
    const live = join(dir, `.j.json.${process.ppid}.cafebabe.tmp`);
    await writeFile(dead, '{');
    await writeFile(live, '{');
    const writer = new JournalWriter<{ n: number }>(path);
    writer.write({ n: 1 });
    await writer.flush();
    assert.deepEqual((await readdir(dir)).sort(), [live.slice(dir.length + 1), 'j.json'].sort());
    await writeFile(dead, '{');
    await writer.remove();
    assert.deepEqual(await readdir(dir), [live.slice(dir.length + 1)]);
  });
});

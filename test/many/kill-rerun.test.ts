/**
 * A many-object job killed mid-way (SIGKILL, no chance to clean up), then run again: the second run transfers
 * exactly what the first did not finish, and the result is complete and byte-exact. Both directions, through
 * the real executable.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCli, runCliProcess } from '../hardening/cli-process.js';
import { ResumeHarness } from '../hardening/resume-harness.js';
import { seededBytes } from '../transfer/helpers.js';

const FILES = 16;
const SIZE = 16 * 1024;

describe('many objects: kill mid-job, then re-run', () => {
  let h: ResumeHarness;
  before(async () => {
    // 64 KiB/s per connection: each 16 KiB object takes about a quarter of a second, so the kill lands mid-job.
    h = await ResumeHarness.start(64 * 1024);
  });
  after(async () => {
    await h.close();
  });

  async function objectCount(prefix: string): Promise<number> {
    const response = await fetch(`${h.emulator.url}/storage/v1/b/kill-rerun/o?prefix=${encodeURIComponent(prefix)}`);
    if (response.status !== 200) return 0;
    const body = (await response.json()) as { items?: unknown[] };
    return body.items?.length ?? 0;
  }

  it('rsync up: the re-run uploads only the objects the killed run had not finished', async () => {
    const src = join(h.dir, 'up');
    await mkdir(src, { recursive: true });
    for (let i = 0; i < FILES; i++) await writeFile(join(src, `f${String(i).padStart(2, '0')}.bin`), seededBytes(SIZE, i));
    const args = ['rsync', '-r', '--endpoint', h.emulator.url, '--objects', '2', src, 'gs://kill-rerun/up'];
    const run = startCli(args, { env: h.env });
    await h.killWhen(run, async () => (await objectCount('up/')) >= 4, 'four objects uploaded');
    const done = await objectCount('up/');
    assert.ok(done >= 4 && done < FILES, `${done} objects before the kill`);
    const rerun = await runCliProcess(args, { env: h.env });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, new RegExp(`Copied ${FILES - done} objects? .*${done} skipped`));
    assert.equal(h.emulator.metrics.snapshot().requests['upload-multipart'], FILES - done);
    for (let i = 0; i < FILES; i++) {
      const name = `up/f${String(i).padStart(2, '0')}.bin`;
      assert.ok((await h.objectBytes('kill-rerun', name)).equals(seededBytes(SIZE, i)), name);
    }
  });

  it('cp -r --skip-identical down: the re-run downloads only what is missing, no partial file is taken as done', async () => {
    const dest = join(h.dir, 'down');
    const args = ['cp', '--endpoint', h.emulator.url, '-r', '--skip-identical', '--objects', '2', 'gs://kill-rerun/up', dest];
    const run = startCli(args, { env: h.env });
    const count = async (): Promise<number> => (await readdir(join(dest, 'up')).catch(() => [])).filter((n) => n.endsWith('.bin')).length;
    await h.killWhen(run, async () => (await count()) >= 4, 'four files downloaded');
    const done = await count();
    const rerun = await runCliProcess(args, { env: h.env });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, new RegExp(`Copied ${FILES - done} objects? .*${done} skipped`));
    assert.equal(h.emulator.metrics.snapshot().requests.media, FILES - done);
    for (let i = 0; i < FILES; i++) {
      const name = `f${String(i).padStart(2, '0')}.bin`;
      assert.ok((await readFile(join(dest, 'up', name))).equals(seededBytes(SIZE, i)), name);
    }
  });

  it('SIGINT stops a many-object download cleanly: exit 130, no partial file left behind', async () => {
    const dest = join(h.dir, 'interrupted');
    const run = startCli(['cp', '--endpoint', h.emulator.url, '-r', '--objects', '2', 'gs://kill-rerun/up', dest], { env: h.env });
    const count = async (): Promise<number> => (await readdir(join(dest, 'up')).catch(() => [])).filter((n) => n.endsWith('.bin')).length;
    const exit = await h.killWhen(run, async () => (await count()) >= 2, 'two files downloaded', 'SIGINT');
    assert.equal(exit.code, 130, exit.stderr);
    assert.match(exit.stderr, /interrupted|aborted/i);
    const left = await readdir(join(dest, 'up'));
    assert.deepEqual(left.filter((n) => n.includes('.partial')), []);
  });
});

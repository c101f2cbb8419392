/**
 * The destination of a download, through the built bin: one transfer at a time per file (a lock with stale
 * recovery), no user file near the destination renamed or deleted, file modes as `cp` gives them, and a
 * symlinked destination written through.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { ensureBuilt, runBin } from './bin.js';

let emulator: Emulator;
let dir: string;

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'cli-dest-'));
});

after(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

const cp = (...args: string[]): string[] => ['cp', '--endpoint', emulator.url, ...args];

async function waitForFile(path: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await stat(path).then(() => true, () => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('two downloads to one file: the second fails with a typed error (exit 3), the first leaves exactly its object', async () => {
  const a = randomBytes(256 * 1024);
  const b = randomBytes(300 * 1024);
  await emulator.putObject('race', 'a.bin', a);
  await emulator.putObject('race', 'b.bin', b);
  // The first download stalls mid-body (for a minute: however slow the machine, it still holds the
  // destination when the second starts); it is stopped with SIGTERM once the second has failed.
  emulator.faults.add({ match: { op: 'media', object: 'a.bin' }, fault: 'stall-body:60000,after=1000', times: 1 });
  const dest = join(dir, 'race.bin');
  // A stale build is brought up to date before the clock below starts: on a busy machine the build alone can
  // take longer than the wait for the first download's lock.
  await ensureBuilt();
  let firstChild: { kill(signal: NodeJS.Signals): boolean } | undefined;
  const first = runBin(cp('gs://race/a.bin', dest), { onSpawn: (child) => (firstChild = child) });
  try {
    await waitForFile(`${dest}.gcs-transfer.lock`);
  } catch (error) {
    // Never leave the stalled first download running behind a failed test.
    firstChild?.kill('SIGKILL');
    await first;
    throw error;
  }
  const second = await runBin(cp('--json', 'gs://race/b.bin', dest));
  assert.equal(second.code, 3, second.stderr);
  const failure = JSON.parse(second.stdout) as { error: { code: string; message: string } };
  assert.equal(failure.error.code, 'ERR_GCS_DESTINATION_LOCKED');
  assert.match(failure.error.message, /being written by another transfer \(process \d+\)/);
  assert.equal(await stat(dest).then(() => true, () => false), false, 'the second wrote nothing');
  firstChild?.kill('SIGTERM');
  assert.equal((await first).code, 143);
  // The first one's lock and state were left alone by the second: its re-run completes.
  const done = await runBin(cp('gs://race/a.bin', dest));
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /Copied gs:\/\/race\/a\.bin .*verified/);
  assert.ok((await readFile(dest)).equals(a), 'the file holds the object the success line describes');
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('race.bin')), ['race.bin'], 'no lock or partial left');
});

test('a lock left by a killed process is recovered, and its partial file is reused as ours', async () => {
  const data = randomBytes(200 * 1024);
  await emulator.putObject('race', 'stale.bin', data);
  const dest = join(dir, 'stale.bin');
  // pid 2^22+1 is above Linux's default pid_max: certainly not a live process.
  const lock = { tool: 'gcs-transfer', host: (await import('node:os')).hostname(), pid: 4194305, token: 'dead', partial: true };
  await writeFile(`${dest}.gcs-transfer.lock`, JSON.stringify(lock));
  await writeFile(`${dest}.gcs-transfer.partial`, 'leftover of the killed run');
  const run = await runBin(cp('gs://race/stale.bin', dest));
  assert.equal(run.code, 0, run.stderr);
  assert.ok((await readFile(dest)).equals(data));
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('stale.bin')), ['stale.bin']);
});

test('files gcs-transfer did not create are never renamed, truncated or deleted', async () => {
  const data = randomBytes(100 * 1024);
  await emulator.putObject('race', 'notes', data);
  // The user's own files with names the old versions used for their temporary files.
  await writeFile(join(dir, 'notes.partial'), 'my notes draft');
  await writeFile(join(dir, 'notes.partial.json'), '{"mine":true}');
  const ok = await runBin(cp('--no-resume', 'gs://race/notes', join(dir, 'notes')));
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok((await readFile(join(dir, 'notes'))).equals(data));
  assert.equal(await readFile(join(dir, 'notes.partial'), 'utf8'), 'my notes draft');
  assert.equal(await readFile(join(dir, 'notes.partial.json'), 'utf8'), '{"mine":true}');

  // A file at our partial name that no gcs-transfer run recorded is refused, not truncated.
  await writeFile(join(dir, 'other.gcs-transfer.partial'), 'not ours');
  await writeFile(join(dir, 'other.gcs-transfer.partial.json'), 'not a journal either');
  const refused = await runBin(cp('--restart', 'gs://race/notes', join(dir, 'other')));
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /other\.gcs-transfer\.partial exists and was not created by gcs-transfer.*\[ERR_GCS_LOCAL_IO\]/);
  assert.equal(await readFile(join(dir, 'other.gcs-transfer.partial'), 'utf8'), 'not ours');
  assert.equal(await readFile(join(dir, 'other.gcs-transfer.partial.json'), 'utf8'), 'not a journal either');
  assert.equal(await stat(join(dir, 'other')).then(() => true, () => false), false);
});

test('modes: a new file gets the umask mode, an overwritten file keeps its mode; a symlink has its target written', async () => {
  const data = randomBytes(64 * 1024);
  await emulator.putObject('race', 'mode.bin', data);
  const fresh = join(dir, 'fresh.bin');
  // The child inherits the umask: 022 makes the new file 0644 (the old behaviour was 0600 whatever the umask).
  const previous = process.umask(0o022);
  let run;
  try {
    run = await runBin(cp('gs://race/mode.bin', fresh));
  } finally {
    process.umask(previous);
  }
  assert.equal(run.code, 0, run.stderr);
  assert.equal((await stat(fresh)).mode & 0o777, 0o644);

  const kept = join(dir, 'kept.bin');
  await writeFile(kept, 'old');
  await chmod(kept, 0o640);
  assert.equal((await runBin(cp('gs://race/mode.bin', kept))).code, 0);
  assert.equal((await stat(kept)).mode & 0o777, 0o640);
  assert.ok((await readFile(kept)).equals(data));

  const target = join(dir, 'target.bin');
  await writeFile(target, 'old target');
  const link = join(dir, 'link.bin');
  await symlink('target.bin', link);
  const viaLink = await runBin(cp('gs://race/mode.bin', link));
  assert.equal(viaLink.code, 0, viaLink.stderr);
  assert.ok((await lstat(link)).isSymbolicLink(), 'the link stays a link');
  assert.ok((await readFile(target)).equals(data), 'its target holds the object');
});

/**
 * The destination's file-system calls: made inline while they are fast, through the thread pool for a while
 * after a slow one, with the same results and the same system errors either way; and downloads that come out
 * the same in both modes.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import * as localFs from '../../src/transfer/destination/local-fs.js';
import { MiB, harness, seededBytes, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  localFs.useThreadPool(false);
  await h.close();
});
afterEach(() => localFs.useThreadPool(false));

for (const mode of ['inline', 'thread pool'] as const) {
  test(`${mode}: results and system errors are Node's own`, async () => {
    const fsx = mode === 'inline' ? localFs.inlineFs : localFs.pooledFs;
    const path = join(h.dir, `calls-${mode.replace(' ', '-')}`);
    assert.equal(await fsx.lstatIfAny(path), undefined, 'nothing there is undefined, not an error');
    const fd = await fsx.openFile(path, 'wx', 0o600);
    assert.equal(await fsx.writevAt(fd, [Buffer.from('abc'), Buffer.from('def')], 0), 6);
    assert.equal((await fsx.fstat(fd)).size, 6);
    await fsx.ftruncate(fd, 4);
    await fsx.fsync(fd);
    await assert.rejects(fsx.readAt(fd, Buffer.alloc(16), 0), { code: 'EBADF' }, 'a write-only descriptor');
    await fsx.close(fd);
    const reader = await fsx.openFile(path, 'r');
    const buffer = Buffer.alloc(16);
    assert.equal(await fsx.readAt(reader, buffer, 1), 3);
    assert.equal(buffer.toString('utf8', 0, 3), 'bcd');
    await fsx.close(reader);
    assert.equal(await fsx.readText(path), 'abcd');
    await assert.rejects(fsx.openFile(path, 'wx'), { code: 'EEXIST', syscall: 'open', path });
    await assert.rejects(fsx.lstatIfAny(join(path, 'below-a-file')), { code: 'ENOTDIR' });
    await fsx.rename(path, `${path}.moved`);
    await fsx.unlink(`${path}.moved`);
    await assert.rejects(fsx.unlink(`${path}.moved`), { code: 'ENOENT', syscall: 'unlink' });
  });

  test(`${mode}: downloads come out whole, with nothing left beside them`, async () => {
    localFs.useThreadPool(mode === 'thread pool');
    const tm = h.manager({ chunkSize: MiB });
    const big = seededBytes(3 * MiB + 5, 1);
    await h.emulator.putObject('lfs', `${mode}/big.bin`, big);
    for (let i = 0; i < 20; i++) await h.emulator.putObject('lfs', `${mode}/small/s${i}`, seededBytes(1000 + i, i));
    const dir = join(h.dir, `dl-${mode.replace(' ', '-')}`);
    await mkdir(dir);
    await tm.downloadFile(`gs://lfs/${mode}/big.bin`, join(dir, 'big.bin'));
    const summary = await tm.downloadMany(`gs://lfs/${mode}/small/`, join(dir, 'small'));
    assert.equal(summary.objects, 20);
    assert.ok((await readFile(join(dir, 'big.bin'))).equals(big));
    for (let i = 0; i < 20; i++) assert.ok((await readFile(join(dir, 'small', `s${i}`))).equals(seededBytes(1000 + i, i)));
    assert.deepEqual((await readdir(join(dir, 'small'))).filter((name) => name.includes('gcs-transfer')), []);
    assert.deepEqual((await readdir(dir)).filter((name) => name.includes('gcs-transfer')), []);
  });
}

test('inline calls that are slow on average send the next calls to the thread pool', async () => {
  localFs.useThreadPool(false);
  const fsx = localFs.inlineFs;
  const fd = await fsx.openFile(join(h.dir, 'slow-calls'), 'wx', 0o600);
  try {
    // Each 16 MiB write copies that much into the page cache: milliseconds on any machine, far above the
    // average a fast local file system's metadata calls have.
    const piece = Buffer.alloc(16 * MiB, 1);
    let calls = 0;
    while (localFs.callsInline() && calls < 300) {
      await fsx.writevAt(fd, [piece], 0);
      calls++;
    }
    assert.equal(localFs.callsInline(), false, `${calls} inline writes of 16 MiB did not count as slow`);
  } finally {
    await fsx.close(fd);
  }
});

test('a fast local file system stays inline through many calls', async (t) => {
  localFs.useThreadPool(false);
  const dir = join(h.dir, 'fast-calls');
  await mkdir(dir);
  const fsx = localFs.inlineFs;
  const started = performance.now();
  for (let i = 0; i < 200; i++) {
    const path = join(dir, `f${i}`);
    const fd = await fsx.openFile(path, 'wx', 0o600);
    await fsx.writevAt(fd, [Buffer.alloc(4096)], 0);
    await fsx.close(fd);
    await fsx.unlink(path);
  }
  const perCallMs = (performance.now() - started) / 800;
  // Only a file system that really is fast can be required to stay inline (a test machine's may not be).
  if (perCallMs > localFs.SLOW_AVERAGE_MS / 4) {
    t.diagnostic(`calls took ${perCallMs.toFixed(3)} ms on average here: too slow to check staying inline`);
    return;
  }
  assert.equal(localFs.callsInline(), true, `calls averaging ${perCallMs.toFixed(3)} ms switched to the thread pool`);
});

test('only a local file system gets inline calls', { skip: process.platform !== 'linux' && 'statfs types are read on Linux only' }, async () => {
  assert.equal(await localFs.destinationFs('/proc'), localFs.pooledFs, 'procfs is not a local disk');
  assert.equal(await localFs.destinationFs(join(h.dir, 'no-such-directory')), localFs.pooledFs);
  const type = Number((await statfs(h.dir)).type);
  // ext4, XFS, Btrfs, tmpfs, overlayfs: what test machines put their temp directory on.
  if ([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630].includes(type)) {
    assert.equal(await localFs.destinationFs(h.dir), localFs.inlineFs);
  }
});

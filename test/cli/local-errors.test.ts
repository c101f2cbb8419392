/**
 * Local file failures through the built bin: a LocalIOError with a stable code, the path and the system call,
 * exit 3 in both directions (usage errors, exit 2, are only about arguments); and an upload whose source
 * cannot be read never starts a multipart upload.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runBin } from './bin.js';

let emulator: Emulator;
let dir: string;

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'cli-local-'));
  await emulator.putObject('loc', 'o.bin', Buffer.alloc(1000, 1));
});

after(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

const cp = (...args: string[]): string[] => ['cp', '--endpoint', emulator.url, '--json', ...args];
const isRoot = process.getuid?.() === 0;

async function expectLocalError(args: string[], fields: { path: string; errno: string; syscall?: string }): Promise<void> {
  emulator.metrics.reset();
  const run = await runBin(cp(...args), { env: { GCS_TRANSFER_STATE_DIR: join(dir, 'state') } });
  assert.equal(run.code, 3, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
  const out = JSON.parse(run.stdout) as { exitCode: number; error: { code: string; fields: Record<string, string> } };
  assert.equal(out.exitCode, 3);
  assert.equal(out.error.code, 'ERR_GCS_LOCAL_IO');
  assert.equal(out.error.fields.path, fields.path);
  assert.equal(out.error.fields.errno, fields.errno);
  if (fields.syscall) assert.equal(out.error.fields.syscall, fields.syscall);
  const requests = emulator.metrics.snapshot().requests;
  assert.equal(requests['mpu-initiate'] ?? 0, 0, 'no multipart upload was started');
}

test('upload: a missing source, a directory, an unreadable file', async () => {
  await expectLocalError([join(dir, 'missing.bin'), 'gs://loc/x'], { path: join(dir, 'missing.bin'), errno: 'ENOENT' });
  const sub = join(dir, 'a-dir');
  await mkdir(sub);
  await expectLocalError([sub, 'gs://loc/x'], { path: sub, errno: 'EISDIR' });
  if (!isRoot) {
    const locked = join(dir, 'locked.bin');
    await writeFile(locked, Buffer.alloc(20 * 1024 * 1024));
    await chmod(locked, 0o000);
    await expectLocalError(['--chunk-size', '5MiB', locked, 'gs://loc/x'], { path: locked, errno: 'EACCES', syscall: 'open' });
  }
});

test('download: a missing destination directory, a read-only one', async () => {
  const missing = join(dir, 'no-such-dir');
  await expectLocalError(['gs://loc/o.bin', join(missing, 'o.bin')], { path: missing, errno: 'ENOENT' });
  if (!isRoot) {
    const readOnly = join(dir, 'ro');
    await mkdir(readOnly);
    await chmod(readOnly, 0o555);
    await expectLocalError(['gs://loc/o.bin', join(readOnly, 'o.bin')], { path: readOnly, errno: 'EACCES' });
  }
});

test('download: a destination that is a directory path component (ENOTDIR) is a local error, not a usage error', async () => {
  const file = join(dir, 'plain-file');
  await writeFile(file, 'x');
  await expectLocalError(['gs://loc/o.bin', join(file, 'o.bin')], { path: file, errno: 'ENOTDIR' });
});

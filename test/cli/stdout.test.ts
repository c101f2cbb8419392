/**
 * stdout as the destination, through the built bin: a reader that closes the pipe ends the copy quietly
 * (exit 141, as `cat` in a pipeline); an empty object is "verified" to stdout as it is to a file. And the
 * final progress line and the summary agree on the rate of a resumed run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { CpReporter } from '../../src/cli/cp-report.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { BIN, ensureBuilt, runBin } from './bin.js';

let emulator: Emulator;
let dir: string;

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'cli-stdout-'));
  await ensureBuilt();
});

after(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

test('`cp gs://… - | head -c 100` ends quietly with exit 141', async () => {
  await emulator.putObject('out', 'big.bin', randomBytes(16 * 1024 * 1024));
  // Run in bash (not sh) for PIPESTATUS; the copy's stderr goes to a pipe we read.
  const script = `"${process.execPath}" "${BIN}" cp --endpoint ${emulator.url} gs://out/big.bin - 2>"${dir}/err" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"; cat "${dir}/err"`;
  // Asynchronously: the emulator serving the copy runs in this process.
  const result = await new Promise<{ stdout: string }>((resolve) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.once('close', () => resolve({ stdout }));
  });
  const [code, ...stderr] = result.stdout.split('\n');
  assert.equal(code, '141', result.stdout);
  assert.doesNotMatch(stderr.join('\n'), /EPIPE|gcs-transfer cp:/);
});

test('an empty object is "verified" to stdout as it is to a file', async () => {
  await emulator.putObject('out', 'empty', Buffer.alloc(0));
  const toStdout = await runBin(['cp', '--endpoint', emulator.url, 'gs://out/empty', '-']);
  assert.equal(toStdout.code, 0, toStdout.stderr);
  assert.equal(toStdout.stdout, '');
  const toFile = await runBin(['cp', '--endpoint', emulator.url, 'gs://out/empty', join(dir, 'empty')]);
  assert.equal(toFile.code, 0, toFile.stderr);
  for (const run of [toStdout, toFile]) assert.match(run.stderr, /CRC32C AAAAAA== verified/);
});

test('a resumed run: the final progress line and the summary give the same rate', () => {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const reporter = new CpReporter(
    { stdin: Readable.from([]), stdout: new PassThrough(), stderr, env: {}, cwd: dir },
    { quiet: false, json: false, dataOnStdout: false, checksum: true },
  );
  const MiB = 1024 * 1024;
  reporter.onProgress({ bytesDone: 80 * MiB, bytesTotal: 100 * MiB, partsDone: 8, elapsedMs: 0 });
  reporter.onProgress({ bytesDone: 100 * MiB, bytesTotal: 100 * MiB, partsDone: 10, elapsedMs: 2000 });
  reporter.success({
    direction: 'download',
    source: 'gs://b/o',
    destination: 'o',
    bytes: 100 * MiB,
    crc32c: 'AAAAAA==',
    validated: true,
    parts: 10,
    elapsedMs: 2000,
    resumedBytes: 80 * MiB,
  });
  const avg = /(\S+ \S+)\/s avg/.exec(text)?.[1];
  const summary = /at (\S+ \S+)\/s;/.exec(text)?.[1];
  assert.equal(avg, '10.0 MiB', text);
  assert.equal(summary, avg, text);
});

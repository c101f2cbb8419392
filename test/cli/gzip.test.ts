/**
 * gzip-stored objects through the built bin: decompressed by default (to a file and to stdout), after the
 * stored bytes were verified; `--do-not-decompress` keeps them as stored.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runBin } from './bin.js';

let emulator: Emulator;
let dir: string;
const text = Buffer.from('line of a log file\n'.repeat(200_000));
const stored = gzipSync(text);

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'cli-gzip-'));
  await emulator.putObject('gzip-cli', 'log.gz', stored, { contentEncoding: 'gzip' });
});

after(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

test('to a file: verified as stored, decompressed; --do-not-decompress keeps the stored bytes', async () => {
  const run = await runBin(['cp', '--endpoint', emulator.url, '--chunk-size', '256k', 'gs://gzip-cli/log.gz', join(dir, 'log')]);
  assert.equal(run.code, 0, run.stderr);
  assert.ok((await readFile(join(dir, 'log'))).equals(text));
  assert.match(run.stderr, /\(stored gzip\).*verified; decompressed to 3\.6 MiB/);
  const kept = await runBin(['cp', '--endpoint', emulator.url, '--do-not-decompress', 'gs://gzip-cli/log.gz', join(dir, 'log.gz')]);
  assert.equal(kept.code, 0, kept.stderr);
  assert.ok((await readFile(join(dir, 'log.gz'))).equals(stored));
});

test('to stdout: decompressed, or as stored with --do-not-decompress', async () => {
  const out = await runBin(['cp', '--endpoint', emulator.url, '--json', '--chunk-size', '256k', 'gs://gzip-cli/log.gz', '-']);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, text.toString());
  const result = JSON.parse(out.stderr) as { validated: boolean; bytes: number; decompressed: { bytes: number } };
  assert.equal(result.validated, true);
  assert.equal(result.bytes, stored.length);
  assert.equal(result.decompressed.bytes, text.length);
  const raw = await runBin(['cp', '--endpoint', emulator.url, '--do-not-decompress', 'gs://gzip-cli/log.gz', '-']);
  assert.equal(raw.code, 0, raw.stderr);
  assert.ok(raw.stdoutBytes.equals(stored));
});

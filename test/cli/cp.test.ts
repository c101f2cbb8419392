/**
 * `gcs-transfer cp` in-process against the emulator: both directions, files and stdio, `--json`, usage errors
 * and the documented exit codes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { runCli } from '../../src/cli/run-cli.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';

const MiB = 1024 * 1024;
let emulator: Emulator;
let dir: string;

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'cli-cp-'));
});

after(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

async function cli(args: string[], options: { stdin?: Uint8Array; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await runCli(args, {
    stdin: Readable.from(options.stdin ? [Buffer.from(options.stdin)] : []),
    stdout,
    stderr,
    env: { GCS_TRANSFER_STATE_DIR: join(dir, 'state'), ...options.env },
    cwd: dir,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') };
}

const cp = (...args: string[]): string[] => ['cp', '--endpoint', emulator.url, ...args];

test('cp --help shows usage, every flag and the exit codes; the top level lists the commands', async () => {
  const help = await cli(['cp', '--help']);
  assert.equal(help.code, 0);
  const text = help.stdout.toString();
  for (const flag of ['--endpoint', '--no-auth', '--token-file', '--token-env', '--chunk-size', '--concurrency', '--no-checksum', '--quiet', '--json', '--no-resume', '--restart']) {
    assert.ok(text.includes(flag), flag);
  }
  assert.match(text, /^Usage: gcs-transfer cp/);
  assert.match(text, /130 +interrupted by SIGINT/);
  const top = await cli(['--help']);
  assert.match(top.stdout.toString(), /cp +Copy/);
  assert.equal((await cli([])).code, 2);
  assert.match((await cli(['--version'])).stdout.toString(), /^gcs-transfer \d+\.\d+\.\d+/);
});

test('usage errors exit 2 and name the flag or argument, its value and the expected form', async () => {
  const cases: [string[], RegExp][] = [
    [['cp', 'a', 'b'], /one of SRC and DST must be gs:\/\/BUCKET\/OBJECT, got 'a' and 'b'/],
    [['cp', 'gs://bkt/o'], /expected 2 arguments, got 1/],
    [['cp', '--chunk-size', '12 parsecs', 'gs://bkt/o', 'x'], /--chunk-size: expected a size such as 32MiB.*got '12 parsecs'/],
    [['cp', '-j', '0', 'gs://bkt/o', 'x'], /--concurrency: expected a whole number from 1 to 256, got '0'/],
    [['cp', '--no-auth', '--token-env', 'T', 'gs://bkt/o', 'x'], /choose one of --no-auth, --token-env/],
    [['cp', '--token-env', 'NOPE_NOT_SET', 'gs://bkt/o', 'x'], /--token-env: environment variable NOPE_NOT_SET is not set/],
    [['cp', '--token-file', 'missing.txt', 'gs://bkt/o', 'x'], /--token-file: cannot read 'missing.txt' \(ENOENT\)/],
    [['cp', '--restart', '--no-resume', 'gs://bkt/o', 'x'], /--no-resume and --restart contradict/],
    [['cp', '--read-timeout', 'soon', 'gs://bkt/o', 'x'], /--read-timeout: expected a duration/],
    [['cp', '--chunksize', '1M', 'gs://bkt/o', 'x'], /Did you mean '--chunk-size'\?/],
    [['cp', 'gs://Bad_Bucket!/o', 'x'], /'gs:\/\/Bad_Bucket!\/o' is not a valid gs:\/\/BUCKET\/OBJECT/],
    [['cp', '-', 'gs://bkt/'], /an upload from stdin needs an object name/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [args, pattern] of cases) {
    const run = await cli(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, pattern);
    assert.doesNotMatch(run.stderr, /ERR_GCS_INVALID_ARG|\n\s+at /, 'no codes or stack traces for usage errors');
  }
});

test('a token given by file is used but never echoed, even when the file is malformed', async () => {
  const tokenFile = join(dir, 'token.txt');
  await writeFile(tokenFile, 'ya29.first-token second-token\n');
  const run = await cli(['cp', '--token-file', tokenFile, 'gs://bkt/o', 'x']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /expected exactly one access token/);
  assert.doesNotMatch(run.stderr, /first-token|second-token/);
});

test('file round trip with --json: upload to gs://bucket/ (name taken from the file), download into a directory', async () => {
  const content = randomBytes(3 * MiB + 123);
  const source = join(dir, 'round.bin');
  await writeFile(source, content);
  const up = await cli(cp('--json', '--chunk-size', '5MiB', 'round.bin', 'gs://bkt/in/'));
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.stderr, '', '--json prints nothing else');
  const upResult = JSON.parse(up.stdout.toString()) as Record<string, unknown>;
  assert.equal(upResult.ok, true);
  assert.equal(upResult.destination, 'gs://bkt/in/round.bin');
  assert.equal(upResult.bytes, content.length);
  assert.equal(upResult.crc32c, crc32cToBase64(crc32c(content)));
  assert.equal(upResult.validated, true);

  const outDir = join(dir, 'out');
  await mkdir(outDir);
  const down = await cli(cp('--json', '--chunk-size', '1MiB', '-j', '3', 'gs://bkt/in/round.bin', 'out/'));
  assert.equal(down.code, 0, down.stderr);
  const downResult = JSON.parse(down.stdout.toString()) as Record<string, unknown>;
  assert.deepEqual(
    { ok: downResult.ok, destination: downResult.destination, bytes: downResult.bytes, parts: downResult.parts, validated: downResult.validated },
    { ok: true, destination: join(outDir, 'round.bin'), bytes: content.length, parts: 4, validated: true },
  );
  assert.ok((await readFile(join(outDir, 'round.bin'))).equals(content));
  assert.deepEqual(await readdir(outDir), ['round.bin'], 'no partial file or journal left behind');
});

test('stdin → object → stdout; with data on stdout, --json goes to stderr', async () => {
  const content = randomBytes(2 * MiB + 5);
  const up = await cli(cp('-q', '-', 'gs://bkt/piped.bin'), { stdin: content });
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.stderr, '', '--quiet prints nothing on success');
  const down = await cli(cp('--json', '--chunk-size', '512k', 'gs://bkt/piped.bin', '-'));
  assert.equal(down.code, 0, down.stderr);
  assert.ok(down.stdout.equals(content), 'stdout carries exactly the object');
  const result = JSON.parse(down.stderr) as Record<string, unknown>;
  assert.equal(result.validated, true);
  assert.equal(result.crc32c, crc32cToBase64(crc32c(content)));
});

test('human output: progress lines and a summary on stderr; nothing on stdout', async () => {
  await emulator.putObject('bkt', 'human.bin', randomBytes(MiB));
  const run = await cli(cp('gs://bkt/human.bin', 'human.bin'));
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.length, 0);
  assert.match(run.stderr, /^progress: /m);
  assert.match(run.stderr, /^done: 100% +1\.0 MiB \/ 1\.0 MiB/m);
  assert.match(run.stderr, /^Copied gs:\/\/bkt\/human\.bin → .*human\.bin: 1\.0 MiB in 1 part, .* CRC32C \S+ verified$/m);
});

test('a missing object exits 3 with ERR_GCS_NOT_FOUND and leaves no file', async () => {
  const run = await cli(cp('--json', '--max-retry-time', '1s', 'gs://bkt/does-not-exist', 'nothing.bin'));
  assert.equal(run.code, 3, run.stderr);
  const result = JSON.parse(run.stdout.toString()) as { ok: boolean; exitCode: number; error: { code: string; stack?: string } };
  assert.equal(result.ok, false);
  assert.equal(result.exitCode, 3);
  assert.equal(result.error.code, 'ERR_GCS_NOT_FOUND');
  assert.equal(result.error.stack, undefined, 'no stack traces in --json');
  await assert.rejects(stat(join(dir, 'nothing.bin')), { code: 'ENOENT' });
  await assert.rejects(stat(join(dir, 'nothing.bin.gcs-transfer.partial')), { code: 'ENOENT' });
});

test('corrupted bytes exit 4 (integrity) and nothing is presented as done, not even resume state', async () => {
  await emulator.putObject('bkt', 'corrupt.bin', randomBytes(2 * MiB));
  emulator.faults.add({ match: { op: 'media' }, fault: 'flip-byte:100', times: 100 });
  try {
    const run = await cli(cp('--chunk-size', '1MiB', 'gs://bkt/corrupt.bin', 'corrupt.bin'));
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, /CRC32C .*\[ERR_GCS_DATA_CORRUPTION\]/);
    assert.doesNotMatch(run.stderr, /^done:/m);
  } finally {
    emulator.faults.clear();
  }
  const left = (await readdir(dir)).filter((name) => name.startsWith('corrupt.bin'));
  assert.deepEqual(left, [], 'no destination, partial file or journal');
});

test('no server checksum: exit 0 saying NOT verified, or exit 4 with --require-checksum', async () => {
  await emulator.putObject('bkt', 'nohash.bin', randomBytes(1000));
  emulator.faults.add({ match: { op: 'media' }, fault: 'omit-header:x-goog-hash', times: 100 });
  try {
    const lax = await cli(cp('gs://bkt/nohash.bin', 'nohash.bin'));
    assert.equal(lax.code, 0, lax.stderr);
    assert.match(lax.stderr, /NOT verified: the server gave no checksum/);
    const strict = await cli(cp('--json', '--require-checksum', 'gs://bkt/nohash.bin', 'nohash-strict.bin'));
    assert.equal(strict.code, 4, strict.stderr);
    assert.equal((JSON.parse(strict.stdout.toString()) as { error: { code: string } }).error.code, 'ERR_GCS_UNVALIDATED');
    await assert.rejects(stat(join(dir, 'nohash-strict.bin')), { code: 'ENOENT' });
  } finally {
    emulator.faults.clear();
  }
});

test('SIGTERM mid-download exits 143, keeps the partial file and journal, and the next run resumes', async () => {
  const content = randomBytes(4 * MiB);
  await emulator.putObject('bkt', 'term.bin', content);
  // The third range stalls, so the first two are journaled by the time the signal arrives.
  emulator.faults.add({ match: { op: 'media' }, fault: 'stall-body:5000,after=1000', skip: 2 });
  const controller = new AbortController();
  const running = cli(cp('--chunk-size', '1MiB', '-j', '1', 'gs://bkt/term.bin', 'term.bin'), { signal: controller.signal });
  const journalPath = join(dir, 'term.bin.gcs-transfer.partial.json');
  for (let i = 0; i < 500; i += 1) {
    // Adjacent completed ranges share one journal entry: two ranges done is 2 MiB journaled.
    const journal = await readFile(journalPath, 'utf8').then((t) => JSON.parse(t) as { ranges: { start: number; end: number }[] }, () => undefined);
    if ((journal?.ranges ?? []).reduce((total, r) => total + r.end - r.start, 0) >= 2 * MiB) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  controller.abort('SIGTERM');
  const run = await running;
  emulator.faults.clear();
  assert.equal(run.code, 143, run.stderr);
  assert.match(run.stderr, /interrupted by SIGTERM\n.*re-run the same command to resume \(saved state: .*term\.bin\.gcs-transfer\.partial and .*term\.bin\.gcs-transfer\.partial\.json\)/);
  emulator.metrics.reset();
  const again = await cli(cp('--chunk-size', '1MiB', '-j', '1', 'gs://bkt/term.bin', 'term.bin'));
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /resuming: 2\.0 MiB of 4\.0 MiB already in/);
  assert.ok((await readFile(join(dir, 'term.bin'))).equals(content));
  assert.ok(emulator.metrics.snapshot().bytesOut <= 2 * MiB + 1);
});

test('state is kept only when a re-run can succeed: after a refusal the partial file goes, the upload is cancelled', async () => {
  await emulator.putObject('bkt', 'refused.bin', randomBytes(3 * MiB));
  emulator.faults.add({ match: { op: 'media', object: 'refused.bin' }, fault: 'status:403', skip: 2, times: 100 });
  const download = await cli(cp('--chunk-size', '512k', '-j', '1', 'gs://bkt/refused.bin', 'refused.bin'));
  emulator.faults.clear();
  assert.equal(download.code, 3, download.stderr);
  assert.doesNotMatch(download.stderr, /re-run the same command/);
  assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('refused.bin')), []);

  await writeFile(join(dir, 'refused-up.bin'), randomBytes(5 * MiB + 10));
  emulator.metrics.reset();
  emulator.faults.add({ match: { op: 'mpu-upload-part', object: 'refused-up.bin' }, fault: 'status:403', times: 100 });
  const upload = await cli(cp('--chunk-size', '5MiB', 'refused-up.bin', 'gs://bkt/refused-up.bin'));
  emulator.faults.clear();
  assert.equal(upload.code, 3, upload.stderr);
  assert.match(upload.stderr, /the unfinished upload was cancelled/);
  assert.doesNotMatch(upload.stderr, /left open for resume/, 'never both "cancelled" and "left open"');
  assert.equal(upload.stderr.match(/cancelled/g)?.length, 1, upload.stderr);
  assert.doesNotMatch(upload.stderr, /re-run the same command/);
  assert.equal(emulator.metrics.snapshot().requests['mpu-abort'], 1);
  assert.deepEqual(await readdir(join(dir, 'state', 'uploads')), []);
});

test('an upload that outlasts its retries on transient errors keeps its state, and the re-run resumes it', async () => {
  const content = randomBytes(2 * 5 * MiB + 10);
  await writeFile(join(dir, 'flaky-up.bin'), content);
  emulator.metrics.reset();
  // Part 1 goes through; every other part meets a 503 until the retry budget is spent.
  emulator.faults.add({ match: { op: 'mpu-upload-part', object: 'flaky-up.bin' }, fault: 'status:503', skip: 1, times: 1000 });
  const first = await cli(cp('--chunk-size', '5MiB', '-j', '1', '--max-retry-time', '200ms', 'flaky-up.bin', 'gs://bkt/flaky-up.bin'));
  emulator.faults.clear();
  assert.equal(first.code, 3, first.stderr);
  assert.match(first.stderr, /re-run the same command to resume \(saved state: .*state\/uploads\/[0-9a-f]{32}\.json\)/);
  assert.equal(emulator.metrics.snapshot().requests['mpu-abort'], 0, 'the upload is left open for the re-run');
  emulator.metrics.reset();
  const second = await cli(cp('--chunk-size', '5MiB', 'flaky-up.bin', 'gs://bkt/flaky-up.bin'));
  assert.equal(second.code, 0, second.stderr);
  const metrics = emulator.metrics.snapshot();
  assert.equal(metrics.requests['mpu-initiate'], 0);
  assert.equal(metrics.requests['mpu-list-parts'], 1);
  assert.equal(metrics.requests['mpu-upload-part'], 2, 'part 1 is reused; parts 2 and 3 are sent');
  assert.match(second.stderr, /5\.0 MiB reused from the interrupted run/);
  const stored = Buffer.from(await (await fetch(`${emulator.url}/bkt/flaky-up.bin`)).arrayBuffer());
  assert.ok(stored.equals(content), 'byte-exact');
});

/**
 * The distributed entry point's pieces that need no Redis: queue URLs, job names, safe local names, the CLI's
 * usage errors, and the promise that importing the package root loads neither this entry point nor BullMQ.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../../src/errors.js';
import { parseQueueUrl } from '../../src/distributed/queue-url.js';
import { checkJobName, newJobName, objectKey } from '../../src/distributed/job-spec.js';
import { safeRelativePath } from '../../src/distributed/download-tasks.js';
import { cli } from './cli-io.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

test('parseQueueUrl: host, port, db, TLS and credentials; the password never shows', () => {
  assert.deepEqual(parseQueueUrl('redis://redis.internal'), { host: 'redis.internal', port: 6379, db: 0, display: 'redis://redis.internal' });
  const full = parseQueueUrl('rediss://user:s3cret@10.0.0.7:6380/3');
  assert.equal(full.host, '10.0.0.7');
  assert.equal(full.port, 6380);
  assert.equal(full.db, 3);
  assert.equal(full.username, 'user');
  assert.equal(full.password, 's3cret');
  assert.deepEqual(full.tls, {});
  assert.ok(!full.display.includes('s3cret'), full.display);
  assert.equal(parseQueueUrl('redis://[::1]:7000/').host, '::1');
  for (const bad of ['', 'localhost:6379', 'http://localhost:6379', 'redis://h/abc', 'redis://h:1/0?x=1']) {
    assert.throws(() => parseQueueUrl(bad), InvalidArgumentError, bad);
  }
  assert.throws(() => parseQueueUrl('memcached://u:pw@h'), (error: Error) => error.message.includes('***') && !error.message.includes(':pw@'));
});

test('job names: safe for Redis keys and BullMQ ids; generated ones are valid; object keys are fixed-size', () => {
  assert.equal(checkJobName('nightly-2026.11.30_a'), 'nightly-2026.11.30_a');
  for (const bad of ['', '-x', 'a:b', 'a b', 'x'.repeat(65), 'a/b', 'é']) assert.throws(() => checkJobName(bad), InvalidArgumentError, bad);
  assert.equal(checkJobName(newJobName()).length > 10, true);
  assert.match(objectKey('x'.repeat(5000)), /^[0-9a-f]{24}$/);
  assert.notEqual(objectKey('a'), objectKey('b'));
});

test('safeRelativePath: only names that stay inside the destination directory', () => {
  for (const ok of ['a', 'a/b.txt', 'ünï/cödé #1', '..a/b..', 'a/.hidden']) assert.equal(safeRelativePath(ok), true, ok);
  for (const bad of ['', '/abs', 'a/../../b', '..', 'a/./b', 'a//b', 'a\\b', 'nul\0byte', 'trailing/']) assert.equal(safeRelativePath(bad), false, bad);
});

test('importing the package root loads neither the distributed entry point nor bullmq', async () => {
  const seen = new Set<string>();
  const pending = [resolve(SRC, 'index.ts')];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g)) {
      const specifier = match[1] as string;
      assert.notEqual(specifier, 'bullmq', `${file} imports bullmq`);
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  }
  assert.ok(seen.size > 20, `walked only ${seen.size} modules`);
  for (const file of seen) assert.ok(!file.includes(`${join('src', 'distributed')}`), `${file} is reachable from the root`);
});

test('CLI: usage errors name the problem and exit 2; help lists the new commands', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gcs-dist-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'tree'));
  const queue = 'redis://127.0.0.1:1';
  const cases: [string[], RegExp][] = [
    [['cp', 'tree', 'gs://b-1/x/', '--queue', queue], /'tree' is a directory: add -r/],
    [['cp', '-', 'gs://b-1/x', '--queue', queue], /not stdin\/stdout/],
    [['cp', '-r', 'tree', 'gs://b-1/x/', '--queue', 'localhost:6379'], /--queue: expected a redis:\/\/ or rediss:\/\/ URL/],
    [['cp', '-r', 'tree', 'gs://b-1/x/', '--queue', queue, '--job', 'a:b'], /--job: expected 1-64 characters/],
    [['cp', '-r', 'missing', 'gs://b-1/x/', '--queue', queue], /does not exist/],
    [['status', '--queue', queue], /--job is required/],
    [['worker', '--queue', queue, '--lease', '100ms'], /--lease: expected at least 1s/],
    [['worker'], /--queue is required/],
  ];
  for (const [args, message] of cases) {
    const run = await cli(args, dir);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message, args.join(' '));
  }
  const help = await cli(['--help'], dir);
  assert.match(help.stdout, /worker {4}Run tasks of distributed transfers/);
  assert.match(help.stdout, /status {4}Show a distributed transfer/);
  for (const command of [['worker', '--help'], ['status', '--help'], ['cp', '--queue', queue, '--help']]) {
    const run = await cli(command, dir);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /--queue URL/);
  }
});

test('an unreachable Redis is a clear transfer failure (exit 3), not a hang', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gcs-dist-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'tree'));
  for (const args of [
    ['cp', '-r', 'tree', 'gs://b-1/x/', '--queue', 'redis://127.0.0.1:1'],
    ['status', '--queue', 'redis://127.0.0.1:1', '--job', 'j'],
  ]) {
    const run = await cli(args, dir);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /Cannot reach Redis at redis:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
  }
});

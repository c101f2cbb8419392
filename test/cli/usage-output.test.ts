/**
 * Usage errors through the built bin: reported once, plainly, with a hint for `gcloud storage cp` flags we do
 * not have; and `--json` covers them too (one JSON object on stdout, exit 2).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBin } from './bin.js';

test('an unknown flag is reported once, without Node internals; a gcloud flag gets a hint', async () => {
  const run = await runBin(['cp', '--preserve-posix', 'gs://bkt/o', 'x']);
  assert.equal(run.code, 2);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, /^gcs-transfer cp: unknown flag '--preserve-posix': a 'gcloud storage cp' flag that gcs-transfer cp does not have \(file modes follow cp[^)]*\)\. Try 'gcs-transfer cp --help'\.\n$/);
  assert.doesNotMatch(run.stderr, /positional argument|ERR_PARSE_ARGS|caused by/);
  const typo = await runBin(['cp', '--chunksize=1M', 'gs://bkt/o', 'x']);
  assert.match(typo.stderr, /^gcs-transfer cp: unknown flag '--chunksize'\. Did you mean '--chunk-size'\?/);
  assert.equal(typo.stdout, '');
});

test('--json covers usage errors: one JSON object on stdout, nothing on stderr, exit 2', async () => {
  for (const args of [
    ['cp', '--json', '--preserve-posix', 'gs://bkt/o', 'x'],
    ['cp', '--json', '-j', '0', 'gs://bkt/o', 'x'],
    ['cp', '--json', 'a', 'b'],
  ]) {
    const run = await runBin(args);
    assert.equal(run.code, 2, args.join(' '));
    assert.equal(run.stderr, '', args.join(' '));
    const result = JSON.parse(run.stdout) as { ok: boolean; exitCode: number; error: { code: string; message: string } };
    assert.equal(result.ok, false);
    assert.equal(result.exitCode, 2);
    assert.equal(result.error.code, 'ERR_GCS_INVALID_ARG');
  }
});

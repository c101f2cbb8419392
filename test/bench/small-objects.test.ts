/**
 * bench/small-objects.ts end to end on a tiny set: every row is produced, every download really ran (the script
 * fails when downloadMany moves fewer objects than it stored), and the numbers are physically sane. Not timed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'bench/small-objects.ts', ...args], { cwd: root, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

test('small-objects: each half of a small download beside the whole and the peer', { timeout: 150_000 }, async () => {
  const { code, stdout, stderr } = await run(['--objects', '12', '--size', '4KiB', '--concurrency', '4', '--rounds', '3', '--json']);
  assert.equal(code, 0, `exit code ${code}\n${stdout}\n${stderr}`);
  const report = JSON.parse(stdout) as { objects: number; rounds: number; rows: { case: string; cpuMsPerObject: number; objectsPerSec: number }[] };
  assert.equal(report.objects, 12);
  assert.equal(report.rounds, 1);
  assert.deepEqual(
    report.rows.map((row) => row.case),
    ['bare GETs', 'bare GETs + writeFile', 'destination protocol', 'downloadMany', '@google-cloud/storage downloadManyFiles'],
  );
  for (const row of report.rows) {
    assert.ok(row.cpuMsPerObject > 0 && row.cpuMsPerObject < 1000, `${row.case}: ${row.cpuMsPerObject} ms CPU per object`);
    assert.ok(row.objectsPerSec > 0, `${row.case}: ${row.objectsPerSec} objects/s`);
  }
});

test('small-objects: a bad flag value is a clear error naming the flag', async () => {
  const { code, stderr } = await run(['--rounds', '2']);
  assert.equal(code, 2);
  assert.equal(stderr, 'small-objects: --rounds must be more than the 2 warm-up rounds, got 2\n');
});

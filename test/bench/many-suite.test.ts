/**
 * The bench's many-objects suite end to end on loopback with the quick preset's tiny sets: every case runs in
 * its own process, ours and the peer's, and each row carries objects/s and CPU per object. (The quick run of
 * the other suites leaves this one out to stay within its time budget.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BenchRun } from '../../bench/results.js';
import { setSizes } from '../../bench/suites/many.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('mixed sets are seeded, log-uniform between 1 KiB and the maximum', () => {
  const sizes = setSizes({ name: 'mixed', files: 300, size: 64 * 1024 * 1024 }, 'seed');
  assert.deepEqual(sizes, setSizes({ name: 'mixed', files: 300, size: 64 * 1024 * 1024 }, 'seed'));
  assert.ok(sizes.every((s) => s >= 1024 && s <= 64 * 1024 * 1024));
  // Log-uniform: about as many below 256 KiB (the geometric middle) as above.
  const below = sizes.filter((s) => s < 256 * 1024).length;
  assert.ok(below > 100 && below < 200, `${below} of 300 below the middle`);
});

test('bench --quick --suite many runs ours and the peer in both directions', { timeout: 120_000 }, async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'bench-many-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--suite', 'many', '--profile', 'loopback', '--out', out],
      { cwd: root, maxBuffer: 16 * 1024 * 1024, timeout: 110_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
  assert.equal(code, 0, `exit code ${code}\n${stdout}\n${stderr}`);
  assert.match(stdout, /MANY · LOOPBACK/);
  assert.match(stdout, /realistic many small uploads ≥ 5×.*not measured/);
  const run = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')) as BenchRun;
  assert.deepEqual(run.failures, []);
  const methods = run.rows.filter((r) => r.suite === 'many').map((r) => r.method).sort();
  assert.deepEqual(methods, [
    'download/mixed/peer-default',
    'download/mixed/tm',
    'download/small/peer-default',
    'download/small/peer-equal',
    'download/small/tm',
    'upload/mixed/peer-default',
    'upload/mixed/tm',
    'upload/small/peer-default',
    'upload/small/peer-equal',
    'upload/small/tm',
  ]);
  for (const row of run.rows) {
    assert.ok(row.objectsPerSec !== undefined && row.objectsPerSec > 0, row.method);
    assert.ok(row.cpuMsPerObject !== undefined && row.cpuMsPerObject > 0, row.method);
    assert.match(row.note ?? '', /objects\/s/);
  }
});

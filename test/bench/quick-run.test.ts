/**
 * The harness end to end, as a user runs it: `bench/run.ts --quick` in its own process, against the emulator in
 * another, with every suite (a tiny sweep and the peer comparison included). The numbers of a quick run mean
 * little, so this checks that each part is produced and physically sane, not how fast anything is.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BenchRun } from '../../bench/results.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function runQuick(out: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out],
      { cwd: root, maxBuffer: 16 * 1024 * 1024, timeout: 150_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

test('bench --quick runs every suite and writes a sane report, JSON and chart', { timeout: 180_000 }, async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'bench-quick-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const { code, stdout, stderr } = await runQuick(out);
  assert.equal(code, 0, `exit code ${code}\n${stdout}\n${stderr}`);

  // The report a person reads.
  for (const section of [
    'CRC32C · CPU',
    'DOWNLOAD · LOOPBACK',
    'UPLOAD · LOOPBACK',
    'PEERS · LOOPBACK',
    'DOWNLOAD · REALISTIC',
    'UPLOAD · REALISTIC',
    'SWEEP · download · realistic',
    'SWEEP · upload · realistic',
    'TARGETS',
    'RECOMMENDED TransferManager DEFAULTS',
  ]) {
    assert.ok(stdout.includes(section), `report section ${section} missing:\n${stdout}`);
  }
  assert.doesNotMatch(stdout, /NaN|undefined|Infinity/);
  assert.doesNotMatch(stdout, /^FAILED/m);
  // Progress went to stderr, one line per finished case.
  assert.match(stderr, /download · realistic · TransferManager\.downloadFile: [\d.]+ MiB\/s/);

  // The JSON record.
  const files = await readdir(out);
  assert.ok(files.includes('latest.json') && files.some((f) => /^bench-.*\.json$/.test(f)), files.join(', '));
  const run = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')) as BenchRun;
  assert.deepEqual(run.failures, []);
  for (const suite of ['download', 'upload', 'crc32c', 'peers'] as const) {
    assert.ok(run.rows.some((r) => r.suite === suite), `no ${suite} rows`);
  }
  for (const row of run.rows) {
    const what = `${row.suite}/${row.profile}/${row.method}`;
    assert.equal(row.iterations, 1, what);
    assert.ok(row.mibps.median > 0 && Number.isFinite(row.mibps.median), what);
    // curl's own cost is only known where GNU time is installed; every other row must have both.
    if (row.method === 'curl' && row.cpuSecPerGiB === undefined && row.peakRssMiB === undefined) continue;
    assert.ok(row.peakRssMiB !== undefined && row.peakRssMiB > 1 && row.peakRssMiB < 4096, `${what}: RSS ${row.peakRssMiB}`);
    assert.ok(row.cpuSecPerGiB !== undefined && row.cpuSecPerGiB > 0, `${what}: CPU ${row.cpuSecPerGiB}`);
  }
  // Shaping is real and the byte accounting right: nothing beats the realistic profile's caps (20 MiB/s per
  // connection, 200 MiB/s in total), and the parallel engine beats one stream (by how much is not a harness
  // property: a 24 MiB object is only 3 ranges).
  const realistic = (suite: string, method: string) => run.rows.find((r) => r.suite === suite && r.profile === 'realistic' && r.method === method);
  const single = realistic('download', 'single');
  const parallel = realistic('download', 'tm-file');
  assert.ok(single && single.mibps.median <= 20 * 1.1, `single stream ${single?.mibps.median} MiB/s`);
  assert.ok(parallel && parallel.mibps.median <= 200 * 1.1 && parallel.mibps.median > single.mibps.median, `parallel ${parallel?.mibps.median}`);
  assert.equal(single.vsBase, 1);
  assert.ok(Math.abs((parallel.vsCap ?? 0) - parallel.mibps.median / 200) < 1e-9);
  // Every target either was measured, or says why not (only curl may be missing).
  for (const check of run.targets) {
    if (check.pass === null) assert.match(check.target, /curl/, `${check.target}: ${check.detail}`);
    else assert.equal(typeof check.measured, 'number', check.target);
  }

  // The sweep: 2 directions × the quick grid, a recommendation per direction, and its chart.
  assert.equal(run.sweep.filter((c) => c.direction === 'download').length, 4);
  assert.equal(run.sweep.filter((c) => c.direction === 'upload').length, 4);
  assert.deepEqual(run.recommendations.map((r) => r.direction).sort(), ['download', 'upload']);
  const svg = await readFile(join(out, 'sweep.svg'), 'utf8');
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(svg.match(/<polyline /g)?.length, 4, '2 panels × 2 concurrencies');
});

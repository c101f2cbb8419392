import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recommendDefaults } from '../../bench/recommend.js';
import type { CaseRow, SweepCell } from '../../bench/results.js';
import { evaluateTargets } from '../../bench/targets.js';

const MiB = 1024 * 1024;

function cell(direction: 'download' | 'upload', profile: 'loopback' | 'realistic', chunkMiB: number, concurrency: number, mibps: number): SweepCell {
  return { direction, profile, chunkSize: chunkMiB * MiB, concurrency, mibps, cpuSecPerGiB: 1, sampledPeakRssMiB: 100 };
}

function row(suite: CaseRow['suite'], profile: CaseRow['profile'], method: string, mibps: number, peakRssMiB = 100): CaseRow {
  return { suite, profile, method, label: method, bytes: 1, iterations: 1, mibps: { median: mibps, min: mibps, max: mibps }, rme: 0, cpuSecPerGiB: 1, peakRssMiB, rssSource: 'process' };
}

test('recommendation: the setting whose worst profile is best wins', () => {
  const cells = [
    cell('download', 'realistic', 16, 8, 150),
    cell('download', 'realistic', 16, 16, 190),
    cell('download', 'loopback', 16, 8, 500),
    cell('download', 'loopback', 16, 16, 480),
  ];
  const [rec] = recommendDefaults(cells);
  // 16×16: 100 % of realistic's best, 96 % of loopback's; 16×8: 79 % on realistic.
  assert.equal(rec?.direction, 'download');
  assert.equal(rec?.concurrency, 16);
  assert.equal(rec?.chunkSize, 16 * MiB);
  assert.match(rec?.reason ?? '', /96 % of the best on loopback/);
});

test('recommendation: near-ties go to fewer connections, then smaller chunks', () => {
  const cells = [
    cell('upload', 'realistic', 32, 16, 200),
    cell('upload', 'realistic', 64, 8, 199),
    cell('upload', 'realistic', 16, 8, 197),
    cell('upload', 'realistic', 8, 4, 120),
  ];
  const [rec] = recommendDefaults(cells);
  assert.deepEqual([rec?.chunkSize, rec?.concurrency], [16 * MiB, 8]);
});

test('targets: PASS, MISS and N/A follow the numbers', () => {
  const rows = [
    row('download', 'realistic', 'single', 20),
    row('download', 'realistic', 'tm-file', 190),
    row('upload', 'realistic', 'resumable', 20),
    row('upload', 'realistic', 'tm-file', 150),
    row('download', 'loopback', 'tm-file', 400),
    row('download', 'loopback', 'curl', 500),
    row('peers', 'loopback', 'download/tm-file', 400, 80),
    row('peers', 'loopback', 'download/peer-crc32c', 100, 400),
    row('peers', 'loopback', 'upload/tm-file', 300, 150),
    row('peers', 'loopback', 'upload/peer-crc32c', 250, 250),
  ];
  const checks = evaluateTargets(rows, { realistic: 200 });
  const verdict = (prefix: string): boolean | null | undefined => checks.find((c) => c.target.startsWith(prefix))?.pass;
  assert.equal(verdict('realistic download: parallel ≥ 8×'), true); // 9.5×
  assert.equal(verdict('realistic download: parallel ≥ 90 %'), true); // 95 %
  assert.equal(verdict('realistic upload: parallel ≥ 8×'), false); // 7.5×
  assert.equal(verdict('realistic upload: parallel ≥ 90 %'), false); // 75 %
  assert.equal(verdict('loopback download to a file'), false); // 80 % of curl
  assert.equal(verdict('loopback: download ≥ 2×'), true);
  assert.equal(verdict('loopback: download peak RSS'), true); // 0.2×
  assert.equal(verdict('loopback: upload ≥ 1.3×'), false); // 1.2×
  assert.equal(verdict('loopback: upload peak RSS'), false); // 0.6×
  const miss = checks.find((c) => c.target.startsWith('realistic upload: parallel ≥ 8×'));
  assert.match(miss?.detail ?? '', /7\.50× \(150\.0 MiB\/s vs 20\.0 MiB\/s; need 8×\)/);
});

test('targets: a suite not run is N/A "not measured", a failed case is N/A "failed"', () => {
  const checks = evaluateTargets([row('download', 'realistic', 'single', 20)], { realistic: 200 });
  const download = checks.find((c) => c.target.startsWith('realistic download: parallel ≥ 8×'));
  const upload = checks.find((c) => c.target.startsWith('realistic upload: parallel ≥ 8×'));
  assert.equal(download?.pass, null);
  assert.match(download?.detail ?? '', /failed/);
  assert.equal(upload?.pass, null);
  assert.match(upload?.detail ?? '', /not measured/);
});

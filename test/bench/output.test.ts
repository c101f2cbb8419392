import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweepChartSvg } from '../../bench/chart.js';
import { parseBenchArgs } from '../../bench/cli.js';
import { buildPlan } from '../../bench/plan.js';
import { formatReport } from '../../bench/report.js';
import type { BenchRun, SweepCell } from '../../bench/results.js';

const MiB = 1024 * 1024;

const cells: SweepCell[] = [8, 16, 32].flatMap((chunk) =>
  [4, 8].flatMap((concurrency) =>
    (['download', 'upload'] as const).map((direction) => ({
      direction,
      profile: 'realistic' as const,
      chunkSize: chunk * MiB,
      concurrency,
      mibps: chunk * concurrency,
      cpuSecPerGiB: 1,
      sampledPeakRssMiB: 90,
    })),
  ),
);

test('the sweep chart has one panel per direction and one line per concurrency, with the cap', () => {
  const svg = sweepChartSvg(cells, { title: 'T & <test>', caps: { realistic: 200 } });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.match(svg, /T &amp; &lt;test&gt;/, 'text is XML-escaped');
  assert.equal(svg.match(/<polyline /g)?.length, 4, '2 panels × 2 concurrencies');
  assert.equal(svg.match(/<circle /g)?.length, cells.length);
  assert.equal(svg.match(/cap 200 MiB\/s/g)?.length, 2);
  assert.match(svg, /download · realistic/);
  assert.match(svg, />×8</);
  assert.doesNotMatch(svg, /NaN|undefined/);
});

test('the report shows tables, the sweep grid, targets and recommendations', () => {
  const run: BenchRun = {
    startedAt: '2026-01-01T00:00:00.000Z',
    durationSec: 100,
    mode: 'default run',
    runtime: 'transpiled JavaScript',
    machine: { cpus: 'CPU', cores: 2, memoryGiB: 8, os: 'Linux', node: 'v20' },
    settings: { size: 256 * MiB, iterations: 3, chunkSize: 32 * MiB, concurrency: 8, profiles: [{ name: 'realistic', summary: 's', rationale: 'r', capMiBps: 200 }] },
    rows: [
      { suite: 'download', profile: 'realistic', method: 'single', label: 'single stream', bytes: 1, iterations: 3, mibps: { median: 19.9, min: 19.5, max: 20 }, rme: 1, cpuSecPerGiB: 1.5, peakRssMiB: 70, rssSource: 'process', vsBase: 1, vsCap: 0.1 },
      { suite: 'download', profile: 'realistic', method: 'tm-file', label: 'TM', bytes: 1, iterations: 3, chunkSize: 32 * MiB, concurrency: 8, mibps: { median: 190, min: 180, max: 195 }, rme: 1, cpuSecPerGiB: 2, peakRssMiB: 120, rssSource: 'process', vsBase: 9.55, vsCap: 0.95 },
    ],
    sweep: cells,
    targets: [{ target: 'realistic download: parallel ≥ 8× single stream', pass: true, measured: 9.55, threshold: 8, detail: '9.55×' }],
    recommendations: [{ direction: 'download', chunkSize: 16 * MiB, concurrency: 16, reason: 'best' }],
    skipped: [],
    failures: ['upload · realistic · x: boom'],
  };
  const report = formatReport(run, { json: '/r/latest.json', chart: '/r/sweep.svg' });
  assert.match(report, /DOWNLOAD · REALISTIC \(× base: vs single stream; cap 200 MiB\/s\)/);
  assert.match(report, /TM\s+32M×8\s+190\s+180–195\s+9\.55×\s+95%/);
  assert.match(report, /SWEEP · download · realistic/);
  assert.match(report, /256 ◀/, 'the best sweep cell is marked');
  assert.match(report, /PASS {2}realistic download/);
  assert.match(report, /download {2}chunkSize 16\.0 MiB, concurrency 16/);
  assert.match(report, /FAILED\n {2}upload · realistic · x: boom/);
  assert.match(report, /Chart: \/r\/sweep\.svg/);
});

test('bench arguments: presets, overrides and clear errors', () => {
  const defaults = { chunkSize: 32 * MiB, concurrency: 8 };
  const quick = parseBenchArgs(['--quick', '--suite', 'download,crc32c', '--size', '48MiB']);
  const plan = buildPlan(quick.mode, quick.overrides, defaults);
  assert.equal(plan.mode, 'quick');
  assert.deepEqual(plan.suites, ['download', 'crc32c']);
  assert.equal(plan.size, 48 * MiB);
  assert.equal(buildPlan('default', {}, defaults).size, 256 * MiB);
  assert.equal(buildPlan('full', {}, defaults).size, 1024 * MiB);
  assert.throws(() => parseBenchArgs(['--suite', 'nope']), { code: 'ERR_GCS_INVALID_ARG', message: /--suite must be .*download/ });
  assert.throws(() => parseBenchArgs(['--profile', 'lan']), { code: 'ERR_GCS_INVALID_ARG', message: /--profile must be .*realistic/ });
  assert.throws(() => parseBenchArgs(['--iterations', '0']), { message: /--iterations must be a positive integer/ });
  assert.throws(() => parseBenchArgs(['--endpoint', 'https://storage.googleapis.com']), { message: /--bucket/ });
  assert.throws(() => parseBenchArgs(['--quick', '--full']), { message: /cannot be combined/ });
  assert.throws(() => buildPlan('default', { chunkSize: MiB }, defaults), { message: /--chunk-size must be at least 5MiB/ });
});

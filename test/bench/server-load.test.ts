import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverLoad, type EmulatorUsage } from '../../bench/emulator-process.js';
import { caseTable } from '../../bench/report.js';
import type { CaseRow } from '../../bench/results.js';

const usage = (cpuSec: number, loopBusySec: number, atSec: number): EmulatorUsage => ({ cpuSec, loopBusySec, atSec, maxRssMiB: 100, bytesIn: 0, bytesOut: 0 });

test('serverLoad: emulator CPU per GiB, main-thread busy share, and server-bound at 85 % of the wall time', () => {
  const GiB = 1024 ** 3;
  const bound = serverLoad(usage(10, 5, 100), usage(16, 9.6, 105), 2 * GiB);
  assert.equal(bound.cpuSecPerGiB, 3);
  assert.ok(Math.abs((bound.loopBusy ?? 0) - 0.92) < 1e-9);
  assert.equal(bound.serverBound, true);
  const idle = serverLoad(usage(10, 5, 100), usage(11, 5.5, 105), GiB);
  assert.equal(idle.serverBound, false);
  assert.equal(serverLoad(usage(0, 0, 1), usage(0, 0, 1), GiB).loopBusy, undefined);
});

test('the case table shows the emulator main thread share and the server-bound note', () => {
  const row: CaseRow = {
    suite: 'upload',
    profile: 'loopback',
    method: 'tm-file',
    label: 'uploadFile',
    bytes: 1,
    iterations: 1,
    mibps: { median: 500, min: 490, max: 510 },
    rme: 1,
    rssSource: 'process',
    emulatorCpuSecPerGiB: 2.5,
    emulatorLoopBusy: 0.93,
    note: 'server-bound',
  };
  const table = caseTable([row]);
  assert.match(table, /srv loop/);
  assert.match(table, /93%/);
  assert.match(table, /uploadFile \[server-bound\]/);
});

/**
 * The performance targets (README, Benchmarks), checked against the measured rows. Each check says PASS or MISS with the numbers, or N/A
 * with the reason when this run did not measure what it needs (a suite or profile not selected, a failed case).
 */
import type { CaseRow, TargetCheck } from './results.js';

function find(rows: readonly CaseRow[], suite: string, profile: string, method: string): CaseRow | undefined {
  return rows.find((r) => r.suite === suite && r.profile === profile && r.method === method);
}

function mibps(row: CaseRow): string {
  return `${row.mibps.median.toFixed(1)} MiB/s`;
}

function ratioCheck(target: string, threshold: number, ours: CaseRow | undefined, base: CaseRow | undefined, missing: string): TargetCheck {
  if (!ours || !base) return { target, pass: null, threshold, detail: missing };
  const measured = ours.mibps.median / base.mibps.median;
  return {
    target,
    pass: measured >= threshold,
    measured,
    threshold,
    detail: `${measured.toFixed(2)}× (${mibps(ours)} vs ${mibps(base)}; need ${threshold}×)`,
  };
}

function capCheck(target: string, threshold: number, ours: CaseRow | undefined, cap: number | undefined, missing: string): TargetCheck {
  if (!ours || cap === undefined) return { target, pass: null, threshold, detail: missing };
  const measured = ours.mibps.median / cap;
  return {
    target,
    pass: measured >= threshold,
    measured,
    threshold,
    detail: `${Math.round(measured * 100)} % (${mibps(ours)} of ${cap} MiB/s; need ${Math.round(threshold * 100)} %)`,
  };
}

function rssCheck(target: string, ours: CaseRow | undefined, peer: CaseRow | undefined, missing: string): TargetCheck {
  const threshold = 0.5;
  if (ours?.peakRssMiB === undefined || peer?.peakRssMiB === undefined) return { target, pass: null, threshold, detail: missing };
  const measured = ours.peakRssMiB / peer.peakRssMiB;
  return {
    target,
    pass: measured <= threshold,
    measured,
    threshold,
    detail: `${measured.toFixed(2)}× (${ours.peakRssMiB.toFixed(0)} vs ${peer.peakRssMiB.toFixed(0)} MiB peak RSS; need ≤ 0.5×)`,
  };
}

function cpuCheck(target: string, threshold: number, ours: CaseRow | undefined, missing: string): TargetCheck {
  if (ours?.cpuVsBare === undefined) return { target, pass: null, threshold, detail: missing };
  const measured = ours.cpuVsBare;
  return {
    target,
    pass: measured <= threshold,
    measured,
    threshold,
    detail: `${measured.toFixed(2)}× (${ours.cpuSecPerGiB?.toFixed(2)} CPU s/GiB; need ≤ ${threshold}×)`,
  };
}

function mainBusyCheck(target: string, threshold: number, ours: CaseRow | undefined, missing: string): TargetCheck {
  if (ours?.mainBusySecPerGiB === undefined) return { target, pass: null, threshold, detail: missing };
  const measured = ours.mainBusySecPerGiB;
  return { target, pass: measured <= threshold, measured, threshold, detail: `${measured.toFixed(2)} s/GiB (need ≤ ${threshold})` };
}

/** Evaluates every target the rows allow. `caps` maps a profile to its aggregate cap in MiB/s. */
export function evaluateTargets(rows: readonly CaseRow[], caps: Readonly<Record<string, number | undefined>>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  // Distinguish "not selected for this run" from "selected, but a case failed" (the FAILED list says which).
  const notRun = (what: string, suite: string, profile: string): string =>
    rows.some((r) => r.suite === suite && r.profile === profile) ? 'a case it needs failed (see FAILED)' : `not measured in this run (${what})`;

  // Every shaped profile ("realistic" when none ran), both directions.
  const shaped = Object.keys(caps).filter((name) => caps[name] !== undefined);
  for (const profile of shaped.length > 0 ? shaped : ['realistic']) {
    for (const direction of ['download', 'upload'] as const) {
      const base = direction === 'download' ? 'single' : 'resumable';
      const ours = find(rows, direction, profile, 'tm-file');
      const missing = notRun(`${direction} suite on the ${profile} profile`, direction, profile);
      checks.push(
        ratioCheck(`${profile} ${direction}: parallel ≥ 8× single stream`, 8, ours, find(rows, direction, profile, base), missing),
        capCheck(`${profile} ${direction}: parallel ≥ 90 % of the aggregate cap`, 0.9, ours, caps[profile], missing),
      );
    }
  }
  const curlMissing =
    find(rows, 'download', 'loopback', 'tm-file') && !find(rows, 'download', 'loopback', 'curl')
      ? 'curl not installed or its case failed'
      : notRun('download suite on loopback', 'download', 'loopback');
  checks.push(
    ratioCheck('loopback download to a file ≥ 90 % of curl -o', 0.9, find(rows, 'download', 'loopback', 'tm-file'), find(rows, 'download', 'loopback', 'curl'), curlMissing),
  );

  // Client cost per byte, against the bare undici client doing the same work (same server, same run), and
  // what the engine leaves on the caller's main thread.
  const cpuMissing = notRun('download and upload suites on loopback', 'download', 'loopback');
  for (const [suite, method, bare, threshold] of [
    ['download', 'tm-stream', 'bare-drop', 1.3],
    ['download', 'tm-file', 'bare-file', 1.3],
    ['upload', 'tm-file', 'bare-put', 1.5],
  ] as const) {
    checks.push(cpuCheck(`loopback ${suite} ${method}: client CPU/GiB ≤ ${threshold}× bare undici (${bare})`, threshold, find(rows, suite, 'loopback', method), cpuMissing));
  }
  for (const [suite, method] of [
    ['download', 'tm-file'],
    ['download', 'tm-stream'],
    ['upload', 'tm-file'],
  ] as const) {
    checks.push(mainBusyCheck(`loopback ${suite} ${method}: main thread busy ≤ 0.2 s/GiB`, 0.2, find(rows, suite, 'loopback', method), cpuMissing));
  }

  // The peer comparison, on every profile it ran on.
  const peerProfiles = [...new Set(rows.filter((r) => r.suite === 'peers').map((r) => r.profile))];
  if (peerProfiles.length === 0) {
    checks.push({ target: 'peer comparison (download ≥ 2×, upload ≥ 1.3×, ≤ half the RSS)', pass: null, threshold: 2, detail: 'not measured in this run (peers suite)' });
  }
  for (const profile of peerProfiles) {
    const oursDown = find(rows, 'peers', profile, 'download/tm-file');
    const peerDown = find(rows, 'peers', profile, 'download/peer-crc32c');
    const oursUp = find(rows, 'peers', profile, 'upload/tm-file');
    const peerUp = find(rows, 'peers', profile, 'upload/peer-crc32c');
    const missing = 'a case it needs failed (see FAILED)';
    checks.push(
      ratioCheck(`${profile}: download ≥ 2× @google-cloud/storage (both CRC32C-validated)`, 2, oursDown, peerDown, missing),
      rssCheck(`${profile}: download peak RSS ≤ ½ of @google-cloud/storage's`, oursDown, peerDown, missing),
      ratioCheck(`${profile}: upload ≥ 1.3× @google-cloud/storage (both CRC32C per part)`, 1.3, oursUp, peerUp, missing),
      rssCheck(`${profile}: upload peak RSS ≤ ½ of @google-cloud/storage's`, oursUp, peerUp, missing),
    );
  }
  checks.push(...manyTargets(rows, caps));
  return checks;
}

/**
 * The many-object targets: on the realistic profile, small files ≥ 5× the peer at its defaults and ≥ 1.5× at equal
 * concurrency (both directions), the mixed set ≥ 90 % of the cap, client CPU per small object ≤ half the peer's.
 */
function manyTargets(rows: readonly CaseRow[], caps: Readonly<Record<string, number | undefined>>): TargetCheck[] {
  // A run that did not select the many suite (the quick run) makes no claim about it.
  if (!rows.some((r) => r.suite === 'many')) return [];
  const profile = 'realistic';
  const missing = rows.some((r) => r.suite === 'many' && r.profile === profile) ? 'a case it needs failed (see FAILED)' : 'not measured in this run (many suite on the realistic profile)';
  const checks: TargetCheck[] = [];
  for (const direction of ['upload', 'download'] as const) {
    const ours = find(rows, 'many', profile, `${direction}/small/tm`);
    checks.push(
      ratioCheck(`${profile} many small ${direction}s ≥ 5× @google-cloud/storage at its defaults`, 5, ours, find(rows, 'many', profile, `${direction}/small/peer-default`), missing),
      ratioCheck(`${profile} many small ${direction}s ≥ 1.5× @google-cloud/storage at equal concurrency`, 1.5, ours, find(rows, 'many', profile, `${direction}/small/peer-equal`), missing),
      capCheck(`${profile} mixed-size ${direction}s ≥ 90 % of the aggregate cap`, 0.9, find(rows, 'many', profile, `${direction}/mixed/tm`), caps[profile], missing),
    );
    const peer = find(rows, 'many', profile, `${direction}/small/peer-default`);
    const target = `${profile} client CPU per small object (${direction}) ≤ ½ of @google-cloud/storage's`;
    if (ours?.cpuMsPerObject === undefined || peer?.cpuMsPerObject === undefined) {
      checks.push({ target, pass: null, threshold: 0.5, detail: missing });
    } else {
      const measured = ours.cpuMsPerObject / peer.cpuMsPerObject;
      checks.push({
        target,
        pass: measured <= 0.5,
        measured,
        threshold: 0.5,
        detail: `${measured.toFixed(2)}× (${ours.cpuMsPerObject.toFixed(2)} vs ${peer.cpuMsPerObject.toFixed(2)} ms; need ≤ 0.5×)`,
      });
    }
  }
  return checks;
}

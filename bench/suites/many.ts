/**
 * Many-objects suite: a set of small files (16 KiB each) and a mixed set (sizes log-uniform from
 * 1 KiB up, seeded), uploaded under a prefix and downloaded back, by our `uploadMany`/`downloadMany` and by
 * @google-cloud/storage's `uploadManyFiles`/`downloadManyFiles` at its default concurrency and at ours. Rows
 * carry objects/s and client CPU milliseconds per object in their note; ratios are to our row of the group.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManyCaseSpec } from '../cases/case.js';
import { relateTo, type BenchContext, type RowInfo, type TargetEnv } from '../context.js';
import { writeSeededFile } from '../data.js';
import type { CaseRow } from '../results.js';
import { DEFAULT_MANY_CONCURRENCY } from '../../src/transfer/many/run-many.js';
import { GiB, KiB, shortSize } from '../units.js';

/** Our objects in flight (the library's default for many-object calls). */
const OUR_CONCURRENCY = DEFAULT_MANY_CONCURRENCY;

export interface ManySet {
  name: 'small' | 'mixed';
  files: number;
  /** `small`: every file's size; `mixed`: the largest size (the smallest is 1 KiB). */
  size: number;
}

interface Prepared {
  set: ManySet;
  dir: string;
  bytes: number;
}

/** Sizes of a set, deterministic for a seed: `small` all equal; `mixed` log-uniform in [1 KiB, max]. */
export function setSizes(set: ManySet, seed: string): number[] {
  if (set.name === 'small') return Array.from({ length: set.files }, () => set.size);
  const sizes: number[] = [];
  for (let i = 0; i < set.files; i++) {
    const u = createHash('sha256').update(`${seed}:mixed:${i}`).digest().readUInt32BE(0) / 2 ** 32;
    sizes.push(Math.round(Math.exp(Math.log(KiB) + u * (Math.log(set.size) - Math.log(KiB)))));
  }
  return sizes;
}

const prepared = new Map<string, Prepared>();

async function prepare(ctx: BenchContext, set: ManySet): Promise<Prepared> {
  const key = `${set.name}:${set.files}:${set.size}`;
  const existing = prepared.get(key);
  if (existing) return existing;
  const dir = join(ctx.workDir, `many-${set.name}-${set.files}`);
  await mkdir(dir, { recursive: true });
  ctx.progress.line(`many: writing the ${set.name} set (${set.files} files)`);
  let bytes = 0;
  const sizes = setSizes(set, ctx.plan.seed);
  for (const [i, size] of sizes.entries()) {
    await writeSeededFile(join(dir, `f${String(i).padStart(5, '0')}.bin`), size, `${ctx.plan.seed}:${set.name}:${i}`);
    bytes += size;
  }
  const result = { set, dir, bytes };
  prepared.set(key, result);
  return result;
}

type Who = { method: 'tm' | 'peer'; concurrency: number; id: string; label: string };

const OURS: Who = { method: 'tm', concurrency: OUR_CONCURRENCY, id: 'tm', label: `ours (${OUR_CONCURRENCY} objects in flight)` };
const PEER_DEFAULT: Who = { method: 'peer', concurrency: 0, id: 'peer-default', label: '@google-cloud/storage, its default concurrency' };
const PEER_EQUAL: Who = { method: 'peer', concurrency: OUR_CONCURRENCY, id: 'peer-equal', label: `@google-cloud/storage, concurrency ${OUR_CONCURRENCY}` };

export async function runManySuite(ctx: BenchContext, env: TargetEnv): Promise<void> {
  for (const set of ctx.plan.many.sets) {
    const data = await prepare(ctx, set);
    const who = set.name === 'small' ? [OURS, PEER_DEFAULT, PEER_EQUAL] : [OURS, PEER_DEFAULT];
    for (const direction of ['upload', 'download'] as const) {
      const rows: CaseRow[] = [];
      for (const side of who) {
        // Downloads read what our upload stored (each upload case writes under its own prefix).
        const prefix = `many/${set.name}-${set.files}/${direction === 'upload' ? side.id : 'tm'}/`;
        const spec: ManyCaseSpec = {
          kind: 'many',
          direction,
          method: side.method,
          target: env.target,
          set: set.name,
          files: set.files,
          size: data.bytes,
          concurrency: side.concurrency,
          sourceDir: data.dir,
          prefix,
          workDir: ctx.workDir,
        };
        const describeSet = set.name === 'small' ? `${set.files} × ${shortSize(set.size)}` : `${set.files} files, 1 KiB–${shortSize(set.size)}`;
        const info: RowInfo = {
          suite: 'many',
          method: `${direction}/${set.name}/${side.id}`,
          label: `${direction} ${describeSet}: ${side.label}`,
          ...(side.method === 'tm' ? { concurrency: side.concurrency } : side.concurrency > 0 ? { concurrency: side.concurrency } : {}),
        };
        const row = await ctx.measure(env, spec, info, ctx.plan.many.iterations);
        if (!row) continue;
        annotate(row, set.files);
        rows.push(row);
      }
      relateTo(rows, `${direction}/${set.name}/tm`);
    }
  }
}

/** Objects per second and client CPU milliseconds per object, from the row's throughput and CPU per GiB. */
function annotate(row: CaseRow, files: number): void {
  row.objects = files;
  const seconds = row.bytes / (row.mibps.median * 1024 * 1024);
  const perSecond = files / seconds;
  const cpuMsPerObject = row.cpuSecPerGiB === undefined ? undefined : ((row.cpuSecPerGiB * (row.bytes / GiB)) / files) * 1000;
  row.objectsPerSec = perSecond;
  if (cpuMsPerObject !== undefined) row.cpuMsPerObject = cpuMsPerObject;
  const parts = [`${perSecond.toFixed(0)} objects/s`, ...(cpuMsPerObject === undefined ? [] : [`${cpuMsPerObject.toFixed(2)} ms CPU/object`])];
  row.note = row.note ? `${row.note}, ${parts.join(', ')}` : parts.join(', ');
}

/**
 * CRC32C suite: native (`@node-rs/crc32`) against pure JavaScript, on the main thread and in a piscina pool,
 * hashing the same seeded buffer in part-sized slices. It shows why the engine hashes with the native code
 * and what a pool buys when hashing is slow. Ratios are to the native main-thread hash.
 */
import type { Crc32cCaseSpec } from '../cases/case.js';
import type { BenchContext } from '../context.js';
import { shortSize } from '../units.js';

export async function runCrc32cSuite(ctx: BenchContext): Promise<void> {
  const { size, sliceSize, workers } = ctx.plan.crc32c;
  const cases = [];
  for (const impl of ['native', 'js'] as const) {
    for (const placement of ['main', 'pool'] as const) {
      const spec: Crc32cCaseSpec = { kind: 'crc32c', impl, placement, size, sliceSize, workers, seed: ctx.plan.seed };
      const where = placement === 'main' ? 'main thread' : `pool of ${workers} workers`;
      const name = impl === 'native' ? '@node-rs/crc32' : 'pure JS (slicing-by-8)';
      const info = { suite: 'crc32c' as const, method: `${impl}/${placement}`, label: `${name}, ${where}`, note: `${shortSize(sliceSize)} slices` };
      cases.push({ spec, info, iterations: ctx.plan.iterations });
    }
  }
  await ctx.measureAll(undefined, cases, 'native/main');
}

/**
 * CRC32C throughput of one implementation (native `@node-rs/crc32` or the pure-JS fallback) in one placement
 * (the main thread, or a piscina pool hashing slices in parallel and combining the results as the engine does
 * for parts).
 */
import { Piscina } from 'piscina';
import { combineCrc32c } from '../../src/checksum/combine.js';
import { crc32c } from '../../src/checksum/crc32c.js';
import { WorkerError } from '../../src/errors.js';
import { siblingModule } from '../child-module.js';
import { crc32cJs } from '../crc32c-js.js';
import { seededBlocks } from '../data.js';
import type { Crc32cSliceTask } from '../workers/crc32c-slice.js';
import type { BenchCase, CaseFactory, Crc32cCaseSpec } from './case.js';

export const createCrc32cCase: CaseFactory<Crc32cCaseSpec> = async (spec) => {
  const buffer = new SharedArrayBuffer(spec.size);
  const view = new Uint8Array(buffer);
  let offset = 0;
  for (const block of seededBlocks(spec.size, spec.seed)) {
    view.set(block, offset);
    offset += block.byteLength;
  }
  const slices: { start: number; end: number }[] = [];
  for (let start = 0; start < spec.size; start += spec.sliceSize) {
    slices.push({ start, end: Math.min(spec.size, start + spec.sliceSize) });
  }
  const expected = crc32c(view);
  const hash = spec.impl === 'native' ? crc32c : crc32cJs;

  const pool =
    spec.placement === 'pool'
      ? new Piscina<Crc32cSliceTask, number>({
          filename: siblingModule(import.meta.url, '../workers/crc32c-slice').href,
          minThreads: spec.workers,
          maxThreads: spec.workers,
          // Idle workers spin on Atomics.wait by default, which would bill CPU to the case while it is idle.
          atomics: 'disabled',
        })
      : undefined;
  if (pool) {
    // Start every thread and load the module before timing, as a long-lived engine pool would be.
    await Promise.all(Array.from({ length: spec.workers }, () => pool.run({ buffer, start: 0, end: 0, impl: spec.impl })));
  }

  let last = 0;
  const run = async (): Promise<void> => {
    if (pool) {
      const crcs = await Promise.all(slices.map(({ start, end }) => pool.run({ buffer, start, end, impl: spec.impl })));
      last = combineCrc32c(crcs.map((crc, i) => ({ crc32c: crc, length: slices[i]!.end - slices[i]!.start })));
    } else {
      let crc = 0;
      for (const { start, end } of slices) {
        crc = hash(view.subarray(start, end), crc);
        // Yield between slices as a real hasher inside a transfer would, so the event loop keeps running.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      last = crc;
    }
  };

  const bench: BenchCase = {
    bytes: spec.size,
    run,
    async verify() {
      if (last !== expected) {
        throw new WorkerError(`CRC32C ${spec.impl}/${spec.placement} gave ${last.toString(16)}, expected ${expected.toString(16)}`);
      }
    },
    async close() {
      await pool?.close();
    },
  };
  return bench;
};

/**
 * Our many-object calls: `uploadMany` of a directory under a prefix, `downloadMany` of a prefix into a fresh
 * directory, `spec.concurrency` objects in flight on the shared TransferManager's scheduler.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidStateError } from '../../src/errors.js';
import type { BenchCase, CaseFactory, ManyCaseSpec } from './case.js';
import { sharedTransferManager } from './engine-manager.js';

export const createEngineManyCase: CaseFactory<ManyCaseSpec> = async (spec) => {
  const tm = sharedTransferManager(spec.target);
  const destination = join(spec.workDir, `tm-many-${process.pid}`);
  const prefix = `gs://${spec.target.bucket}/${spec.prefix}`;
  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      const summary =
        spec.direction === 'upload'
          ? await tm.uploadMany(spec.sourceDir, prefix, { concurrency: spec.concurrency })
          : await tm.downloadMany(prefix, destination, { concurrency: spec.concurrency });
      if (summary.failed > 0 || summary.objects !== spec.files || summary.bytes !== spec.size) {
        throw new InvalidStateError(
          `bench: ${spec.direction}Many moved ${summary.objects} objects (${summary.bytes} bytes, ${summary.failed} failed), expected ${spec.files} (${spec.size} bytes)`,
        );
      }
    },
    afterEach: () => rm(destination, { recursive: true, force: true }),
    close: () => rm(destination, { recursive: true, force: true }),
  };
  return bench;
};

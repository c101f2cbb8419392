/**
 * The peer's many-object calls: @google-cloud/storage 7.x `TransferManager.uploadManyFiles` (each file one
 * `bucket.upload`) and `downloadManyFiles` (each object one `file.download`), with `concurrencyLimit` either its
 * default (left unset) or ours. Same emulator, same files.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchCase, CaseFactory, ManyCaseSpec } from './case.js';
import { peerTransferManager } from './peer-storage.js';

export const createPeerManyCase: CaseFactory<ManyCaseSpec> = async (spec) => {
  const { tm } = await peerTransferManager(spec.target);
  const destination = join(spec.workDir, `peer-many-${process.pid}`);
  // Absolute paths with the prefix as the object name's start, as the peer's docs show.
  const files = spec.direction === 'upload' ? (await readdir(spec.sourceDir)).map((name) => join(spec.sourceDir, name)) : [];
  const limit = spec.concurrency > 0 ? { concurrencyLimit: spec.concurrency } : {};
  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      if (spec.direction === 'upload') {
        await tm.uploadManyFiles(files, {
          ...limit,
          customDestinationBuilder: (path: string) => `${spec.prefix}${path.slice(spec.sourceDir.length + 1)}`,
        } as never);
      } else {
        await tm.downloadManyFiles(spec.prefix, { ...limit, passthroughOptions: { destination } } as never);
      }
    },
    afterEach: () => rm(destination, { recursive: true, force: true }),
    close: () => rm(destination, { recursive: true, force: true }),
  };
  return bench;
};

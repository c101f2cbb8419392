/**
 * Our engine's uploads: `TransferManager.uploadFile` (XML multipart, each part read and hashed by a worker)
 * and `uploadStream` from a generated stream (the main thread cuts parts and hands their buffers over).
 * The parent checks the stored object's size and CRC32C after the case.
 */
import { DataCorruption } from '../../src/errors.js';
import { seededStream } from '../data.js';
import type { BenchCase, CaseFactory, UploadCaseSpec } from './case.js';
import { sharedTransferManager } from './engine-manager.js';

export const createEngineUploadCase: CaseFactory<UploadCaseSpec> = async (spec) => {
  const tm = sharedTransferManager(spec.target);
  const options = { chunkSize: spec.chunkSize, concurrency: spec.concurrency };
  const destination = { bucket: spec.target.bucket, name: spec.name };
  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      const result =
        spec.method === 'tm-file'
          ? await tm.uploadFile(spec.sourceFile, destination, options)
          : await tm.uploadStream(seededStream(spec.size, spec.seed), destination, options);
      if (!result.validated || result.bytes !== spec.size) {
        throw new DataCorruption(`bench: ${spec.method} upload reported ${result.bytes} bytes, validated=${String(result.validated)}`, {
          algorithm: 'crc32c',
          expected: String(spec.size),
          actual: String(result.bytes),
        });
      }
    },
    async close() {},
  };
  return bench;
};

/**
 * Our engine's downloads: `TransferManager.downloadFile` (ranges written at their offsets into a partial
 * file, renamed once the combined CRC32C matches) and `downloadToStream` (ranges re-ordered into one stream,
 * consumed here by a sink that only counts, so the case measures the engine rather than a destination).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataCorruption } from '../../src/errors.js';
import { assertFile } from '../verify.js';
import type { BenchCase, CaseFactory, DownloadCaseSpec } from './case.js';
import { sharedTransferManager } from './engine-manager.js';

export const createEngineDownloadCase: CaseFactory<DownloadCaseSpec> = async (spec) => {
  const tm = sharedTransferManager(spec.target);
  const options = { chunkSize: spec.chunkSize, concurrency: spec.concurrency };
  const source = { bucket: spec.target.bucket, name: spec.name };
  const destination = join(spec.workDir, `engine-download-${process.pid}.bin`);
  let streamed = 0;

  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      if (spec.method === 'tm-file') {
        const result = await tm.downloadFile(source, destination, options);
        if (!result.validated) throw new DataCorruption('bench: downloadFile was not validated', { algorithm: 'crc32c', expected: 'validated', actual: 'unvalidated' });
        return;
      }
      streamed = 0;
      const sink = new Writable({
        highWaterMark: 1024 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          streamed += chunk.byteLength;
          callback();
        },
      });
      await pipeline(tm.downloadToStream(source, options), sink);
    },
    async verify() {
      if (spec.method === 'tm-file') return assertFile(destination, spec.size, spec.expectedCrc32c);
      // The stream itself fails on a CRC32C mismatch; a wrong length would not, so count.
      if (streamed !== spec.size) {
        throw new DataCorruption(`bench: downloadToStream delivered ${streamed} bytes, expected ${spec.size}`, { algorithm: 'crc32c', expected: String(spec.size), actual: String(streamed) });
      }
    },
    afterEach: () => rm(destination, { force: true }),
    close: () => rm(destination, { force: true }),
  };
  return bench;
};

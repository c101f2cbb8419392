/**
 * The single-stream baseline: one `RawDownload` GET of the whole object, streamed to a file and validated
 * against the object's CRC32C, as any non-parallel client (gsutil without slicing, a plain HTTP GET) would do.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RawDownload } from '../../src/media/download.js';
import { createTransport } from '../../src/transport/create-transport.js';
import { GcsEndpoint } from '../../src/transport/endpoint.js';
import { assertFile } from '../verify.js';
import type { BenchCase, CaseFactory, DownloadCaseSpec } from './case.js';

export const createSingleDownloadCase: CaseFactory<DownloadCaseSpec> = async (spec) => {
  const transport = createTransport({ endpoint: spec.target.endpoint, auth: spec.target.auth });
  const url = new GcsEndpoint(spec.target.endpoint).mediaUrl(spec.target.bucket, spec.name);
  const destination = join(spec.workDir, `single-download-${process.pid}.bin`);
  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      await new RawDownload(url, { stream: destination, checksum: 'crc32c' }).consume(transport);
    },
    verify: () => assertFile(destination, spec.size, spec.expectedCrc32c),
    afterEach: () => rm(destination, { force: true }),
    async close() {
      await rm(destination, { force: true });
      await transport.close();
    },
  };
  return bench;
};

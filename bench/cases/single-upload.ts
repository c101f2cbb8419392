/**
 * Single-stream upload baselines, both CRC32C-checked end to end like the engine:
 * - `resumable`: a `ResumableUpload` whose one chunk is the whole object (the usual "upload a file" path of
 *   client libraries when the chunk size is large);
 * - `simple`: one `SimpleUpload` (`uploadType=media`) request.
 *
 * Both classes send a chunk from memory (the Python contract they port), so the payload is read into memory:
 * for `simple` before the timed window (the class takes bytes), for `resumable` by the class itself. Their peak
 * RSS therefore includes the object; that is the cost of a single-request upload, not a harness artefact.
 */
import { readFile } from 'node:fs/promises';
import { UPLOAD_CHUNK_SIZE } from '../../src/constants.js';
import { ResumableUpload } from '../../src/media/resumable-upload.js';
import { SimpleUpload } from '../../src/media/simple-upload.js';
import { createTransport } from '../../src/transport/create-transport.js';
import { GcsEndpoint } from '../../src/transport/endpoint.js';
import type { BenchCase, CaseFactory, UploadCaseSpec } from './case.js';

const CONTENT_TYPE = 'application/octet-stream';

export const createSingleUploadCase: CaseFactory<UploadCaseSpec> = async (spec) => {
  const transport = createTransport({ endpoint: spec.target.endpoint, auth: spec.target.auth });
  const endpoint = new GcsEndpoint(spec.target.endpoint);
  const data = spec.method === 'simple' ? await readFile(spec.sourceFile) : undefined;
  // One chunk: the size rounded up to the 256 KiB granularity resumable chunks must have.
  const chunkSize = Math.ceil(spec.size / UPLOAD_CHUNK_SIZE) * UPLOAD_CHUNK_SIZE;

  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      if (data) {
        const upload = new SimpleUpload(endpoint.uploadUrl(spec.target.bucket, 'media', { name: spec.name }), { checksum: 'crc32c' });
        await upload.transmit(transport, data, CONTENT_TYPE);
        return;
      }
      const upload = new ResumableUpload(endpoint.uploadUrl(spec.target.bucket, 'resumable'), chunkSize, { checksum: 'crc32c' });
      await upload.initiate(transport, spec.sourceFile, { name: spec.name }, CONTENT_TYPE);
      while (!upload.finished) await upload.transmitNextChunk(transport);
    },
    close: () => transport.close(),
  };
  return bench;
};

/**
 * Benchmark payloads: seeded, so every run and every process sees the same bytes, and incompressible, so no
 * layer (TCP, page cache tricks, a future gzip path) can make a transfer look faster than the network allows.
 *
 * The bytes are an AES-256-CTR keystream keyed by the seed. With AES-NI that produces several GB/s on one
 * core, so generating a 1 GiB object costs well under a second and never holds more than one block in memory.
 */
import { createCipheriv, createHash, type Cipher } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { crc32c } from '../src/checksum/crc32c.js';
import { MiB } from './units.js';

/** Size of each generated block: large enough to amortise the cipher call, small enough to stay in L2/L3. */
const BLOCK = 4 * MiB;

function keystream(seed: string): Cipher {
  const key = createHash('sha256').update(`gcs-transfer bench ${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
}

/**
 * Yields `size` seeded bytes in blocks of `blockSize` (the last one shorter). Each yielded buffer is fresh, so
 * a consumer may keep or transfer it.
 */
export function* seededBlocks(size: number, seed: string, blockSize = BLOCK): Generator<Buffer> {
  const cipher = keystream(seed);
  const zeros = Buffer.alloc(blockSize);
  for (let offset = 0; offset < size; offset += blockSize) {
    const length = Math.min(blockSize, size - offset);
    yield cipher.update(length === blockSize ? zeros : zeros.subarray(0, length));
  }
}

/** The seeded bytes as a stream, for upload-from-stream cases (no file involved). */
export function seededStream(size: number, seed: string, blockSize = BLOCK): Readable {
  return Readable.from(seededBlocks(size, seed, blockSize), { objectMode: false, highWaterMark: blockSize });
}

/**
 * Writes `size` seeded bytes to `path` (created or truncated), streaming block by block, and returns their
 * CRC32C so every later transfer of the payload can be checked against it.
 */
export async function writeSeededFile(path: string, size: number, seed: string): Promise<number> {
  const file = await open(path, 'w');
  let crc = 0;
  try {
    for (const block of seededBlocks(size, seed)) {
      crc = crc32c(block, crc);
      let written = 0;
      while (written < block.byteLength) {
        const { bytesWritten } = await file.write(block, written, block.byteLength - written);
        written += bytesWritten;
      }
    }
  } finally {
    await file.close();
  }
  return crc;
}

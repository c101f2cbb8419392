/**
 * A Writable that puts a byte range of a file in place: every chunk is written at its offset (so a range
 * downloaded again simply rewrites the same bytes) and hashed on the way, so the range's CRC32C is known
 * without reading the file back.
 */
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { Crc32cHasher } from '../checksum/crc32c.js';

export class PositionalWriter extends Writable {
  readonly #file: FileHandle;
  #position: number;
  readonly #crc = new Crc32cHasher();

  constructor(file: FileHandle, start: number) {
    super({ highWaterMark: 1024 * 1024 });
    this.#file = file;
    this.#position = start;
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.#crc.length;
  }

  /** Unsigned CRC32C of the bytes written so far. */
  get crc32c(): number {
    return this.#crc.value;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#writeAll(chunk).then(() => callback(), callback);
  }

  async #writeAll(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const { bytesWritten } = await this.#file.write(chunk, offset, chunk.byteLength - offset, this.#position);
      offset += bytesWritten;
      this.#position += bytesWritten;
    }
    this.#crc.update(chunk);
  }
}

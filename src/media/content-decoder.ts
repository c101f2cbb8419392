/**
 * Undoes an HTTP `content-encoding` piece by piece, for the non-raw download classes. One decoder lives as
 * long as the representation it decodes, across responses: a download resumed after a broken connection feeds
 * the continuation of the same compressed stream into the same decoder.
 */
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

const FACTORIES: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * Input is fed in slices of at most this size, which bounds the output held at once: even a
 * maximally compressed slice (gzip's ratio is about 1:1032) inflates to ~16 MiB, not a whole "zip bomb".
 */
const MAX_SLICE = 16 * 1024;

/** The response's `content-encoding`, lower-cased; `undefined` for none (identity). */
export function contentEncodingOf(headers: Record<string, string | string[]>): string | undefined {
  const value = headers['content-encoding'];
  const first = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  return first === '' || first === 'identity' ? undefined : first;
}

/** Whether `encoding` (a lower-cased `content-encoding` value) is one we can decode. */
export function isDecodableEncoding(encoding: string | undefined): encoding is string {
  return encoding !== undefined && Object.hasOwn(FACTORIES, encoding);
}

export class ContentDecoder {
  /** The `content-encoding` being undone. */
  readonly encoding: string;
  readonly #stream: Transform;
  #output: Buffer[] = [];
  #error: Error | undefined;

  constructor(encoding: string) {
    const factory = FACTORIES[encoding];
    if (!factory) throw new RangeError(`no decoder for content-encoding "${encoding}"`);
    this.encoding = encoding;
    this.#stream = factory();
    // Flowing mode: output is handed over as zlib produces it, so the Transform never holds back its write
    // callbacks for want of a reader.
    this.#stream.on('data', (chunk: Buffer) => this.#output.push(chunk));
    this.#stream.on('error', (error: Error) => {
      this.#error ??= error;
    });
  }

  /** Decodes the next piece of the encoded stream; resolves with whatever output it produced, in order. */
  async decode(piece: Uint8Array): Promise<Buffer[]> {
    for (let offset = 0; offset < piece.byteLength; offset += MAX_SLICE) {
      const slice = piece.subarray(offset, offset + MAX_SLICE);
      if (this.#error) throw this.#error;
      await new Promise<void>((resolve, reject) => {
        // zlib destroys itself on bad input without calling the pending write's callback: listen for that too.
        const onError = (error: Error): void => reject(error);
        this.#stream.once('error', onError);
        this.#stream.write(slice, (error) => {
          this.#stream.off('error', onError);
          if (error) reject(error);
          else resolve();
        });
      });
    }
    return this.#take();
  }

  /** Ends the encoded stream, checking its trailer (gzip's CRC32 and length); resolves with the last output. */
  async finish(): Promise<Buffer[]> {
    if (this.#error) throw this.#error;
    await new Promise<void>((resolve, reject) => {
      this.#stream.once('end', resolve);
      this.#stream.once('error', reject);
      this.#stream.end();
    });
    return this.#take();
  }

  /** Releases zlib's memory after a failure. */
  destroy(): void {
    this.#stream.destroy();
  }

  #take(): Buffer[] {
    if (this.#error) throw this.#error;
    const output = this.#output;
    this.#output = [];
    return output;
  }
}

/**
 * The consumer's side of `downloadToStream`: relays the in-order stored bytes (an {@link OrderedStream}) and,
 * for a gzip-stored object, decompresses them on the way through a zlib Gunzip, with back-pressure honoured at
 * every hop (a paused consumer pauses the Gunzip, which stops accepting stored bytes, which stops the ordered
 * stream's flushing and so the download's window): memory stays bounded by the read window plus zlib's own
 * small buffers, whatever the object's size or compression ratio.
 *
 * Integrity ordering. The whole-object CRC32C describes the stored bytes and is only known once every range has
 * arrived, while a stream must deliver bytes before that. So: the stream ends ('end') only after the stored
 * bytes were verified (and, decompressed, after Gunzip also checked its own CRC-32 trailer); a CRC32C mismatch
 * destroys it with DataCorruption after the last byte; bytes read before 'end' are unverified. A gzip stream
 * that does not decode is not reported at once: with checksums on, the rest of the stored bytes are still
 * fetched and verified (none reaches the consumer), so the error says truly whether the transfer corrupted the
 * bytes (DataCorruption) or the object itself is not the gzip its Content-Encoding claims (InvalidResponse).
 */
import { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { AbortError, InvalidStateError } from '../../errors.js';
import type { DownloadResult } from '../options.js';
import type { OrderedStream } from './ordered-stream.js';
import { notGzipError, zlibErrorCode } from './stored-encoding.js';

/** What `TransferManager.downloadToStream` returns. */
export interface DownloadStream extends Readable {
  /**
   * Settles with the verified download's result just before the stream emits 'end' (`bytes` and `crc32c`
   * describe the stored bytes; `decompressed` is set when a gzip-stored object was decompressed), or rejects
   * with the stream's error. Never an unhandled rejection when nobody awaits it.
   */
  readonly result: Promise<DownloadResult>;
}

export interface DecodingStreamOptions {
  /** `gs://bucket/name`, for messages. */
  label: string;
  /** Whether the stored stream's end proves its bytes (checksums on): then a decode failure waits for it. */
  verifies: boolean;
}

export class DecodingStream extends Readable implements DownloadStream {
  readonly result: Promise<DownloadResult>;
  readonly #stored: OrderedStream;
  readonly #options: DecodingStreamOptions;
  #resolve: (result: DownloadResult) => void = () => undefined;
  #reject: (error: Error) => void = () => undefined;
  /** What the consumer reads from, once the encoding is known: the stored stream or a Gunzip fed by it. */
  #source: Readable | undefined;
  #gunzip: Gunzip | undefined;
  #encoding = '';
  #decodedBytes = 0;
  #verified: DownloadResult | undefined;

  constructor(stored: OrderedStream, options: DecodingStreamOptions) {
    super();
    this.#stored = stored;
    this.#options = options;
    this.result = new Promise<DownloadResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.result.catch(() => undefined);
    // The download failed (or was aborted): its error is the consumer's, whatever stage the bytes were in.
    stored.once('error', (error) => this.destroy(error));
  }

  /**
   * The object's encoding is known (discovery): start relaying, decompressing from `decode` (the stored
   * encoding, `gzip`) or passing the stored bytes through when undefined.
   */
  begin(decode: string | undefined): void {
    if (this.#source !== undefined || this.destroyed) return;
    if (decode === undefined) {
      this.#relay(this.#stored);
      return;
    }
    const gunzip = createGunzip();
    this.#gunzip = gunzip;
    this.#encoding = decode;
    gunzip.once('error', (error) => this.#decodeFailed(error));
    this.#stored.pipe(gunzip);
    this.#relay(gunzip);
  }

  /** The stored bytes were all received and verified; the stream may end once they have been relayed. */
  settle(result: DownloadResult): void {
    this.#verified = result;
  }

  override _read(): void {
    this.#source?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#reject(error ?? new AbortError('The download stream was closed before it ended'));
    this.#gunzip?.destroy();
    // Closing the stored stream early is what stops the download's requests (see stream-download.ts).
    this.#stored.destroy();
    callback(error);
  }

  #relay(source: Readable): void {
    this.#source = source;
    const counting = source !== this.#stored;
    source.on('data', (chunk: Buffer) => {
      if (counting) this.#decodedBytes += chunk.byteLength;
      if (!this.push(chunk)) source.pause();
    });
    source.once('end', () => this.#end());
  }

  #end(): void {
    const verified = this.#verified;
    if (verified === undefined) {
      // Cannot happen: the stored stream ends only after the job's result was settled.
      this.destroy(new InvalidStateError('The download stream ended before the download was verified'));
      return;
    }
    this.#resolve(
      this.#gunzip === undefined ? verified : { ...verified, decompressed: { encoding: this.#encoding, bytes: this.#decodedBytes } },
    );
    this.push(null);
  }

  #decodeFailed(error: Error): void {
    if (this.destroyed) return;
    const zlib = zlibErrorCode(error);
    this.#stored.unpipe(this.#gunzip);
    this.#gunzip?.destroy();
    if (!this.#options.verifies) {
      this.destroy(notGzipError(this.#options.label, zlib, error, { verified: false }));
      return;
    }
    const report = (): void => {
      this.destroy(notGzipError(this.#options.label, zlib, error, { verified: this.#verified?.validated === true }));
    };
    // A gzip cut short fails only at its end, when every stored byte is in (and verified) already.
    if (this.#stored.readableEnded) {
      report();
      return;
    }
    // Drained, not delivered: the rest is fetched only so its CRC32C tells whose fault the bad gzip is. A
    // mismatch arrives as the stored stream's error (DataCorruption) and wins.
    this.#stored.once('end', report);
    this.#stored.resume();
  }
}

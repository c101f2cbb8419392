/**
 * `cp gs://… FILE|-`: a download, resumable when it goes to a file. The library's `resume` keeps the journal
 * (`FILE.gcs-transfer.partial.json`) and `FILE.gcs-transfer.partial` when the run fails or is interrupted, and
 * the next identical command continues from them; this file only says what it decided.
 */
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Crc32cHasher } from '../checksum/crc32c.js';
import { PARTIAL_SUFFIX } from '../transfer/file-sink.js';
import { formatObjectRef } from '../transfer/object-ref.js';
import { decompressesOnDownload } from '../transfer/stored-encoding.js';
import type { DownloadCheckpoint, ResumeEvent } from '../transfer/options.js';
import { StdoutClosed, type CpContext, type CpOutcome } from './cp-context.js';
import { summaryOf } from './cp-report.js';
import { formatSize } from './sizes.js';

/** Downloads into `options.local`, resuming from (and keeping) the journal unless `--no-resume`. */
export async function downloadToFile(context: CpContext): Promise<CpOutcome> {
  const { tm, options, reporter, signal } = context;
  noteRangeSize(context);
  let kept: string | undefined;
  const onEvent = (event: ResumeEvent): void => {
    if (event.type === 'note') reporter.note(event.message);
    else if (event.type === 'kept') kept = event.paths.join(' and ');
    else {
      const of = event.size === undefined ? '' : ` of ${formatSize(event.size)}`;
      reporter.note(`resuming: ${formatSize(event.bytes)}${of} already in ${options.local}${PARTIAL_SUFFIX}`);
    }
  };
  try {
    const result = await tm.downloadFile(options.remote, options.local, {
      onProgress: reporter.onProgress,
      decompress: options.decompress,
      ...(signal ? { signal } : {}),
      resume: options.resume === 'off' ? false : { restart: options.resume === 'restart', onEvent },
    });
    const where = { direction: 'download', source: formatObjectRef(options.remote), destination: options.local } as const;
    return { ok: true, summary: summaryOf(result, { ...where, resumedBytes: result.resumed?.bytes ?? 0 }) };
  } catch (error) {
    return { ok: false, error, ...(kept === undefined ? {} : { kept }) };
  }
}

/** One line when `--chunk-size` is below the smallest download range. */
function noteRangeSize(context: CpContext): void {
  const { chunkSize, chunkSizeGiven, rangeSize } = context.options;
  if (!chunkSizeGiven || rangeSize === chunkSize) return;
  context.reporter.note(`range size raised from ${formatSize(chunkSize)} to ${formatSize(rangeSize)}, the smallest download range`);
}

/**
 * Streams the object to stdout in order. Nothing can be resumed (stdout cannot seek), and the bytes are only
 * known good once the stream has ended: the engine fails it after the last byte if the whole-object CRC32C
 * does not match, so the exit code is the verdict.
 */
export async function downloadToStdout(context: CpContext): Promise<CpOutcome> {
  const { tm, options, reporter, signal, io } = context;
  noteRangeSize(context);
  let discovered: Extract<DownloadCheckpoint, { type: 'discovered' }> | undefined;
  let onDiscovered: (event: Extract<DownloadCheckpoint, { type: 'discovered' }>) => void = () => undefined;
  const known = new Promise<Extract<DownloadCheckpoint, { type: 'discovered' }>>((resolve) => (onDiscovered = resolve));
  const started = performance.now();
  const hasher = new Crc32cHasher();
  let decodedBytes = 0;
  const source = tm.downloadToStream(options.remote, {
    onProgress: reporter.onProgress,
    onCheckpoint: (event) => {
      if (event.type !== 'discovered') return;
      discovered = event;
      onDiscovered(event);
    },
    ...(signal ? { signal } : {}),
  });
  // Our own hash of what reached stdout: the summary reports it, and without a server hash it is all we have.
  const hash = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hasher.update(chunk);
      callback(null, chunk);
    },
  });
  // The reader went away (`| head`): like `cat`, stop quietly rather than report a write error.
  let readerGone = false;
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') readerGone = true;
  };
  io.stdout.on('error', onStdoutError);
  try {
    // The stored bytes are hashed (that is what the server's CRC32C describes); a gzip-stored object is then
    // decompressed on its way out, as to a file.
    const decode = async function* (stored: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      const iterator = stored[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) return;
      const rest = (async function* () {
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      })();
      if (!options.decompress || !decompressesOnDownload((await known).contentEncoding)) {
        yield* rest;
        return;
      }
      const gunzip = createGunzip();
      const feeding = pipeline(rest, gunzip).catch((error: unknown) => gunzip.destroy(error as Error));
      for await (const chunk of gunzip) {
        decodedBytes += (chunk as Buffer).byteLength;
        yield chunk as Buffer;
      }
      await feeding;
    };
    await pipeline(source, hash, decode, io.stdout, { end: false });
  } catch (error) {
    if (readerGone || (error as NodeJS.ErrnoException).code === 'EPIPE') return { ok: false, error: new StdoutClosed() };
    return { ok: false, error };
  } finally {
    io.stdout.off('error', onStdoutError);
  }
  const crc32c = hasher.digestBase64();
  // An empty object comes without a server hash (a 416 answer); its size alone proves its content, and a
  // download to a file says "verified" for it, so this one does too.
  const empty = hasher.length === 0 && discovered?.size === 0;
  return {
    ok: true,
    summary: {
      direction: 'download',
      source: formatObjectRef(options.remote),
      destination: '-',
      bytes: hasher.length,
      crc32c,
      validated: options.checksum && (empty || discovered?.crc32c === crc32c),
      ...(discovered?.generation === undefined ? {} : { generation: discovered.generation }),
      ...(options.decompress && decompressesOnDownload(discovered?.contentEncoding)
        ? { decompressed: { encoding: discovered?.contentEncoding as string, bytes: decodedBytes } }
        : {}),
      parts: Math.max(1, Math.ceil(hasher.length / options.rangeSize)),
      elapsedMs: Math.round(performance.now() - started),
      resumedBytes: 0,
    },
  };
}

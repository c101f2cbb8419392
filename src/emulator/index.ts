/**
 * A local GCS emulator: the JSON API (objects: metadata, media download, media/multipart/resumable uploads,
 * patch, copy, rewrite, compose, move, listing; buckets; the batch endpoint) and the path-style XML API
 * (objects, copies, multipart upload, ListMultipartUploads, bucket listing), on disk, with fault injection and
 * network shaping. Anything else answers 501 naming the operation.
 *
 * @example
 * ```ts
 * import { startEmulator } from 'gcs-transfer/emulator';
 * const emulator = await startEmulator();
 * // … point a client at emulator.url …
 * emulator.faults.add({ match: { op: 'media' }, fault: 'status:503' });
 * await emulator.close();
 * ```
 */
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../errors.js';
import { FaultController } from './faults.js';
import { Metrics } from './metrics.js';
import { MultipartUploads } from './multipart-uploads.js';
import { ResumableSessions } from './resumable-sessions.js';
import { DEFAULT_REWRITE_BYTES_PER_CALL, RewriteJobs } from './rewrite-jobs.js';
import { validBucket, validObjectName } from './routes.js';
import { createEmulatorServer } from './server.js';
import { Shaper, type ShapingOptions } from './shaping.js';
import { ObjectStore, type ObjectMeta } from './store.js';

export type { FaultPlan, FaultRule, FaultTarget } from './faults.js';
export type { MetricsSnapshot } from './metrics.js';
export type { Op } from './operations.js';
export type { ShapingOptions } from './shaping.js';
export { FaultController } from './faults.js';
export { Metrics } from './metrics.js';
export { OPERATIONS } from './operations.js';
export { FAULT_HEADER } from './server.js';

export interface EmulatorOptions {
  /** TCP port; 0 picks a free one (read it back from `port`). @default 0 */
  port?: number;
  /** Address to bind. Anything but loopback exposes the emulator to the network. @default '127.0.0.1' */
  host?: string;
  /**
   * Directory for objects and upload state. Objects left there by an earlier run are served again.
   * @default a fresh temp directory, removed by `close()`
   */
  dir?: string;
  /** Bandwidth caps and first-byte delay, for benchmarks. @default no shaping */
  shaping?: ShapingOptions;
  /**
   * Bytes one objects.rewrite call copies when the client sets no `maxBytesRewrittenPerCall`; larger objects
   * take several calls with a `rewriteToken`. Lower it to exercise a client's rewrite loop on small objects.
   * @default 1 GiB
   */
  rewriteBytesPerCall?: number;
}

/** What `putObject` stores besides the bytes. */
export interface PutObjectOptions {
  /** @default 'application/octet-stream' */
  contentType?: string;
  /** Set to `'gzip'` for bytes that are gzip-compressed (served decompressed unless the client accepts gzip). */
  contentEncoding?: string;
  /** Custom metadata. */
  metadata?: Record<string, string>;
}

/** The stored object's identity and hashes, as the JSON API reports them (strings where GCS uses strings). */
export interface PutObjectResult {
  generation: string;
  size: number;
  crc32c: string;
  md5Hash: string | undefined;
}

export interface Emulator {
  /** `http://HOST:PORT`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Where objects live on disk. */
  readonly dir: string;
  /** Queue of fault rules for the next matching requests. */
  readonly faults: FaultController;
  /** Request counts, concurrency peaks and byte totals. */
  readonly metrics: Metrics;
  /** Clears queued faults and zeroes the metrics. */
  reset(): void;
  /** Stores an object directly (no HTTP), e.g. to seed a test. Creates the bucket if needed. */
  putObject(bucket: string, name: string, body: Uint8Array | string | AsyncIterable<Uint8Array>, options?: PutObjectOptions): Promise<PutObjectResult>;
  /** Stops serving, drops open connections and removes the temp directory (not a `dir` you passed). */
  close(): Promise<void>;
}

function validate(options: EmulatorOptions): void {
  const { port, host, dir, rewriteBytesPerCall } = options;
  if (rewriteBytesPerCall !== undefined && (!Number.isSafeInteger(rewriteBytesPerCall) || rewriteBytesPerCall < 1)) {
    throw new InvalidArgumentError(`Expected \`rewriteBytesPerCall\` to be a positive integer number of bytes, got \`${String(rewriteBytesPerCall)}\``);
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new InvalidArgumentError(`Expected \`port\` to be an integer from 0 to 65535, got \`${String(port)}\` (${typeof port})`);
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    throw new InvalidArgumentError(`Expected \`host\` to be a non-empty string, got \`${String(host)}\``);
  }
  if (dir !== undefined && (typeof dir !== 'string' || dir === '')) {
    throw new InvalidArgumentError(`Expected \`dir\` to be a directory path, got \`${String(dir)}\``);
  }
}

/** Starts an emulator and resolves once it is listening. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  validate(options);
  const shaper = new Shaper(options.shaping);
  const host = options.host ?? '127.0.0.1';
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gcs-emulator-'));
  const store = new ObjectStore(dir);
  const state = {
    store,
    resumable: new ResumableSessions(store),
    multipart: new MultipartUploads(store),
    rewrites: new RewriteJobs(store, options.rewriteBytesPerCall ?? DEFAULT_REWRITE_BYTES_PER_CALL),
    faults: new FaultController(),
    metrics: new Metrics(),
  };
  let address = `${host}:${options.port ?? 0}`;
  const shutdown = new AbortController();
  // Every request paused by shaping or a fault waits on this signal: hundreds at once are normal, not a leak.
  setMaxListeners(0, shutdown.signal);
  const server = createEmulatorServer(state, shaper.pacesBodies || shaper.firstByteDelayMs > 0 ? shaper : undefined, () => address, shutdown.signal);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${address}`,
    port,
    dir,
    faults: state.faults,
    metrics: state.metrics,
    reset() {
      state.faults.clear();
      state.metrics.reset();
    },
    async putObject(bucket, name, body, putOptions = {}) {
      try {
        validBucket(bucket);
        validObjectName(name);
      } catch (error) {
        throw new InvalidArgumentError(`putObject: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      const meta: ObjectMeta = { contentType: putOptions.contentType ?? 'application/octet-stream' };
      if (putOptions.contentEncoding !== undefined) meta.contentEncoding = putOptions.contentEncoding;
      if (putOptions.metadata !== undefined) meta.metadata = { ...putOptions.metadata };
      const source = typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : body;
      const object = store.commit(await store.stage(source), { bucket, name, meta });
      return { generation: String(object.generation), size: object.size, crc32c: object.crc32c, md5Hash: object.md5 };
    },
    close() {
      closing ??= (async () => {
        // Stalls and pacing waits end now: a pending `stall-headers` timer once kept a SIGTERM'd emulator up ~70 s.
        shutdown.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        state.resumable.clear();
        state.multipart.clear();
        state.rewrites.clear();
        if (ownsDir) rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

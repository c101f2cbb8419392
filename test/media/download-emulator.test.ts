/**
 * The four download classes against the emulator over real HTTP (UndiciTransport): byte-exact round trips at
 * the chunk-size edges, ranges, gzip-stored objects, and recovery from injected faults (429 + Retry-After, 503,
 * a reset mid-body, a stalled body past the read timeout, flipped bytes, ignored ranges, truncated bodies, an
 * overwrite during the download).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import {
  DataCorruption,
  InvalidResponse,
  NetworkError,
  NotFound,
  TimeoutError,
} from '../../src/errors.js';
import { ChunkedDownload, RawChunkedDownload } from '../../src/media/chunked-download.js';
import { Download, RawDownload } from '../../src/media/download.js';
import { GcsEndpoint } from '../../src/transport/endpoint.js';
import { RetryStrategy } from '../../src/transport/retry.js';
import { UndiciTransport } from '../../src/transport/undici-transport.js';
import { CollectingWritable } from './download-fake-transport.js';

const BUCKET = 'downloads';
const CHUNK = 64 * 1024;

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be reproduced from the seed. */
function seeded(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

let emulator: Emulator;
let transport: UndiciTransport;
let endpoint: GcsEndpoint;
let sleeps: number[] = [];

/** Fast, exact retries: 10 ms first delay, no jitter, waits recorded (Retry-After included) but kept short. */
function fastRetry(maxRetries?: number): RetryStrategy {
  return new RetryStrategy({
    initialDelayMs: 10,
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
      await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20)));
    },
    ...(maxRetries === undefined ? {} : { maxRetries }),
  });
}

function mediaUrl(name: string): string {
  return endpoint.mediaUrl(BUCKET, name);
}

function withRetry<T extends { retryStrategy: RetryStrategy }>(download: T, maxRetries?: number): T {
  download.retryStrategy = fastRetry(maxRetries);
  return download;
}

/** Waits up to a second for `condition`, then asserts it. */
async function settled(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition());
}

async function chunkedAll(download: ChunkedDownload): Promise<number> {
  let requests = 0;
  while (!download.finished) {
    await download.consumeNextChunk(transport);
    requests++;
  }
  return requests;
}

before(async () => {
  emulator = await startEmulator();
  transport = new UndiciTransport();
  endpoint = new GcsEndpoint(emulator.url);
});

after(async () => {
  await transport.close();
  await emulator.close();
});

beforeEach(() => {
  emulator.reset();
  sleeps = [];
});

describe('round trips (0, 1, chunk-1, chunk, chunk+1, 3 MiB)', () => {
  const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * 1024 * 1024];

  for (const size of sizes) {
    it(`${size} bytes: Download, RawDownload, ChunkedDownload and RawChunkedDownload return the exact bytes`, async () => {
      const name = `round-trip/${size}.bin`;
      const data = seeded(size, size + 1);
      await emulator.putObject(BUCKET, name, data);

      const stream = new CollectingWritable({ highWaterMark: 64 * 1024 });
      const d = withRetry(new Download(mediaUrl(name), { stream }));
      const result = await d.consume(transport);
      assert.equal(result.status, 200);
      assert.ok(stream.data.equals(data), 'Download bytes');
      assert.equal(d.bytesDownloaded, size);

      const raw = withRetry(new RawDownload(mediaUrl(name), { checksum: 'md5' }));
      assert.ok((await raw.consume(transport)).body?.equals(data), 'RawDownload bytes');

      for (const Kind of [ChunkedDownload, RawChunkedDownload]) {
        const out = new CollectingWritable({ highWaterMark: 64 * 1024 });
        const chunked = withRetry(new Kind(mediaUrl(name), CHUNK, out));
        const requests = await chunkedAll(chunked);
        assert.equal(requests, Math.max(1, Math.ceil(size / CHUNK)), `${Kind.name} request count`);
        assert.ok(out.data.equals(data), `${Kind.name} bytes`);
        assert.equal(chunked.bytesDownloaded, size);
        assert.equal(chunked.totalBytes, size === 0 ? undefined : size);
      }
      // The server counts a request done when its last byte is flushed, a moment after we have it.
      await settled(() => emulator.metrics.snapshot().inFlight === 0);
    });
  }

  it('names that need percent-encoding', async () => {
    const name = 'dir/a b#c%d+e?f/ünï.txt';
    await emulator.putObject(BUCKET, name, 'odd name');
    const d = withRetry(new Download(mediaUrl(name)));
    assert.equal((await d.consume(transport)).body?.toString(), 'odd name');
  });
});

describe('ranges', () => {
  const data = seeded(100_000, 7);
  const name = 'ranges.bin';
  before(async () => {
    await emulator.putObject(BUCKET, name, data);
  });

  it('132: slices [1024, 16385], [0, 8191], the last 256 bytes and from 65536 on are exact 206s', async () => {
    const cases: [{ start?: number; end?: number }, Buffer][] = [
      [{ start: 1024, end: 16385 }, data.subarray(1024, 16386)],
      [{ end: 8191 }, data.subarray(0, 8192)],
      [{ start: -256 }, data.subarray(-256)],
      [{ start: 65536 }, data.subarray(65536)],
    ];
    for (const [range, expected] of cases) {
      const d = withRetry(new Download(mediaUrl(name), range));
      const result = await d.consume(transport);
      assert.equal(result.status, 206);
      assert.ok(result.body?.equals(expected), JSON.stringify(range));
      await assert.rejects(d.consume(transport), /can only be used once/);
    }
  });

  it('131: a range past the end is a 416 InvalidResponse; a missing object is NotFound', async () => {
    await assert.rejects(withRetry(new Download(mediaUrl(name), { start: 200_000, end: 200_100 })).consume(transport), (e: unknown) => e instanceof InvalidResponse && e.status === 416);
    await assert.rejects(withRetry(new Download(mediaUrl('missing.bin'))).consume(transport), NotFound);
  });

  it('a chunked download of a sub-range stops at end', async () => {
    const out = new CollectingWritable();
    const chunked = withRetry(new ChunkedDownload(mediaUrl(name), 10_000, out, { start: 5, end: 30_004 }));
    assert.equal(await chunkedAll(chunked), 3);
    assert.ok(out.data.equals(data.subarray(5, 30_005)));
  });
});

describe('gzip-stored objects (contentEncoding: gzip)', () => {
  const plain = Buffer.from(Array.from({ length: 300_000 }, (_, i) => 'The quick brown fox jumps over the lazy dog. '.charCodeAt((i * 7) % 45) ^ (i % 3)));
  const gz = gzipSync(plain);
  const name = 'logs/app.log.gz';
  before(async () => {
    await emulator.putObject(BUCKET, name, gz, { contentEncoding: 'gzip', contentType: 'text/plain' });
  });

  it('128: Download yields the decoded bytes, RawDownload the stored bytes; both validate (crc32c and md5)', async () => {
    for (const checksum of ['crc32c', 'md5'] as const) {
      const d = withRetry(new Download(mediaUrl(name), { checksum }));
      assert.ok((await d.consume(transport)).body?.equals(plain));
      const raw = withRetry(new RawDownload(mediaUrl(name), { checksum }));
      assert.ok((await raw.consume(transport)).body?.equals(gz));
    }
  });

  it('a gzip download reset mid-body resumes in compressed offsets and still validates', async () => {
    emulator.faults.add({ match: { op: 'media', object: name }, fault: `reset-after:${Math.floor(gz.byteLength / 2)}` });
    const d = withRetry(new Download(mediaUrl(name)));
    assert.ok((await d.consume(transport)).body?.equals(plain));
    assert.equal(emulator.metrics.snapshot().requests.media, 2);
  });

  it('ChunkedDownload decodes across chunks; RawChunkedDownload keeps the compressed bytes', async () => {
    const decoded = new CollectingWritable();
    await chunkedAll(withRetry(new ChunkedDownload(mediaUrl(name), 16 * 1024, decoded)));
    assert.ok(decoded.data.equals(plain));
    const raw = new CollectingWritable();
    await chunkedAll(withRetry(new RawChunkedDownload(mediaUrl(name), 16 * 1024, raw)));
    assert.ok(raw.data.equals(gz));
  });

  it('decompressive transcoding (accept-encoding: identity): the decoded object, unvalidated, without rewinding on resume', async () => {
    emulator.faults.add({ match: { op: 'media', object: name }, fault: 'reset-after:100000' });
    const stream = new CollectingWritable();
    const d = withRetry(new Download(mediaUrl(name), { stream, headers: { 'accept-encoding': 'identity' } }));
    await d.consume(transport);
    assert.ok(stream.data.equals(plain));
    assert.equal(emulator.metrics.snapshot().requests.media, 2);
  });
});

describe('retries with emulator faults', () => {
  const data = seeded(2 * 1024 * 1024, 42);
  const name = 'faults.bin';
  before(async () => {
    await emulator.putObject(BUCKET, name, data);
  });
  const fault = (spec: string, times = 1): void => {
    emulator.faults.add({ match: { op: 'media', object: name }, fault: spec, times });
  };

  it('503 then success', async () => {
    fault('status:503');
    const d = withRetry(new Download(mediaUrl(name)));
    assert.ok((await d.consume(transport)).body?.equals(data));
    assert.deepEqual(sleeps, [10]);
  });

  it('429 with Retry-After: 1 waits the second the server asked for', async () => {
    fault('status:429,retry-after=1');
    const d = withRetry(new Download(mediaUrl(name)));
    assert.ok((await d.consume(transport)).body?.equals(data));
    assert.deepEqual(sleeps, [1000]);
  });

  it('a reset mid-body resumes from the byte reached (pinned), and the whole object is still validated', async () => {
    fault('reset-after:700000');
    const stream = new CollectingWritable({ highWaterMark: 64 * 1024 });
    const d = withRetry(new Download(mediaUrl(name), { stream }));
    const result = await d.consume(transport);
    assert.equal(result.status, 206, 'the last response is the resumed range');
    assert.ok(stream.data.equals(data));
    assert.equal(d.validated, true);
    assert.equal(emulator.metrics.snapshot().requests.media, 2);
    assert.ok(emulator.metrics.snapshot().bytesOut < data.byteLength * 1.5, 'only the rest was fetched again');
  });

  it('a byte flipped in the resumed part is still caught: validation spans the resume', async () => {
    fault('reset-after:700000');
    emulator.faults.add({ match: { op: 'media', object: name }, fault: 'flip-byte:10', skip: 1 });
    const d = withRetry(new Download(mediaUrl(name)));
    await assert.rejects(d.consume(transport), DataCorruption);
    assert.equal(emulator.metrics.snapshot().requests.media, 2);
  });

  it('a body stalled past the read timeout is cut and resumed', async () => {
    fault('stall-body:6000,after=300000');
    const d = withRetry(new Download(mediaUrl(name)));
    const started = Date.now();
    const result = await d.consume(transport, { timeout: { readMs: 200 } });
    assert.ok(result.body?.equals(data));
    // undici checks body timeouts on a ~1 s tick, so "cut" means well before the 6 s stall ends (the margin is
    // for a loaded machine).
    assert.ok(Date.now() - started < 4000, 'did not wait for the stall to end');
    assert.equal(emulator.metrics.snapshot().requests.media, 2);
  });

  it('abort during a stalled body stops at once with AbortError and releases the connection', async () => {
    fault('stall-body:3000,after=100000');
    const controller = new AbortController();
    const d = withRetry(new Download(mediaUrl(name), { stream: new CollectingWritable() }));
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await assert.rejects(d.consume(transport, { signal: controller.signal }), (e: unknown) => e instanceof Error && e.name === 'AbortError');
    assert.ok(Date.now() - started < 1000);
    await settled(() => emulator.metrics.snapshot().inFlight === 0);
  });

  it('a stall that persists exhausts the retries with TimeoutError', async () => {
    fault('stall-body:2000,after=10', 5);
    const d = withRetry(new Download(mediaUrl(name)), 1);
    await assert.rejects(d.consume(transport, { timeout: { readMs: 100 } }), TimeoutError);
  });

  it('a flipped byte is DataCorruption for Download (crc32c and md5), and passes unnoticed with checksum null', async () => {
    for (const checksum of ['crc32c', 'md5'] as const) {
      fault('flip-byte:12345');
      const d = withRetry(new Download(mediaUrl(name), { checksum }));
      await assert.rejects(d.consume(transport), (e: unknown) => e instanceof DataCorruption && e.algorithm === checksum);
    }
    fault('flip-byte:12345');
    const body = (await withRetry(new Download(mediaUrl(name), { checksum: null })).consume(transport)).body as Buffer;
    assert.notEqual(body[12345], data[12345]);
  });

  it('an overwrite between a reset and the resume is NotFound (the resume is pinned to the old generation)', async () => {
    const victim = 'overwritten.bin';
    await emulator.putObject(BUCKET, victim, data);
    emulator.faults.add({ match: { op: 'media', object: victim }, fault: 'reset-after:100000;bump-generation' });
    const d = withRetry(new Download(mediaUrl(victim)));
    await assert.rejects(d.consume(transport), NotFound);
  });

  it('ChunkedDownload: a reset mid-chunk resumes the rest of that chunk, no duplicates', async () => {
    emulator.faults.add({ match: { op: 'media', object: name }, fault: 'reset-after:100000', skip: 3 });
    const out = new CollectingWritable({ highWaterMark: 64 * 1024 });
    const chunked = withRetry(new ChunkedDownload(mediaUrl(name), 256 * 1024, out));
    assert.equal(await chunkedAll(chunked), 8);
    assert.ok(out.data.equals(data));
    assert.equal(emulator.metrics.snapshot().requests.media, 9);
  });

  it('ChunkedDownload: retryable statuses on a chunk are retried and the download stays valid', async () => {
    emulator.faults.add({ match: { op: 'media', object: name }, fault: 'status:503', skip: 1 });
    emulator.faults.add({ match: { op: 'media', object: name }, fault: 'status:429,retry-after=1', skip: 2 });
    const out = new CollectingWritable({ highWaterMark: 64 * 1024 });
    const chunked = withRetry(new ChunkedDownload(mediaUrl(name), 512 * 1024, out));
    await chunkedAll(chunked);
    assert.ok(out.data.equals(data));
    assert.equal(chunked.invalid, false);
  });

  it('ChunkedDownload: a truncated body (the server lies about its length) is resumed', async () => {
    emulator.faults.add({ match: { op: 'media', object: name }, fault: 'truncate-body:1000', skip: 1 });
    const out = new CollectingWritable({ highWaterMark: 64 * 1024 });
    await chunkedAll(withRetry(new ChunkedDownload(mediaUrl(name), 1024 * 1024, out)));
    assert.ok(out.data.equals(data));
  });

  it('ChunkedDownload: truncation that persists exhausts retries with NetworkError; not invalid; a later call continues', async () => {
    emulator.faults.add({ match: { op: 'media', object: name }, fault: 'truncate-body:1000', times: 2 });
    const out = new CollectingWritable({ highWaterMark: 64 * 1024 });
    const chunked = withRetry(new ChunkedDownload(mediaUrl(name), 1024 * 1024, out), 1);
    await assert.rejects(chunked.consumeNextChunk(transport), NetworkError);
    assert.equal(chunked.invalid, false);
    assert.equal(chunked.bytesDownloaded, 2000);
    await chunkedAll(chunked);
    assert.ok(out.data.equals(data));
  });

  it('ChunkedDownload: a 200 that ignores the range is an InvalidResponse, the download invalid, nothing written', async () => {
    fault('ignore-range');
    const out = new CollectingWritable();
    const chunked = withRetry(new ChunkedDownload(mediaUrl(name), CHUNK, out));
    await assert.rejects(chunked.consumeNextChunk(transport), (e: unknown) => e instanceof InvalidResponse && /content-range/.test(e.message));
    assert.equal(chunked.invalid, true);
    assert.equal(out.data.byteLength, 0);
  });

  it('ChunkedDownload: a missing content-range is an InvalidResponse and invalid', async () => {
    fault('omit-header:content-range');
    const chunked = withRetry(new ChunkedDownload(mediaUrl(name), CHUNK, new CollectingWritable()));
    await assert.rejects(chunked.consumeNextChunk(transport), /must contain header content-range/);
    assert.equal(chunked.invalid, true);
  });

  it('ChunkedDownload: an overwrite between chunks is NotFound (requests are pinned) and invalid', async () => {
    const victim = 'overwritten-chunked.bin';
    await emulator.putObject(BUCKET, victim, data);
    emulator.faults.add({ match: { op: 'media', object: victim }, fault: 'bump-generation' });
    const out = new CollectingWritable({ highWaterMark: 64 * 1024 });
    const chunked = withRetry(new ChunkedDownload(mediaUrl(victim), 1024 * 1024, out));
    await chunked.consumeNextChunk(transport);
    await assert.rejects(chunked.consumeNextChunk(transport), NotFound);
    assert.equal(chunked.invalid, true);
    assert.equal(out.data.byteLength, 1024 * 1024);
  });
});

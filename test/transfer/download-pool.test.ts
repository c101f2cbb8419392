/**
 * Downloads through the worker pool: what moving the data path off the main thread must keep (resumable
 * progress inside ranges, the main-thread fallback for a caller's transport, prompt cancellation of tasks no
 * thread has started).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { WorkerPool } from '../../src/pool/worker-pool.js';
import { TransferManager } from '../../src/transfer/transfer-manager.js';
import type { CompletedRange, DownloadCheckpoint } from '../../src/transfer/options.js';
import { UndiciTransport } from '../../src/transport/undici-transport.js';
import { MiB, fastRetry, harness, seededBytes, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  await h.close();
});

test('an interrupted download keeps its ranges in progress: stopped past half-way, the re-run fetches less than half', async () => {
  // Four 8 MiB ranges all in flight at 4 MiB/s each: none completes before the interruption.
  const shaped: Emulator = await startEmulator({ shaping: { perConnectionBytesPerSec: 4 * MiB } });
  const tm = new TransferManager({ endpoint: shaped.url, auth: 'none', retry: fastRetry(), workers: 1 });
  try {
    const data = seededBytes(32 * MiB, 61);
    const put = await shaped.putObject('keep', 'big', data);
    const dest = join(h.dir, 'interrupted');
    const controller = new AbortController();
    const events: DownloadCheckpoint[] = [];
    let stoppedAt = 0;
    await assert.rejects(
      tm.downloadFile('gs://keep/big', dest, {
        chunkSize: 8 * MiB,
        concurrency: 4,
        keepPartial: true,
        signal: controller.signal,
        onCheckpoint: (event) => events.push(event),
        onProgress: (p) => {
          if (p.bytesDone >= 0.52 * data.length && stoppedAt === 0) {
            stoppedAt = p.bytesDone;
            controller.abort();
          }
        },
      }),
      { name: 'AbortError' },
    );
    assert.ok(stoppedAt <= 0.7 * data.length, `stopped at ${stoppedAt}`);
    assert.equal(events.filter((e) => e.type === 'range').length, 0, 'no range had completed');
    // What a journal keeps: the newest event per range start.
    const byStart = new Map<number, CompletedRange>();
    for (const event of events) if (event.type !== 'discovered') byStart.set(event.start, { start: event.start, end: event.end, crc32c: event.crc32c });
    const ranges = [...byStart.values()];
    const kept = ranges.reduce((total, r) => total + r.end - r.start, 0);
    // Nearly everything written is kept: at most what arrived between the last report and the abort is lost.
    assert.ok(kept >= stoppedAt - 4 * MiB, `checkpoints cover ${kept} of the ${stoppedAt} bytes written`);

    // The interrupted responses may still be draining into closed sockets: count only the re-run's bytes.
    for (let waited = 0; shaped.metrics.snapshot().inFlight > 0 && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    const before = shaped.metrics.snapshot().bytesOut;
    const result = await tm.downloadFile('gs://keep/big', dest, { chunkSize: 8 * MiB, concurrency: 4, resumeFrom: { generation: put.generation, ranges } });
    const fetched = shaped.metrics.snapshot().bytesOut - before;
    assert.ok(result.validated);
    assert.ok(fetched < data.length / 2, `the re-run fetched ${fetched} of ${data.length} bytes`);
    assert.ok(fetched <= data.length - kept + 1, `the re-run fetched ${fetched} bytes, ${data.length - kept} were missing`);
    assert.ok((await readFile(dest)).equals(data));
  } finally {
    await tm.close();
    await shaped.close();
  }
});

test("a caller's own transport runs the ranges on the main thread, with the same bytes and checks", async () => {
  const transport = new UndiciTransport();
  const tm = new TransferManager({ endpoint: h.emulator.url, transport, retry: fastRetry() });
  try {
    const data = seededBytes(5 * MiB + 7, 62);
    await h.emulator.putObject('inline', 'obj', data);
    const dest = join(h.dir, 'inline');
    const result = await tm.downloadFile('gs://inline/obj', dest, { chunkSize: MiB, concurrency: 3 });
    assert.ok(result.validated);
    assert.ok((await readFile(dest)).equals(data));
    const chunks: Buffer[] = [];
    await pipeline(
      tm.downloadToStream('gs://inline/obj', { chunkSize: MiB, concurrency: 3 }),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      }),
    );
    assert.ok(Buffer.concat(chunks).equals(data));
  } finally {
    await tm.close();
    await transport.close();
  }
});

test('a task cancelled before any thread started it settles at once, and the pool stays usable', async () => {
  const pool = new WorkerPool({ maxThreads: 1 });
  try {
    const path = join(h.dir, 'hash-me');
    await writeFile(path, seededBytes(MiB, 63));
    const outcome = await pool.hashRange({ source: { kind: 'file', path, start: 0, end: MiB } }, { signal: AbortSignal.abort() });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? undefined : outcome.error.name, 'AbortError');
    // Settled by the main thread itself, not by a worker's answer (the worker says it was cancelled before it started).
    assert.doesNotMatch(outcome.ok ? '' : outcome.error.message, /before it started/);
    const again = await pool.hashRange({ source: { kind: 'file', path, start: 0, end: MiB } });
    assert.ok(again.ok && again.value.size === MiB);
  } finally {
    await pool.close();
  }
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { crc32c } from '../../src/checksum/crc32c.js';
import { SourceChangedError } from '../../src/errors.js';
import { XMLMPUContainer } from '../../src/media/xml-mpu-container.js';
import { WorkerPool } from '../../src/pool/worker-pool.js';
import type { ProgressMessage, TaskReply, UploadPartValue } from '../../src/pool/protocol.js';
import { GcsEndpoint } from '../../src/transport/endpoint.js';
import { UndiciTransport } from '../../src/transport/undici-transport.js';
import { retrySettings } from '../../src/pool/retry-settings.js';
import { uploadPart } from '../../workers/upload-part.js';
import { MiB, fastRetry, harness, seededBytes, type Harness } from './helpers.js';

let h: Harness;
let pool: WorkerPool;
before(async () => {
  h = await harness();
  pool = new WorkerPool({ maxThreads: 1 });
});
after(async () => {
  await pool.close();
  await h.close();
});

async function newUpload(name: string): Promise<{ url: string; uploadId: string }> {
  const url = new GcsEndpoint(h.emulator.url).xmlObjectUrl('pool', name);
  const transport = new UndiciTransport();
  try {
    const container = new XMLMPUContainer(url, name);
    return { url, uploadId: await container.initiate(transport, 'application/octet-stream') };
  } finally {
    await transport.close();
  }
}

test('hashRange in a worker: a file range, and a moved buffer that comes back intact', async () => {
  const data = seededBytes(3 * MiB, 1);
  const path = join(h.dir, 'hash.bin');
  await writeFile(path, data);
  const file = await pool.hashRange({ source: { kind: 'file', path, start: 1000, end: 2 * MiB + 3 } });
  assert.deepEqual(file, { ok: true, value: { crc32c: crc32c(data.subarray(1000, 2 * MiB + 3)), size: 2 * MiB + 3 - 1000 } });
  const buffer = new ArrayBuffer(1 * MiB);
  new Uint8Array(buffer).set(data.subarray(0, MiB));
  const moved = await pool.hashRange({ source: { kind: 'buffer', buffer, length: 1000 } }, { transfer: [buffer] });
  assert.equal(buffer.byteLength, 0, 'the sender copy was detached, not cloned');
  assert.ok(moved.ok);
  assert.equal(moved.value.crc32c, crc32c(data.subarray(0, 1000)));
  assert.equal(moved.buffer?.byteLength, MiB, 'the buffer came back');
  assert.ok(Buffer.from(moved.buffer as ArrayBuffer).equals(data.subarray(0, MiB)));
});

test('a failure inside the worker comes back as data and is rebuilt into its typed class', async () => {
  const path = join(h.dir, 'short.bin');
  await writeFile(path, Buffer.alloc(10));
  const outcome = await pool.hashRange({ source: { kind: 'file', path, start: 0, end: 100 } });
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok && outcome.error instanceof SourceChangedError);
  assert.equal(!outcome.ok && (outcome.error as SourceChangedError).code, 'ERR_GCS_SOURCE_CHANGED');
});

test('cancelling a running part through its port ends it with an AbortError and keeps the thread', async () => {
  const { url, uploadId } = await newUpload('cancel');
  const path = join(h.dir, 'part.bin');
  await writeFile(path, seededBytes(5 * MiB, 2));
  h.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'stall-headers:5000' });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  const started = performance.now();
  const threadsBefore = pool.threads;
  const outcome = await pool.uploadPart(
    { uploadUrl: url, uploadId, partNumber: 1, source: { kind: 'file', path, start: 0, end: 5 * MiB }, headers: {}, checksum: 'crc32c', retry: retrySettings(fastRetry()) },
    { signal: controller.signal },
  );
  assert.ok(performance.now() - started < 1500);
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && outcome.error.name, 'AbortError');
  assert.equal(pool.threads, threadsBefore, 'the thread was not terminated');
  const again = await pool.uploadPart({
    uploadUrl: url,
    uploadId,
    partNumber: 1,
    source: { kind: 'file', path, start: 0, end: 5 * MiB },
    headers: {},
    checksum: 'crc32c',
    retry: retrySettings(fastRetry()),
  });
  assert.ok(again.ok, 'the same thread runs the next task');
});

test('the uploadPart handler in-process: result as data, progress on the port, buffer handed back', async () => {
  const { url, uploadId } = await newUpload('in-process');
  const data = seededBytes(3 * MiB + 5, 3);
  const buffer = new ArrayBuffer(4 * MiB);
  new Uint8Array(buffer).set(data);
  const { port1, port2 } = new MessageChannel();
  const progress: ProgressMessage[] = [];
  port1.on('message', (m: ProgressMessage) => progress.push(m));
  const reply = (await uploadPart({
    uploadUrl: url,
    uploadId,
    partNumber: 2,
    source: { kind: 'buffer', buffer, length: data.length },
    headers: {},
    checksum: 'crc32c',
    retry: retrySettings(fastRetry()),
    port: port2,
    state: new Int32Array(new SharedArrayBuffer(4)),
  })) as Record<symbol, unknown>;
  // The reply is a piscina movable: the value to send plus the buffer to transfer.
  const value = Object.getOwnPropertySymbols(reply).map((s) => reply[s]).find((v) => typeof v === 'object' && v !== null && 'result' in v) as TaskReply<UploadPartValue>;
  assert.ok(value.result.ok);
  assert.equal(value.result.value.partNumber, 2);
  assert.equal(value.result.value.size, data.length);
  assert.match(value.result.value.etag, /\S/);
  assert.equal(value.buffer, buffer);
  await new Promise((resolve) => setTimeout(resolve, 20));
  port1.close();
  assert.ok(progress.length >= 1);
  assert.equal(progress.at(-1)?.bytes, data.length);
});

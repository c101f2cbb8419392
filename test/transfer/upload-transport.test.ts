/**
 * Uploads with a caller's own transport: the parts cannot go to the workers (the transport is a JavaScript
 * object that cannot cross threads), so they run on the main thread through it, with the same checksums,
 * retries, progress, checkpoints and cancellation as the pooled path.
 */
import { after, afterEach, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { TransferManager } from '../../src/transfer/transfer-manager.js';
import type { UploadCheckpoint } from '../../src/transfer/options.js';
import type { HttpRequest, HttpResponse, RequestOptions, Transport } from '../../src/transport/transport.js';
import { UndiciTransport } from '../../src/transport/undici-transport.js';
import { MiB, fastRetry, harness, objectBytes, uploadIsOpen, writeSeededFile, type Harness } from './helpers.js';

const PART = 5 * MiB;

/** Records every request it carries (method and URL), then lets undici send it. */
class RecordingTransport implements Transport {
  readonly requests: { method: string; url: URL }[] = [];
  readonly #inner = new UndiciTransport();

  request(request: HttpRequest, options?: RequestOptions): Promise<HttpResponse> {
    this.requests.push({ method: request.method, url: new URL(request.url) });
    return this.#inner.request(request, options);
  }

  /** Part numbers of the part PUTs it carried, in order. */
  partPuts(): number[] {
    return this.requests.filter((r) => r.method === 'PUT' && r.url.searchParams.has('partNumber')).map((r) => Number(r.url.searchParams.get('partNumber')));
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

let h: Harness;
let transport: RecordingTransport;
let tm: TransferManager;
before(async () => {
  h = await harness();
});
beforeEach(() => {
  h.emulator.reset();
  transport = new RecordingTransport();
  tm = new TransferManager({ endpoint: h.emulator.url, transport, retry: fastRetry(), chunkSize: PART, concurrency: 2 });
});
afterEach(async () => {
  await tm.close();
  await transport.close();
});
after(async () => {
  await h.close();
});

test("a multipart file upload sends every part through the caller's transport, verified, with progress and checkpoints", async () => {
  const path = join(h.dir, 'three-parts');
  const data = await writeSeededFile(path, 3 * PART + 7, 71);
  const events: UploadCheckpoint[] = [];
  let done = 0;
  const result = await tm.uploadFile(path, 'gs://own-transport/file', {
    onCheckpoint: (event) => events.push(event),
    onProgress: (p) => (done = p.bytesDone),
  });
  assert.equal(result.method, 'multipart');
  assert.equal(result.parts, 4);
  assert.equal(result.validated, true);
  assert.equal(result.crc32c, crc32cToBase64(crc32c(data)));
  assert.deepEqual([...transport.partPuts()].sort(), [1, 2, 3, 4], 'every part PUT went through the transport');
  assert.equal(h.emulator.metrics.snapshot().requests['mpu-upload-part'], 4, 'and no other part request reached the server');
  assert.deepEqual(events.filter((e) => e.type === 'part').map((e) => e.partNumber).sort(), [1, 2, 3, 4]);
  assert.equal(done, data.length);
  assert.ok((await objectBytes(h.emulator, 'own-transport', 'file')).equals(data));
});

test("a stream upload's part buffers go through the caller's transport too", async () => {
  const data = await writeSeededFile(join(h.dir, 'stream-src'), 2 * PART + 3, 72);
  const result = await tm.uploadStream(Readable.from([data.subarray(0, MiB), data.subarray(MiB)]), 'gs://own-transport/stream');
  assert.equal(result.parts, 3);
  assert.equal(result.validated, true);
  assert.deepEqual([...transport.partPuts()].sort(), [1, 2, 3]);
  assert.ok((await objectBytes(h.emulator, 'own-transport', 'stream')).equals(data));
});

test("an abort mid-upload stops the main-thread parts and cancels the upload through the caller's transport", async () => {
  const path = join(h.dir, 'abort-src');
  await writeSeededFile(path, 4 * PART, 73);
  // The first part is answered; the others hang until the abort cuts them.
  h.emulator.faults.add({ match: { op: 'mpu-upload-part' }, fault: 'stall-headers:5000', skip: 1, times: 10 });
  const controller = new AbortController();
  const events: UploadCheckpoint[] = [];
  await assert.rejects(
    tm.uploadFile(path, 'gs://own-transport/aborted', {
      signal: controller.signal,
      onCheckpoint: (event) => {
        events.push(event);
        if (event.type === 'part') controller.abort();
      },
    }),
    { name: 'AbortError', message: /cancelled/ },
  );
  const initiated = events.find((e) => e.type === 'initiated');
  assert.ok(initiated?.type === 'initiated');
  assert.equal(await uploadIsOpen(h.emulator, 'own-transport', 'aborted', initiated.uploadId), false);
  assert.ok(transport.requests.some((r) => r.method === 'DELETE' && r.url.searchParams.get('uploadId') === initiated.uploadId), 'cancelled through it');
  assert.equal((await fetch(`${h.emulator.url}/own-transport/aborted`)).status, 404);
});

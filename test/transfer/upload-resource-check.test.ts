/**
 * A single-request upload whose JSON metadata is corrupted on the way (one bit of the name flipped) must not
 * be reported as the object that was asked for: the stored resource is checked against the request, and the
 * stray object is removed only by its exact generation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { UndiciTransport } from '../../src/transport/undici-transport.js';
import type { HttpRequest, RequestOptions, Transport } from '../../src/transport/transport.js';
import { harness, writeSeededFile, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  await h.close();
});

/** Flips the last bit of `.bin` → `.bic` in the metadata part of multipart uploads, as a faulty middlebox would. */
function flippingTransport(): Transport {
  const inner = new UndiciTransport();
  return {
    request(request: HttpRequest, options?: RequestOptions) {
      if (request.method === 'POST' && request.url.includes('uploadType=multipart') && request.body instanceof Uint8Array) {
        const body = Buffer.from(request.body);
        const at = body.indexOf('uploadFile.bin"');
        if (at >= 0) body[at + 13] = (body[at + 13] as number) ^ 0x0d; // 'n' (0x6e) → 'c' (0x63)
        return inner.request({ ...request, body }, options);
      }
      return inner.request(request, options);
    },
    close: () => inner.close(),
  };
}

test('a corrupted object name in a single-request upload: ResourceMismatchError, and the stray object is removed', async () => {
  const tm = h.manager({ transport: flippingTransport() });
  const path = join(h.dir, 'small.bin');
  await writeSeededFile(path, 1000, 7);
  await assert.rejects(tm.uploadFile(path, 'gs://rcheck/x-uploadFile.bin'), (error: Error & Record<string, unknown>) => {
    assert.equal(error.code, 'ERR_GCS_RESOURCE_MISMATCH');
    assert.deepEqual(error.expected, { name: 'x-uploadFile.bin' });
    assert.deepEqual(error.actual, { name: 'x-uploadFile.bic' });
    assert.equal(error.cleanup, 'removed');
    assert.match(error.message, /stored gs:\/\/rcheck\/x-uploadFile\.bic with name/);
    return true;
  });
  const listed = await fetch(`${h.emulator.url}/storage/v1/b/rcheck/o/x-uploadFile.bic`);
  assert.equal(listed.status, 404, 'the stray object is gone');
  await listed.body?.cancel();
});

test('the stray object is not removed when someone wrote a newer generation there meanwhile', async () => {
  // The request creates generation G of the stray name; before the check, another writer replaces it.
  let replace = async (): Promise<void> => undefined;
  const inner = flippingTransport();
  const transport: Transport = {
    async request(request, options) {
      if (request.method === 'DELETE') await replace();
      return inner.request(request, options);
    },
    close: () => inner.close(),
  };
  const tm = h.manager({ transport });
  const path = join(h.dir, 'small2.bin');
  await writeSeededFile(path, 1000, 8);
  replace = async () => {
    await h.emulator.putObject('rcheck', 'y-uploadFile.bic', Buffer.from('someone else'));
  };
  await assert.rejects(tm.uploadFile(path, 'gs://rcheck/y-uploadFile.bin'), { code: 'ERR_GCS_RESOURCE_MISMATCH', cleanup: 'remove-failed' });
  const kept = await fetch(`${h.emulator.url}/storage/v1/b/rcheck/o/y-uploadFile.bic?alt=media`);
  assert.equal(await kept.text(), 'someone else');
});

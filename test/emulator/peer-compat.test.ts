/**
 * Evidence that the emulator speaks GCS: the official client, @google-cloud/storage 7, pointed at it as its
 * apiEndpoint, with no emulator-specific code beyond the URL-rewriting auth client that its XML multipart
 * upload needs (it builds `https://{bucket}.{host}/{object}` URLs).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Storage, TransferManager, type StorageOptions } from '@google-cloud/storage';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { bytes, call, useEmulator } from './helpers.js';

process.env.METADATA_SERVER_DETECTION = 'none';

// The auth library and HTTP client that @google-cloud/storage itself loads, so the shim is one of its own kind.
const storageRequire = createRequire(createRequire(import.meta.url).resolve('@google-cloud/storage'));
// Typed loosely: the project's own google-auth-library (v10) is not the one storage 7 brings (v9).
type AuthClientBase = abstract new () => { request(options: unknown): Promise<unknown> };
const { AuthClient } = storageRequire('google-auth-library') as { AuthClient: AuthClientBase };
const { request } = storageRequire('gaxios') as { request: (options: Record<string, unknown>) => Promise<unknown> };

/** Sends the XML multipart upload's requests to the emulator, path style, without credentials. */
function rewritingAuthClient(emulatorUrl: string): StorageOptions['authClient'] {
  class NoAuthRewritingClient extends AuthClient {
    async getAccessToken() {
      return { token: 'unused' };
    }
    async getRequestHeaders() {
      return {};
    }
    override async request(options: unknown) {
      const { url } = options as { url: string };
      // https://{bucket}.{anyhost}/{object}?{query} → {emulator}/{bucket}/{object}?{query}. A regex, not new URL():
      // 'https://bkt.127.0.0.1/...' is not a valid WHATWG URL.
      const match = /^https:\/\/([^./]+)\.[^/]+(\/.*)$/s.exec(url);
      if (!match) throw new Error(`unexpected MPU URL ${url}`);
      return request({ ...(options as Record<string, unknown>), url: `${emulatorUrl}/${match[1]}${match[2]}`, responseType: 'text' });
    }
  }
  return new NoAuthRewritingClient() as unknown as StorageOptions['authClient'];
}

const MiB = 1024 * 1024;

test('@google-cloud/storage: ranged file.download returns the exact bytes', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(3 * MiB + 17, 21);
  await emulator.putObject('peer-bkt', 'dir/obj.bin', data);
  const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'test' });
  const file = storage.bucket('peer-bkt').file('dir/obj.bin');
  const [range] = await file.download({ start: 1000, end: 2 * MiB + 5 });
  assert.deepEqual(range, data.subarray(1000, 2 * MiB + 6));
  const [whole] = await file.download();
  assert.deepEqual(whole, data);
  const [metadata] = await file.getMetadata();
  assert.equal(metadata.size, String(data.length));
  assert.equal(metadata.crc32c, crc32cToBase64(crc32c(data)));
  assert.ok(emulator.metrics.snapshot().requests.media >= 2);
});

test('@google-cloud/storage: resumable file.save, single request and chunked, leaves byte-exact objects', async (t) => {
  const emulator = await useEmulator(t);
  const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'test' });
  const bucket = storage.bucket('peer-bkt');
  const data = bytes(2 * MiB + 12_345, 22);
  await bucket.file('saved.bin').save(data, { resumable: true, validation: 'crc32c', contentType: 'application/x-test' });
  await bucket.file('chunked.bin').save(data, { resumable: true, chunkSize: 512 * 1024, validation: 'md5', metadata: { metadata: { k: 'v' } } });
  for (const name of ['saved.bin', 'chunked.bin']) {
    const media = await call(`${emulator.url}/peer-bkt/${name}`);
    assert.equal(media.status, 200, name);
    assert.deepEqual(media.body, data, name);
  }
  const meta = (await call(`${emulator.url}/storage/v1/b/peer-bkt/o/chunked.bin`)).json();
  assert.deepEqual(meta.metadata, { k: 'v' });
  const counts = emulator.metrics.snapshot().requests;
  assert.equal(counts['resumable-initiate'], 2);
  assert.ok(counts['resumable-put'] >= 6, `chunked save made ${counts['resumable-put']} PUTs`);
});

test('@google-cloud/storage: TransferManager.uploadFileInChunks (XML multipart upload) leaves a byte-exact object', async (t) => {
  const emulator = await useEmulator(t);
  const work = mkdtempSync(join(tmpdir(), 'peer-mpu-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const data = bytes(11 * MiB + 3, 23);
  const source = join(work, 'upload.bin');
  writeFileSync(source, data);
  const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'test', authClient: rewritingAuthClient(emulator.url) });
  const manager = new TransferManager(storage.bucket('peer-bkt'));
  await manager.uploadFileInChunks(source, {
    chunkSizeBytes: 5 * MiB,
    concurrencyLimit: 3,
    uploadName: 'mpu/upload.bin',
    validation: 'md5',
    headers: { 'content-type': 'application/x-parts', 'x-goog-meta-via': 'tm' },
  });
  const media = await call(`${emulator.url}/peer-bkt/mpu/upload.bin`);
  assert.deepEqual(media.body, data);
  const meta = (await call(`${emulator.url}/storage/v1/b/peer-bkt/o/mpu%2Fupload.bin`)).json();
  assert.equal(meta.crc32c, crc32cToBase64(crc32c(data)));
  assert.equal(meta.md5Hash, undefined);
  assert.equal(meta.contentType, 'application/x-parts');
  assert.deepEqual(meta.metadata, { via: 'tm' });
  const counts = emulator.metrics.snapshot().requests;
  assert.equal(counts['mpu-initiate'], 1);
  assert.equal(counts['mpu-upload-part'], 3);
  assert.equal(counts['mpu-complete'], 1);
  assert.ok(emulator.metrics.snapshot().peakConcurrentByOp['mpu-upload-part'] <= 3);
});

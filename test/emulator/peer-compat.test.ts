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

test('@google-cloud/storage: file.copy (rewrite, several calls with tokens), bucket.combine, setMetadata, moveFileAtomic', async (t) => {
  // A small per-call rewrite budget, so the client's own token loop runs on a small object.
  const emulator = await useEmulator(t, { rewriteBytesPerCall: MiB });
  const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'test' });
  const bucket = storage.bucket('peer-bkt');
  const data = bytes(3 * MiB + 99, 24);
  await emulator.putObject('peer-bkt', 'src.bin', data, { contentType: 'application/x-src' });

  const [copy] = await bucket.file('src.bin').copy(storage.bucket('peer-other').file('copy.bin'));
  assert.equal(emulator.metrics.snapshot().requests.rewrite, 4, 'three 1 MiB calls and the rest');
  const [copied] = await copy.download();
  assert.deepEqual(copied, data);
  const [copyMeta] = await copy.getMetadata();
  assert.equal(copyMeta.contentType, 'application/x-src');
  assert.equal(copyMeta.crc32c, crc32cToBase64(crc32c(data)));

  const parts = [bytes(1234, 25), bytes(MiB, 26)];
  await bucket.file('part-a').save(parts[0] as Buffer, { resumable: false });
  await bucket.file('part-b').save(parts[1] as Buffer, { resumable: false });
  const [combined] = await bucket.combine(['part-a', 'part-b'], 'combined.bin');
  const [combinedMeta] = await combined.getMetadata();
  assert.equal(combinedMeta.componentCount, 2);
  assert.equal(combinedMeta.crc32c, crc32cToBase64(crc32c(Buffer.concat(parts))));
  const [combinedBytes] = await combined.download({ validation: 'crc32c' });
  assert.deepEqual(combinedBytes, Buffer.concat(parts));

  const [updated] = await combined.setMetadata({ contentType: 'text/x-combined', metadata: { step: 'one' } });
  assert.equal(updated.contentType, 'text/x-combined');
  assert.deepEqual(updated.metadata, { step: 'one' });
  assert.equal(updated.metageneration, '2');
  await combined.setMetadata({ metadata: { step: null, other: 'two' } });
  assert.deepEqual((await combined.getMetadata())[0].metadata, { other: 'two' });

  const moved = bucket.file('moved/src.bin');
  await bucket.file('src.bin').moveFileAtomic('moved/src.bin');
  assert.equal(moved.name, 'moved/src.bin');
  assert.equal((await bucket.file('src.bin').exists())[0], false);
  assert.deepEqual((await moved.download())[0], data);
});

test('@google-cloud/storage: getFiles with prefix and delimiter (autopaginated), then deleteFiles', async (t) => {
  const emulator = await useEmulator(t);
  const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'test' });
  const bucket = storage.bucket('peer-bkt');
  const names = ['logs/2024/a', 'logs/2024/b', 'logs/2025/c', 'logs/top', 'other/x', ...Array.from({ length: 25 }, (_, i) => `logs/flat/${String(i).padStart(2, '0')}`)];
  for (const name of names) await emulator.putObject('peer-bkt', name, name);

  const [files, , apiResponse] = await bucket.getFiles({ prefix: 'logs/', delimiter: '/', autoPaginate: false });
  assert.deepEqual(files.map((f) => f.name), ['logs/top']);
  assert.deepEqual((apiResponse as { prefixes?: string[] }).prefixes, ['logs/2024/', 'logs/2025/', 'logs/flat/']);
  // Autopagination at 10 per page must return every object once.
  const [flat] = await bucket.getFiles({ prefix: 'logs/flat/', maxResults: 1000, pageToken: undefined, autoPaginate: true });
  assert.equal(flat.length, 25);
  const paged: string[] = [];
  let query: { prefix: string; maxResults: number; autoPaginate: false; pageToken?: string } | null = { prefix: 'logs/', maxResults: 10, autoPaginate: false };
  while (query) {
    const [page, next] = await bucket.getFiles(query);
    paged.push(...page.map((f) => f.name));
    query = next as typeof query;
  }
  assert.deepEqual(paged, names.filter((n) => n.startsWith('logs/')).sort());

  await bucket.deleteFiles({ prefix: 'logs/' });
  const [left] = await bucket.getFiles();
  assert.deepEqual(left.map((f) => f.name), ['other/x']);
  assert.equal(emulator.metrics.snapshot().requests['object-delete'], 29);
});

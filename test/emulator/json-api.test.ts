import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { bytes, call, jsonObjectUrl, uploadMedia, useEmulator } from './helpers.js';

test('object metadata has GCS fields, types and correct hashes', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(100_000);
  const uploaded = await uploadMedia(emulator, 'bkt', 'dir/file.bin', data);
  const response = await call(jsonObjectUrl(emulator, 'bkt', 'dir/file.bin'));
  assert.equal(response.status, 200);
  assert.match(response.header('content-type') ?? '', /^application\/json/);
  const meta = response.json();
  assert.equal(meta.kind, 'storage#object');
  assert.equal(meta.name, 'dir/file.bin');
  assert.equal(meta.bucket, 'bkt');
  assert.equal(meta.size, '100000');
  assert.equal(typeof meta.generation, 'string');
  assert.match(meta.generation, /^\d{16}$/);
  assert.equal(meta.metageneration, '1');
  assert.equal(meta.crc32c, crc32cToBase64(crc32c(data)));
  assert.equal(meta.md5Hash, createHash('md5').update(data).digest('base64'));
  assert.equal(meta.contentType, 'application/octet-stream');
  assert.equal(meta.generation, uploaded.generation);
  // etag: base64 protobuf of (generation, metageneration), like GCS's `CKih16GjycICEAE=`.
  const etag = Buffer.from(meta.etag, 'base64');
  assert.equal(etag[0], 0x08);
  assert.deepEqual([...etag.subarray(-2)], [0x10, 0x01]);
  assert.equal(meta.mediaLink, `${emulator.url}/download/storage/v1/b/bkt/o/dir%2Ffile.bin?generation=${meta.generation}&alt=media`);
  const media = await call(meta.mediaLink);
  assert.deepEqual(media.body, data);
});

test('object names are percent-decoded correctly: "/", spaces, "#", "%", "+", unicode', async (t) => {
  const emulator = await useEmulator(t);
  const names = ['a/b/c.txt', 'with space', 'hash#tag', 'per%cent', 'plus+sign', 'ünï/cødé 😀', '?q=1&x', 'a//double'];
  for (const [i, name] of names.entries()) {
    const data = Buffer.from(`content ${i}`);
    // The name goes in the query, form-encoded as clients do.
    const resource = await uploadMedia(emulator, 'bkt', name, data);
    assert.equal(resource.name, name);
    const viaJson = await call(jsonObjectUrl(emulator, 'bkt', name));
    assert.equal(viaJson.status, 200, name);
    assert.equal(viaJson.json().name, name);
    const viaXml = await call(`${emulator.url}/bkt/${name.split('/').map(encodeURIComponent).join('/')}`);
    assert.equal(viaXml.status, 200, name);
    assert.deepEqual(viaXml.body, data);
  }
  // In a path "+" is a literal plus; in the query string it is a space.
  assert.equal((await call(`${emulator.url}/storage/v1/b/bkt/o/plus+sign`)).status, 200);
  assert.equal((await call(`${emulator.url}/storage/v1/b/bkt/o/with+space`)).status, 404);
  const spaced = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=form+encoded`, { method: 'POST', body: 'x' });
  assert.equal(spaced.json().name, 'form encoded');
});

test('the JSON error body has code, message and errors[].reason', async (t) => {
  const emulator = await useEmulator(t);
  const response = await call(jsonObjectUrl(emulator, 'bkt', 'missing'));
  assert.equal(response.status, 404);
  assert.match(response.header('content-type') ?? '', /^application\/json/);
  assert.deepEqual(response.json(), {
    error: {
      code: 404,
      message: 'No such object: bkt/missing',
      errors: [{ message: 'No such object: bkt/missing', domain: 'global', reason: 'notFound' }],
    },
  });
});

test('the XML error body is an <Error> with Code and Message', async (t) => {
  const emulator = await useEmulator(t);
  const response = await call(`${emulator.url}/bkt/missing`);
  assert.equal(response.status, 404);
  assert.match(response.header('content-type') ?? '', /^application\/xml/);
  assert.equal(
    response.text,
    "<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Details>No such object: bkt/missing</Details></Error>",
  );
});

test('buckets spring into existence; bucket insert creates one and refuses a duplicate with 409', async (t) => {
  const emulator = await useEmulator(t);
  const created = await call(`${emulator.url}/storage/v1/b?project=test`, { method: 'POST', body: JSON.stringify({ name: 'made-here' }) });
  assert.equal(created.status, 200);
  assert.equal(created.json().name, 'made-here');
  assert.equal(created.json().kind, 'storage#bucket');
  const again = await call(`${emulator.url}/storage/v1/b?project=test`, { method: 'POST', body: JSON.stringify({ name: 'made-here' }) });
  assert.equal(again.status, 409);
  assert.equal(again.json().error.errors[0].reason, 'conflict');
  const bad = await call(`${emulator.url}/storage/v1/b?project=test`, { method: 'POST', body: JSON.stringify({ name: 'Bad_Name!' }) });
  assert.equal(bad.status, 400);
  // No set-up: uploading to a never-seen bucket works, and the bucket then exists.
  await uploadMedia(emulator, 'fresh-bucket', 'x', Buffer.from('x'));
  assert.equal((await call(`${emulator.url}/storage/v1/b/fresh-bucket`)).json().name, 'fresh-bucket');
  assert.equal(emulator.metrics.snapshot().requests['bucket-insert'], 3);
});

test('each overwrite gets a new, larger generation', async (t) => {
  const emulator = await useEmulator(t);
  const generations: bigint[] = [];
  for (let i = 0; i < 5; i += 1) generations.push(BigInt((await uploadMedia(emulator, 'bkt', 'same', Buffer.from(`v${i}`))).generation));
  for (let i = 1; i < generations.length; i += 1) assert.ok((generations[i] as bigint) > (generations[i - 1] as bigint));
  const latest = await call(`${jsonObjectUrl(emulator, 'bkt', 'same')}?alt=media`);
  assert.equal(latest.text, 'v4');
});

test('listing and deleting objects', async (t) => {
  const emulator = await useEmulator(t);
  for (const name of ['a/1', 'a/2', 'a/sub/3', 'b/4']) await uploadMedia(emulator, 'bkt', name, Buffer.from(name));
  const all = (await call(`${emulator.url}/storage/v1/b/bkt/o`)).json();
  assert.deepEqual(all.items.map((o: { name: string }) => o.name), ['a/1', 'a/2', 'a/sub/3', 'b/4']);
  const dir = (await call(`${emulator.url}/storage/v1/b/bkt/o?prefix=a/&delimiter=/`)).json();
  assert.deepEqual(dir.items.map((o: { name: string }) => o.name), ['a/1', 'a/2']);
  assert.deepEqual(dir.prefixes, ['a/sub/']);
  const page = (await call(`${emulator.url}/storage/v1/b/bkt/o?maxResults=2`)).json();
  assert.equal(page.items.length, 2);
  const rest = (await call(`${emulator.url}/storage/v1/b/bkt/o?maxResults=2&pageToken=${page.nextPageToken}`)).json();
  assert.deepEqual(rest.items.map((o: { name: string }) => o.name), ['a/sub/3', 'b/4']);
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'a/1'), { method: 'DELETE' })).status, 204);
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'a/1'))).status, 404);
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'a/1'), { method: 'DELETE' })).status, 404);
});

test('putObject seeds objects without HTTP', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(5000);
  const put = await emulator.putObject('seed', 'o', data, { contentType: 'text/plain', metadata: { k: 'v' } });
  assert.equal(put.crc32c, crc32cToBase64(crc32c(data)));
  const meta = (await call(jsonObjectUrl(emulator, 'seed', 'o'))).json();
  assert.equal(meta.generation, put.generation);
  assert.equal(meta.contentType, 'text/plain');
  assert.deepEqual(meta.metadata, { k: 'v' });
  await assert.rejects(emulator.putObject('Bad Bucket', 'o', 'x'), InvalidArgumentError);
  await assert.rejects(emulator.putObject('seed', '', 'x'), /object name/);
});

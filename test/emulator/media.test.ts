import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { bytes, call, jsonObjectUrl, useEmulator } from './helpers.js';

const SIZE = 1_000_003;
const data = bytes(SIZE, 7);
const hash = `crc32c=${crc32cToBase64(crc32c(data))},md5=${createHash('md5').update(data).digest('base64')}`;

test('all three media URLs serve ranges with 206, Content-Range and the object headers', async (t) => {
  const emulator = await useEmulator(t);
  const put = await emulator.putObject('bkt', 'obj', data);
  const urls = [
    `${emulator.url}/download/storage/v1/b/bkt/o/obj?alt=media`,
    `${emulator.url}/storage/v1/b/bkt/o/obj?alt=media`,
    `${emulator.url}/bkt/obj`,
  ];
  const cases: [string, number, number][] = [
    ['bytes=0-0', 0, 0],
    ['bytes=10-19', 10, 19],
    ['bytes=999990-', 999_990, SIZE - 1],
    ['bytes=-100', SIZE - 100, SIZE - 1],
    ['bytes=-5000000', 0, SIZE - 1],
    ['bytes=500000-99999999', 500_000, SIZE - 1],
  ];
  for (const url of urls) {
    for (const [range, start, end] of cases) {
      const response = await call(url, { headers: { range } });
      assert.equal(response.status, 206, `${url} ${range}`);
      assert.equal(response.header('content-range'), `bytes ${start}-${end}/${SIZE}`);
      assert.equal(response.header('content-length'), String(end - start + 1));
      assert.deepEqual(response.body, data.subarray(start, end + 1));
      assert.equal(response.header('x-goog-hash'), hash);
      assert.equal(response.header('x-goog-generation'), put.generation);
      assert.equal(response.header('x-goog-metageneration'), '1');
      assert.equal(response.header('x-goog-stored-content-length'), String(SIZE));
      assert.equal(response.header('x-goog-stored-content-encoding'), 'identity');
      assert.equal(response.header('accept-ranges'), 'bytes');
      assert.ok(response.header('etag'));
    }
    const full = await call(url);
    assert.equal(full.status, 200);
    assert.deepEqual(full.body, data);
    assert.equal(full.header('content-length'), String(SIZE));
    assert.equal(full.header('x-goog-hash'), hash);
    assert.equal(full.header('x-goog-generation'), put.generation);
    assert.equal(full.header('x-goog-stored-content-length'), String(SIZE));
    assert.equal(full.header('accept-ranges'), 'bytes');
  }
  const xmlEtag = (await call(urls[2] as string)).header('etag');
  assert.equal(xmlEtag, `"${createHash('md5').update(data).digest('hex')}"`);
});

test('HEAD on the XML API sends the headers without a body', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'obj', data, { metadata: { colour: 'blue' } });
  const head = await call(`${emulator.url}/bkt/obj`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.header('content-length'), String(SIZE));
  assert.equal(head.header('x-goog-hash'), hash);
  assert.equal(head.header('x-goog-meta-colour'), 'blue');
  assert.equal((await call(`${emulator.url}/bkt/none`, { method: 'HEAD' })).status, 404);
  assert.equal(emulator.metrics.snapshot().requests['xml-head'], 2);
});

test('a start past the end is 416 with Content-Range bytes */SIZE (bytes */0 when empty)', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'obj', data);
  await emulator.putObject('bkt', 'empty', Buffer.alloc(0));
  for (const url of [`${emulator.url}/storage/v1/b/bkt/o/obj?alt=media`, `${emulator.url}/bkt/obj`]) {
    const response = await call(url, { headers: { range: `bytes=${SIZE}-` } });
    assert.equal(response.status, 416);
    assert.equal(response.header('content-range'), `bytes */${SIZE}`);
  }
  const xml = await call(`${emulator.url}/bkt/obj`, { headers: { range: `bytes=${SIZE + 5}-${SIZE + 10}` } });
  assert.match(xml.text, /<Code>InvalidRange<\/Code>/);
  const json = await call(`${emulator.url}/storage/v1/b/bkt/o/obj?alt=media`, { headers: { range: `bytes=${SIZE}-` } });
  assert.equal(json.json().error.errors[0].reason, 'requestedRangeNotSatisfiable');
  const empty = await call(`${emulator.url}/bkt/empty`, { headers: { range: 'bytes=0-' } });
  assert.equal(empty.status, 416);
  assert.equal(empty.header('content-range'), 'bytes */0');
  const emptyFull = await call(`${emulator.url}/bkt/empty`);
  assert.equal(emptyFull.status, 200);
  assert.equal(emptyFull.body.length, 0);
});

test('an unparsable range is ignored: 200 with the whole object', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'obj', data);
  for (const range of ['bytes=abc', 'items=0-5', 'bytes=5-1', 'bytes=0-1,5-6', 'bytes=-', 'bytes 0-5']) {
    const response = await call(`${emulator.url}/bkt/obj`, { headers: { range } });
    assert.equal(response.status, 200, range);
    assert.equal(response.body.length, SIZE);
    assert.equal(response.header('content-range'), undefined);
  }
});

test('generation= and generation-match preconditions: 412 on mismatch, 404 for a missing generation', async (t) => {
  const emulator = await useEmulator(t);
  const { generation } = await emulator.putObject('bkt', 'obj', data);
  const json = `${emulator.url}/storage/v1/b/bkt/o/obj?alt=media`;
  assert.equal((await call(`${json}&generation=${generation}`)).status, 200);
  assert.equal((await call(`${json}&generation=123`)).status, 404);
  assert.equal((await call(`${json}&ifGenerationMatch=${generation}`, { headers: { range: 'bytes=0-9' } })).status, 206);
  const mismatch = await call(`${json}&ifGenerationMatch=123`);
  assert.equal(mismatch.status, 412);
  assert.equal(mismatch.json().error.errors[0].reason, 'conditionNotMet');
  assert.equal((await call(`${json}&ifGenerationNotMatch=${generation}`)).status, 304, "GCS answers a failed ifGenerationNotMatch on a read with 304");
  assert.equal((await call(`${json}&ifMetagenerationMatch=2`)).status, 412);
  assert.equal((await call(`${jsonObjectUrl(emulator, 'bkt', 'obj')}?ifGenerationMatch=1`)).status, 412);
  assert.equal((await call(`${json}&ifGenerationMatch=abc`)).status, 400);
  const xml = `${emulator.url}/bkt/obj`;
  assert.equal((await call(xml, { headers: { 'x-goog-if-generation-match': generation } })).status, 200);
  const xmlMismatch = await call(xml, { headers: { 'x-goog-if-generation-match': '1' } });
  assert.equal(xmlMismatch.status, 412);
  assert.match(xmlMismatch.text, /<Code>PreconditionFailed<\/Code>/);
  assert.equal((await call(`${xml}?generation=1`)).status, 404);
  // An overwritten generation is gone (buckets are not versioned), as on GCS.
  await emulator.putObject('bkt', 'obj', data);
  assert.equal((await call(`${json}&generation=${generation}`)).status, 404);
});

test('gzip-stored objects are served decompressed unless the client accepts gzip', async (t) => {
  const emulator = await useEmulator(t);
  const text = Buffer.from('hello gzip world '.repeat(2000));
  const gz = gzipSync(text);
  await emulator.putObject('bkt', 'page.txt', gz, { contentType: 'text/plain', contentEncoding: 'gzip' });
  const url = `${emulator.url}/storage/v1/b/bkt/o/page.txt?alt=media`;

  const plain = await call(url, { headers: { range: 'bytes=0-9' } });
  assert.equal(plain.status, 200, 'decompressive transcoding ignores Range');
  assert.deepEqual(plain.body, text);
  assert.equal(plain.header('content-encoding'), undefined);
  assert.equal(plain.header('x-goog-stored-content-encoding'), 'gzip');
  assert.equal(plain.header('x-goog-stored-content-length'), String(gz.length));
  assert.equal(plain.header('x-goog-hash')?.split(',')[0], `crc32c=${crc32cToBase64(crc32c(gz))}`);

  const raw = await call(url, { headers: { 'accept-encoding': 'gzip, deflate' } });
  assert.equal(raw.status, 200);
  assert.equal(raw.header('content-encoding'), 'gzip');
  assert.deepEqual(raw.body, gz);
  assert.equal(raw.header('content-length'), String(gz.length));

  const rawRange = await call(url, { headers: { 'accept-encoding': 'gzip', range: 'bytes=0-9' } });
  assert.equal(rawRange.status, 206);
  assert.deepEqual(rawRange.body, gz.subarray(0, 10));

  const refused = await call(url, { headers: { 'accept-encoding': 'gzip;q=0, identity' } });
  assert.deepEqual(refused.body, text);

  const meta = (await call(jsonObjectUrl(emulator, 'bkt', 'page.txt'))).json();
  assert.equal(meta.contentEncoding, 'gzip');
  assert.equal(meta.size, String(gz.length));
});

test('a large download is streamed: the emulator process does not buffer the object', async (t) => {
  const emulator = await useEmulator(t);
  // Large against the bound below: buffering the object would show all of it, while garbage the collector has
  // not reached yet (chunks already sent) measured up to ~55 MiB on a busy machine.
  const size = 160 * 1024 * 1024;
  const block = bytes(1024 * 1024, 3);
  async function* source() {
    for (let i = 0; i < size / block.length; i += 1) yield block;
  }
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 5);
  try {
    await emulator.putObject('bkt', 'big', source());
    const { request } = await import('undici');
    const response = await request(`${emulator.url}/bkt/big`);
    let received = 0;
    for await (const chunk of response.body) received += (chunk as Buffer).length;
    assert.equal(received, size);
  } finally {
    clearInterval(sampler);
  }
  assert.ok(peak - before < 80 * 1024 * 1024, `peak external memory grew by ${(peak - before) / 1048576} MiB`);
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { bytes, call, jsonObjectUrl, useEmulator } from './helpers.js';

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('base64');
const crc = (data: Buffer): string => crc32cToBase64(crc32c(data));

function multipartBody(boundary: string, metadata: unknown, media: Buffer, mediaType = 'application/octet-stream'): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(metadata)}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Type: ${mediaType}\r\n\r\n`),
    media,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

test('uploadType=media stores the bytes with the Content-Type and answers the object JSON', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(300_000);
  const response = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=m.bin`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: data,
  });
  assert.equal(response.status, 200);
  const meta = response.json();
  assert.equal(meta.name, 'm.bin');
  assert.equal(meta.size, String(data.length));
  assert.equal(meta.contentType, 'image/png');
  assert.equal(meta.md5Hash, md5(data));
  assert.equal(meta.crc32c, crc(data));
  assert.deepEqual((await call(`${emulator.url}/bkt/m.bin`)).body, data);
  const missingName = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media`, { method: 'POST', body: 'x' });
  assert.equal(missingName.status, 400);
  assert.equal(missingName.json().error.errors[0].reason, 'required');
  assert.equal(emulator.metrics.snapshot().requests['upload-media'], 2);
});

test('uploadType=multipart takes metadata then media, even when the media contains boundary-like bytes', async (t) => {
  const emulator = await useEmulator(t);
  const boundary = 'b0und4ry';
  // Bytes that look like a delimiter but are not one, spread so some straddle the parser's chunks.
  const tricky = Buffer.concat([bytes(70_000), Buffer.from(`--${boundary}\r\n`), Buffer.from(`\r\n--${boundary.slice(0, -1)}`), bytes(200_000, 9), Buffer.from(`\r\n--b0und`), bytes(10, 3)]);
  const body = multipartBody(boundary, { name: 'mp.bin', contentType: 'text/csv', metadata: { owner: 'me', n: 3 }, md5Hash: md5(tricky) }, tricky);
  const response = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=multipart`, {
    method: 'POST',
    headers: { 'content-type': `multipart/related; boundary=${boundary}` },
    body,
  });
  assert.equal(response.status, 200, response.text);
  const meta = response.json();
  assert.equal(meta.name, 'mp.bin');
  assert.equal(meta.contentType, 'text/csv');
  assert.deepEqual(meta.metadata, { owner: 'me', n: '3' });
  assert.equal(meta.crc32c, crc(tricky));
  assert.deepEqual((await call(`${jsonObjectUrl(emulator, 'bkt', 'mp.bin')}?alt=media`)).body, tricky);
  assert.equal(emulator.metrics.snapshot().requests['upload-multipart'], 1);

  // The media part's own Content-Type is used when the metadata has none; the name may come from the query.
  const quoted = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=multipart&name=q.txt`, {
    method: 'POST',
    headers: { 'content-type': 'multipart/related; boundary="quoted"' },
    body: multipartBody('quoted', {}, Buffer.from('hi'), 'text/plain'),
  });
  assert.equal(quoted.status, 200, quoted.text);
  assert.equal(quoted.json().contentType, 'text/plain');
});

test('multipart metadata hashes that do not match the bytes → 400 and no object', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(1000);
  for (const claim of [{ md5Hash: md5(Buffer.from('other')) }, { crc32c: crc(Buffer.from('other')) }]) {
    const response = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=multipart`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/related; boundary=zz' },
      body: multipartBody('zz', { name: 'bad.bin', ...claim }, data),
    });
    assert.equal(response.status, 400, JSON.stringify(claim));
    assert.match(response.json().error.message, /doesn't match/);
  }
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'bad.bin'))).status, 404);
  const good = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=multipart`, {
    method: 'POST',
    headers: { 'content-type': 'multipart/related; boundary=zz' },
    body: multipartBody('zz', { name: 'good.bin', md5Hash: md5(data), crc32c: crc(data) }, data),
  });
  assert.equal(good.status, 200);
  assert.deepEqual(readdirSync(join(emulator.dir, 'tmp')), [], 'rejected bodies leave no temp file');
});

test('malformed multipart bodies are 400s', async (t) => {
  const emulator = await useEmulator(t);
  const url = `${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=multipart`;
  const cases: [string, string | Buffer][] = [
    ['multipart/related; boundary=zz', '--zz\r\nContent-Type: application/json\r\n\r\n{"name":"x"}\r\n--zz\r\n\r\nunterminated'],
    ['multipart/related; boundary=zz', '--zz\r\nContent-Type: application/json\r\n\r\n{not json}\r\n--zz\r\n\r\nx\r\n--zz--'],
    ['multipart/related; boundary=zz', '--zz\r\nContent-Type: application/json\r\n\r\n{"name":"x"}\r\n--zz--'],
    ['application/json', '{}'],
    ['multipart/related', '--zz--'],
  ];
  for (const [type, body] of cases) {
    const response = await call(url, { method: 'POST', headers: { 'content-type': type }, body });
    assert.equal(response.status, 400, `${type}: ${String(body)}`);
  }
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'x'))).status, 404);
});

test('ifGenerationMatch on uploads: 0 means "must not exist", a wrong generation is 412', async (t) => {
  const emulator = await useEmulator(t);
  const base = `${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=p`;
  const first = await call(`${base}&ifGenerationMatch=0`, { method: 'POST', body: 'one' });
  assert.equal(first.status, 200);
  const again = await call(`${base}&ifGenerationMatch=0`, { method: 'POST', body: 'two' });
  assert.equal(again.status, 412);
  assert.equal(again.json().error.errors[0].reason, 'conditionNotMet');
  const wrong = await call(`${base}&ifGenerationMatch=5`, { method: 'POST', body: 'two' });
  assert.equal(wrong.status, 412);
  const right = await call(`${base}&ifGenerationMatch=${first.json().generation}`, { method: 'POST', body: 'three' });
  assert.equal(right.status, 200);
  assert.equal((await call(`${emulator.url}/bkt/p`)).text, 'three');
  const absent = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=absent&ifGenerationMatch=7`, { method: 'POST', body: 'x' });
  assert.equal(absent.status, 412);
});

test('x-goog-hash on a media upload is checked', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(4096);
  const url = `${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=h`;
  const bad = await call(url, { method: 'POST', headers: { 'x-goog-hash': `crc32c=${crc(Buffer.from('x'))}` }, body: data });
  assert.equal(bad.status, 400);
  const good = await call(url, { method: 'POST', headers: { 'x-goog-hash': `crc32c=${crc(data)},md5=${md5(data)}` }, body: data });
  assert.equal(good.status, 200);
});

test('XML PUT stores an object with Content-Type and x-goog-meta-*, checking Content-MD5', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(50_000);
  const put = await call(`${emulator.url}/bkt/xml.bin`, {
    method: 'PUT',
    headers: { 'content-type': 'application/x-test', 'x-goog-meta-team': 'blue', 'content-md5': md5(data) },
    body: data,
  });
  assert.equal(put.status, 200);
  assert.equal(put.header('etag'), `"${createHash('md5').update(data).digest('hex')}"`);
  const head = await call(`${emulator.url}/bkt/xml.bin`, { method: 'HEAD' });
  assert.equal(head.header('content-type'), 'application/x-test');
  assert.equal(head.header('x-goog-meta-team'), 'blue');
  const bad = await call(`${emulator.url}/bkt/xml2.bin`, { method: 'PUT', headers: { 'content-md5': md5(Buffer.from('no')) }, body: data });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /<Code>BadDigest<\/Code>/);
});

test('a large upload is streamed to disk, not buffered', async (t) => {
  const emulator = await useEmulator(t);
  const block = bytes(1024 * 1024, 5);
  const blocks = 96;
  async function* body() {
    for (let i = 0; i < blocks; i += 1) yield block;
  }
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 5);
  let response;
  try {
    response = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=big`, { method: 'POST', body: body() });
  } finally {
    clearInterval(sampler);
  }
  assert.equal(response.status, 200);
  assert.equal(response.json().size, String(blocks * block.length));
  assert.ok(peak - before < 48 * 1024 * 1024, `peak external memory grew by ${(peak - before) / 1048576} MiB`);
});

test('gcsfs simple_upload: a multipart body with bare LF line breaks and boundary "==0==" is accepted', async (t) => {
  const emulator = await useEmulator(t);
  const data = Buffer.from('col1,col2\n1,2\nx--==0== mid-line is data\n');
  const metadata = JSON.stringify({ name: 'frames/df.csv', metadata: { via: 'gcsfs' } });
  // gcsfs core.py simple_upload, byte for byte: LF only, no CRLF anywhere, no newline after the closing boundary.
  const body = Buffer.concat([
    Buffer.from(`--==0==\nContent-Type: application/json; charset=UTF-8\n\n${metadata}\n--==0==\nContent-Type: text/csv\n\n`),
    data,
    Buffer.from('\n--==0==--'),
  ]);
  const response = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=multipart&ifGenerationMatch=0`, {
    method: 'POST',
    headers: { 'content-type': 'multipart/related; boundary="==0=="' },
    body,
  });
  assert.equal(response.status, 200, response.text);
  assert.equal(response.json().contentType, 'text/csv');
  assert.deepEqual(response.json().metadata, { via: 'gcsfs' });
  assert.equal(response.json().md5Hash, md5(data));
  assert.deepEqual((await call(`${emulator.url}/bkt/frames/df.csv`)).body, data);
  // The CRLF form still works, and a body mixing the two is cut at the style its first boundary line set.
  const crlf = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=multipart`, {
    method: 'POST',
    headers: { 'content-type': 'multipart/related; boundary=b' },
    body: multipartBody('b', { name: 'crlf' }, data),
  });
  assert.equal(crlf.status, 200);
  assert.deepEqual((await call(`${emulator.url}/bkt/crlf`)).body, data);
});

test('the multipart parser finds delimiters split across any chunk boundary, in both line-break styles', async () => {
  const { parseMultipartRelated } = await import('../../src/emulator/multipart-related.js');
  const media = Buffer.from('a\r\n--b\r\n--bx\n--b-\r\n--', 'latin1');
  for (const eol of ['\r\n', '\n']) {
    const body = Buffer.from(`--bnd${eol}Content-Type: application/json${eol}${eol}{}${eol}--bnd${eol}Content-Type: x/y${eol}${eol}${media.toString('latin1')}${eol}--bnd--`, 'latin1');
    for (let size = 1; size <= body.length; size += 1) {
      const chunks = Array.from({ length: Math.ceil(body.length / size) }, (_, i) => body.subarray(i * size, (i + 1) * size));
      const parts: Buffer[][] = [];
      for await (const event of parseMultipartRelated((async function* () { yield* chunks; })(), 'bnd')) {
        if (event.type === 'part') parts.push([]);
        else parts.at(-1)?.push(event.chunk);
      }
      assert.equal(parts.length, 2, `chunk size ${size}`);
      assert.equal(Buffer.concat(parts[0] ?? []).toString(), '{}', `chunk size ${size}`);
      assert.deepEqual(Buffer.concat(parts[1] ?? []), media, `eol ${JSON.stringify(eol)}, chunk size ${size}`);
    }
  }
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import type { Emulator } from '../../src/emulator/index.js';
import { bytes, call, jsonObjectUrl, useEmulator } from './helpers.js';

const MiB = 1024 * 1024;
const md5b64 = (data: Buffer): string => createHash('md5').update(data).digest('base64');
const md5hex = (data: Buffer): string => createHash('md5').update(data).digest('hex');

async function initiate(emulator: Emulator, name: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await call(`${emulator.url}/bkt/${name}?uploads`, { method: 'POST', headers });
  assert.equal(response.status, 200, response.text);
  const id = /<UploadId>([^<]+)<\/UploadId>/.exec(response.text)?.[1];
  assert.ok(id);
  return id;
}

async function uploadPart(emulator: Emulator, name: string, id: string, n: number | string, data: Buffer, headers: Record<string, string> = {}) {
  return call(`${emulator.url}/bkt/${name}?partNumber=${n}&uploadId=${id}`, { method: 'PUT', headers, body: data });
}

function completeXml(parts: [number, string][]): string {
  return `<CompleteMultipartUpload>${parts.map(([n, etag]) => `<Part><PartNumber>${n}</PartNumber><ETag>${etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
}

test('initiate answers InitiateMultipartUploadResult in the S3 namespace', async (t) => {
  const emulator = await useEmulator(t);
  const response = await call(`${emulator.url}/bkt/obj?uploads`, { method: 'POST' });
  assert.equal(response.status, 200);
  assert.match(response.header('content-type') ?? '', /^application\/xml/);
  assert.match(
    response.text,
    /^<\?xml version='1\.0' encoding='UTF-8'\?><InitiateMultipartUploadResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"><Bucket>bkt<\/Bucket><Key>obj<\/Key><UploadId>[\w-]+<\/UploadId><\/InitiateMultipartUploadResult>$/,
  );
  assert.equal(emulator.metrics.snapshot().requests['mpu-initiate'], 1);
});

test('a full upload: parts, ListParts, complete; the object has the initiate metadata, a whole-object crc32c and no md5Hash', async (t) => {
  const emulator = await useEmulator(t);
  const parts = [bytes(5 * MiB, 1), bytes(5 * MiB, 2), bytes(123_457, 3)];
  const whole = Buffer.concat(parts);
  const id = await initiate(emulator, 'dir/big.bin', { 'content-type': 'video/mp4', 'x-goog-meta-origin': 'camera', 'x-goog-meta-take': '7' });
  // Upload out of order, as concurrent clients do.
  for (const n of [3, 1, 2]) {
    const data = parts[n - 1] as Buffer;
    const response = await uploadPart(emulator, 'dir/big.bin', id, n, data);
    assert.equal(response.status, 200);
    assert.equal(response.header('etag'), `"${md5hex(data)}"`);
    assert.equal(response.header('x-goog-hash'), `crc32c=${crc32cToBase64(crc32c(data))},md5=${md5b64(data)}`);
  }
  const list = await call(`${emulator.url}/bkt/dir/big.bin?uploadId=${id}`);
  assert.equal(list.status, 200);
  assert.match(list.text, /^<\?xml[^>]*\?><ListPartsResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/">/);
  const listed = [...list.text.matchAll(/<Part><PartNumber>(\d+)<\/PartNumber><LastModified>[^<]+<\/LastModified><ETag>([^<]+)<\/ETag><Size>(\d+)<\/Size><\/Part>/g)];
  assert.deepEqual(
    listed.map((m) => [Number(m[1]), m[2], Number(m[3])]),
    parts.map((p, i) => [i + 1, `&quot;${md5hex(p)}&quot;`, p.length]),
  );
  const paged = await call(`${emulator.url}/bkt/dir/big.bin?uploadId=${id}&max-parts=2`);
  assert.match(paged.text, /<IsTruncated>true<\/IsTruncated>/);
  assert.match(paged.text, /<NextPartNumberMarker>2<\/NextPartNumberMarker>/);
  const next = await call(`${emulator.url}/bkt/dir/big.bin?uploadId=${id}&part-number-marker=2`);
  assert.equal([...next.text.matchAll(/<PartNumber>/g)].length, 1);

  const complete = await call(`${emulator.url}/bkt/dir/big.bin?uploadId=${id}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
    body: completeXml(parts.map((p, i) => [i + 1, `"${md5hex(p)}"`])),
  });
  assert.equal(complete.status, 200, complete.text);
  assert.match(complete.text, /<CompleteMultipartUploadResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"><Location>[^<]+<\/Location><Bucket>bkt<\/Bucket><Key>dir\/big\.bin<\/Key><ETag>&quot;[0-9a-f]{32}-3&quot;<\/ETag>/);

  const meta = (await call(jsonObjectUrl(emulator, 'bkt', 'dir/big.bin'))).json();
  assert.equal(meta.size, String(whole.length));
  assert.equal(meta.crc32c, crc32cToBase64(crc32c(whole)));
  assert.equal(meta.md5Hash, undefined);
  assert.equal(meta.contentType, 'video/mp4');
  assert.deepEqual(meta.metadata, { origin: 'camera', take: '7' });
  const media = await call(`${emulator.url}/bkt/dir/big.bin`);
  assert.deepEqual(media.body, whole);
  assert.equal(media.header('x-goog-hash'), `crc32c=${meta.crc32c}`);
  // The upload is over: every operation on it is now NoSuchUpload.
  assert.equal((await call(`${emulator.url}/bkt/dir/big.bin?uploadId=${id}`)).status, 404);
  assert.deepEqual(readdirSync(join(emulator.dir, 'tmp')), [], 'part files are removed');
  const counts = emulator.metrics.snapshot().requests;
  assert.equal(counts['mpu-upload-part'], 3);
  assert.equal(counts['mpu-list-parts'], 4);
  assert.equal(counts['mpu-complete'], 1);
});

test('Content-MD5 or x-goog-hash that does not match the part → 400 BadDigest', async (t) => {
  const emulator = await useEmulator(t);
  const id = await initiate(emulator, 'o');
  const data = bytes(10_000);
  const other = Buffer.from('other');
  const wrongHeaders: Record<string, string>[] = [
    { 'content-md5': md5b64(other) },
    { 'x-goog-hash': `md5=${md5b64(other)}` },
    { 'x-goog-hash': `crc32c=${crc32cToBase64(crc32c(other))}` },
    { 'x-goog-hash': `crc32c=${crc32cToBase64(crc32c(data))},md5=${md5b64(other)}` },
  ];
  for (const headers of wrongHeaders) {
    const response = await uploadPart(emulator, 'o', id, 1, data, headers);
    assert.equal(response.status, 400, JSON.stringify(headers));
    assert.match(response.text, /<Code>BadDigest<\/Code>/);
  }
  assert.doesNotMatch((await call(`${emulator.url}/bkt/o?uploadId=${id}`)).text, /<Part>/);
  const ok = await uploadPart(emulator, 'o', id, 1, data, { 'content-md5': md5b64(data), 'x-goog-hash': `crc32c=${crc32cToBase64(crc32c(data))}` });
  assert.equal(ok.status, 200);
  assert.deepEqual(readdirSync(join(emulator.dir, 'tmp')).length, 1, 'only the accepted part is on disk');
});

test('part numbers must be 1..10000; re-uploading a part number replaces it', async (t) => {
  const emulator = await useEmulator(t);
  const id = await initiate(emulator, 'o');
  for (const n of ['0', '10001', 'abc', '-1', '1.5', '']) {
    const response = await uploadPart(emulator, 'o', id, n, Buffer.from('x'));
    assert.equal(response.status, 400, n);
    assert.match(response.text, /<Code>InvalidArgument<\/Code>/);
  }
  assert.equal((await uploadPart(emulator, 'o', id, 10000, Buffer.from('x'))).status, 200);
  await uploadPart(emulator, 'o', id, 1, Buffer.from('first'));
  const second = await uploadPart(emulator, 'o', id, 1, Buffer.from('second'));
  const complete = await call(`${emulator.url}/bkt/o?uploadId=${id}`, { method: 'POST', body: completeXml([[1, second.header('etag') as string]]) });
  assert.equal(complete.status, 200, complete.text);
  assert.equal((await call(`${emulator.url}/bkt/o`)).text, 'second');
});

test('complete rejects missing or stale parts (InvalidPart), disorder (InvalidPartOrder) and small parts (EntityTooSmall)', async (t) => {
  const emulator = await useEmulator(t);
  const id = await initiate(emulator, 'o');
  const big = bytes(5 * MiB, 4);
  const small = bytes(1000, 5);
  const e1 = (await uploadPart(emulator, 'o', id, 1, big)).header('etag') as string;
  const e2 = (await uploadPart(emulator, 'o', id, 2, small)).header('etag') as string;
  const small3 = bytes(1000, 6);
  const e3 = (await uploadPart(emulator, 'o', id, 3, small3)).header('etag') as string;
  const attempt = async (body: string) => call(`${emulator.url}/bkt/o?uploadId=${id}`, { method: 'POST', body });
  const cases: [string, string][] = [
    [completeXml([[1, e1], [4, e2]]), 'InvalidPart'],
    [completeXml([[1, e1], [2, e3]]), 'InvalidPart'],
    [completeXml([[2, e2], [1, e1]]), 'InvalidPartOrder'],
    [completeXml([[1, e1], [1, e1]]), 'InvalidPartOrder'],
    [completeXml([[1, e1], [2, e2], [3, e3]]), 'EntityTooSmall'],
    ['<CompleteMultipartUpload></CompleteMultipartUpload>', 'MalformedXML'],
    ['<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>', 'MalformedXML'],
    ['<Other/>', 'MalformedXML'],
  ];
  for (const [body, code] of cases) {
    const response = await attempt(body);
    assert.equal(response.status, 400, body);
    assert.match(response.text, new RegExp(`<Code>${code}</Code>`), body);
  }
  // Quotes are optional, as on S3 and GCS; parts not listed are dropped.
  const done = await attempt(completeXml([[1, e1.replaceAll('"', '')], [3, e3]]));
  assert.equal(done.status, 200, done.text);
  assert.deepEqual((await call(`${emulator.url}/bkt/o`)).body, Buffer.concat([big, small3]));
});

test('abort answers 204; an unknown upload is 404 NoSuchUpload everywhere', async (t) => {
  const emulator = await useEmulator(t);
  const id = await initiate(emulator, 'o');
  await uploadPart(emulator, 'o', id, 1, Buffer.from('data'));
  const aborted = await call(`${emulator.url}/bkt/o?uploadId=${id}`, { method: 'DELETE' });
  assert.equal(aborted.status, 204);
  assert.deepEqual(readdirSync(join(emulator.dir, 'tmp')), []);
  const requests: [string, string, string?][] = [
    ['PUT', `partNumber=1&uploadId=${id}`, 'x'],
    ['GET', `uploadId=${id}`],
    ['POST', `uploadId=${id}`, completeXml([[1, '"x"']])],
    ['DELETE', `uploadId=${id}`],
    ['PUT', 'partNumber=1&uploadId=never-issued', 'x'],
  ];
  for (const [method, query, body] of requests) {
    const response = await call(`${emulator.url}/bkt/o?${query}`, { method: method as 'GET', ...(body ? { body } : {}) });
    assert.equal(response.status, 404, `${method} ${query}`);
    assert.match(response.text, /<Code>NoSuchUpload<\/Code>/);
  }
  // An upload id belongs to one object.
  const other = await initiate(emulator, 'a');
  assert.equal((await uploadPart(emulator, 'b', other, 1, Buffer.from('x'))).status, 404);
  assert.equal(emulator.metrics.snapshot().requests['mpu-abort'], 2);
});

test('the completion document may declare a namespace, escape quotes and hold comments; DTDs and entities are refused', async (t) => {
  const emulator = await useEmulator(t);
  const id = await initiate(emulator, 'o');
  const etag = (await uploadPart(emulator, 'o', id, 1, Buffer.from('abc'))).header('etag') as string;
  const evil = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e;</ETag></Part></CompleteMultipartUpload>`;
  const refused = await call(`${emulator.url}/bkt/o?uploadId=${id}`, { method: 'POST', body: evil });
  assert.equal(refused.status, 400);
  assert.match(refused.text, /<Code>MalformedXML<\/Code>/);
  const unknownEntity = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e;</ETag></Part></CompleteMultipartUpload>`;
  assert.equal((await call(`${emulator.url}/bkt/o?uploadId=${id}`, { method: 'POST', body: unknownEntity })).status, 400);
  const fancy = `<?xml version="1.0" encoding="UTF-8"?>
<!-- from a client -->
<s3:CompleteMultipartUpload xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">
  <s3:Part><s3:PartNumber>1</s3:PartNumber><s3:ETag>${etag.replaceAll('"', '&quot;')}</s3:ETag></s3:Part>
</s3:CompleteMultipartUpload>`;
  const accepted = await call(`${emulator.url}/bkt/o?uploadId=${id}`, { method: 'POST', body: fancy });
  assert.equal(accepted.status, 200, accepted.text);
  assert.equal((await call(`${emulator.url}/bkt/o`)).text, 'abc');
});

test('x-goog-if-generation-match on complete is a precondition on the final object', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', 'old');
  const id = await initiate(emulator, 'o');
  const etag = (await uploadPart(emulator, 'o', id, 1, Buffer.from('new'))).header('etag') as string;
  const failed = await call(`${emulator.url}/bkt/o?uploadId=${id}`, { method: 'POST', headers: { 'x-goog-if-generation-match': '0' }, body: completeXml([[1, etag]]) });
  assert.equal(failed.status, 412);
  assert.equal((await call(`${emulator.url}/bkt/o`)).text, 'old');
  const done = await call(`${emulator.url}/bkt/o?uploadId=${id}`, { method: 'POST', body: completeXml([[1, etag]]) });
  assert.equal(done.status, 200);
  assert.equal((await call(`${emulator.url}/bkt/o`)).text, 'new');
});

test('complete copies no bytes: the parts become the object, ranged reads cross part boundaries, the CRC32C is combined', async (t) => {
  const emulator = await useEmulator(t);
  const parts = [bytes(5 * MiB, 41), bytes(5 * MiB + 1, 42), bytes(777, 43)];
  const id = await initiate(emulator, 'joined');
  const etags: [number, string][] = [];
  for (const [i, part] of parts.entries()) etags.push([i + 1, (await uploadPart(emulator, 'joined', id, i + 1, part)).header('etag') as string]);
  const { statSync } = await import('node:fs');
  const tmp = join(emulator.dir, 'tmp');
  const partInodes = readdirSync(tmp).map((f) => statSync(join(tmp, f)).ino).sort();
  assert.equal(partInodes.length, 3);
  const done = await call(`${emulator.url}/bkt/joined?uploadId=${id}`, { method: 'POST', body: completeXml(etags) });
  assert.equal(done.status, 200, done.text);
  const objects = join(emulator.dir, 'objects');
  const dataInodes = readdirSync(objects).filter((f) => !f.endsWith('.json')).map((f) => statSync(join(objects, f)).ino).sort();
  assert.deepEqual(dataInodes, partInodes, 'the part files themselves hold the object');
  assert.equal(readdirSync(tmp).length, 0);
  const whole = Buffer.concat(parts);
  const meta = (await call(jsonObjectUrl(emulator, 'bkt', 'joined'))).json();
  assert.equal(meta.crc32c, crc32cToBase64(crc32c(whole)));
  assert.equal(meta.size, String(whole.length));
  assert.deepEqual((await call(`${emulator.url}/bkt/joined`)).body, whole);
  for (const [start, end] of [[5 * MiB - 3, 5 * MiB + 2], [0, 10 * MiB + 800], [10 * MiB, 10 * MiB + 776], [10 * MiB + 1, 10 * MiB + 1]] as const) {
    const ranged = await call(`${emulator.url}/bkt/joined`, { headers: { range: `bytes=${start}-${end}` } });
    assert.equal(ranged.status, 206, `${start}-${end}`);
    assert.deepEqual(ranged.body, whole.subarray(start, Math.min(end, whole.length - 1) + 1), `${start}-${end}`);
  }
});

test('a read that started before an overwrite or delete finishes with the bytes it started on', async (t) => {
  const emulator = await useEmulator(t);
  const old = bytes(24 * MiB, 44);
  await emulator.putObject('bkt', 'o', old);
  const { request } = await import('undici');
  const response = await request(`${emulator.url}/bkt/o`);
  const chunks: Buffer[] = [];
  let replaced = false;
  for await (const chunk of response.body) {
    chunks.push(chunk as Buffer);
    if (!replaced) {
      replaced = true;
      await emulator.putObject('bkt', 'o', 'new bytes');
      await call(`${emulator.url}/storage/v1/b/bkt/o/o`, { method: 'DELETE' });
    }
  }
  assert.ok(Buffer.concat(chunks).equals(old));
  // Once the reader is done, the retired files are gone.
  const objects = join(emulator.dir, 'objects');
  for (let i = 0; i < 50 && readdirSync(objects).length > 0; i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(readdirSync(objects), []);
});

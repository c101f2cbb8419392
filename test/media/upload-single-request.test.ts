/**
 * SimpleUpload and MultipartUpload against a scripted transport: what google-resumable-media's `_upload` base
 * and `requests` upload tests check for one-request uploads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortError, DataCorruption, InvalidArgumentError, InvalidResponse, InvalidStateError, NetworkError } from '../../src/errors.js';
import { RetryStrategy } from '../../src/transport/retry.js';
import { MultipartUpload } from '../../src/media/multipart-upload.js';
import { SimpleUpload } from '../../src/media/simple-upload.js';
import { FakeTransport, instantRetry, objectAnswer } from './upload-fake-transport.js';

const URL_MEDIA = 'https://storage.example.com/upload/storage/v1/b/bkt/o?uploadType=media&name=a.txt';
const URL_MULTIPART = 'https://storage.example.com/upload/storage/v1/b/bkt/o?uploadType=multipart';
const JSON_TYPE_LINE = 'content-type: application/json; charset=UTF-8\r\n';

describe('SimpleUpload', () => {
  it('85: starts unfinished with a default retry strategy', () => {
    const upload = new SimpleUpload(URL_MEDIA);
    assert.equal(upload.finished, false);
    assert.equal(upload.uploadUrl, URL_MEDIA);
    assert.equal(upload.retryStrategy.maxCumulativeRetryMs, 600_000);
    assert.equal(upload.checksum, null);
  });

  it('86: refuses non-bytes data, naming the argument (Python: TypeError)', () => {
    const upload = new SimpleUpload(URL_MEDIA);
    assert.throws(() => upload.prepareRequest('a string' as never, 'text/plain'), (e: unknown) => {
      return e instanceof InvalidArgumentError && /`data`.*Uint8Array.*got string/.test(e.message);
    });
    assert.throws(() => upload.prepareRequest(Buffer.from('x'), 'a\r\nb'), /`contentType`/);
  });

  it('87: POSTs the bytes with their content type and the extra headers', () => {
    const headers = { 'X-Goog-Encryption-Algorithm': 'AES256' };
    const upload = new SimpleUpload(URL_MEDIA, { headers });
    const data = Buffer.from('Hi');
    const request = upload.prepareRequest(data, 'image/jpeg');
    assert.equal(request.method, 'POST');
    assert.equal(request.url, URL_MEDIA);
    assert.equal(request.body, data);
    assert.deepEqual(request.headers, { 'x-goog-encryption-algorithm': 'AES256', 'content-type': 'image/jpeg' });
    // N/A "_with_headers same dict mutated": the caller's object is copied, never modified.
    assert.deepEqual(headers, { 'X-Goog-Encryption-Algorithm': 'AES256' });
  });

  it('85/86: a response finishes the upload even when it is an error (tombstone before the status check)', async () => {
    const upload = new SimpleUpload(URL_MEDIA);
    upload.retryStrategy = instantRetry([], 0);
    const transport = new FakeTransport({ status: 503, body: '{"error":{"message":"busy","errors":[{"reason":"backendError"}]}}' });
    await assert.rejects(upload.transmit(transport, Buffer.from('Hi'), 'text/plain'), (e: unknown) => {
      return e instanceof InvalidResponse && e.status === 503 && e.expected?.[0] === 200 && e.gcsCode === 'backendError';
    });
    assert.equal(upload.finished, true);
    assert.throws(() => upload.prepareRequest(Buffer.from('Hi'), 'text/plain'), (e: unknown) => {
      return e instanceof InvalidStateError && e.message === 'An upload can only be used once.';
    });
    assert.ok(transport.allBodiesReleased);
  });

  it('122: transmit sends one POST, passes the timeout through and resolves the object resource', async () => {
    const upload = new SimpleUpload(URL_MEDIA);
    const transport = new FakeTransport(objectAnswer({ name: 'a.txt', size: '2', generation: '17', crc32c: 'ihY6wA==' }));
    const timeout = { connectMs: 3_000, readMs: 4_000 };
    const resource = await upload.transmit(transport, Buffer.from('Hi'), 'text/plain', { timeout });
    assert.deepEqual(resource, { name: 'a.txt', size: '2', generation: '17', crc32c: 'ihY6wA==' });
    assert.equal(transport.requests.length, 1);
    assert.deepEqual(transport.requests[0]?.body, Buffer.from('Hi'));
    assert.deepEqual(transport.requests[0]?.options?.timeout, timeout);
    assert.equal(upload.finished, true);
    assert.ok(transport.allBodiesReleased);
  });

  it('accepts only 200 (201 is not accepted, as in Python)', async () => {
    const upload = new SimpleUpload(URL_MEDIA);
    const transport = new FakeTransport({ status: 201, body: '{}' });
    await assert.rejects(upload.transmit(transport, Buffer.from('Hi'), 'text/plain'), (e: unknown) => e instanceof InvalidResponse && e.status === 201);
  });

  it('re-sends the same request after retryable failures (503, 429, connection reset)', async () => {
    const sleeps: number[] = [];
    const upload = new SimpleUpload(URL_MEDIA);
    upload.retryStrategy = instantRetry(sleeps);
    const transport = new FakeTransport(
      { status: 503 },
      { status: 429, headers: { 'retry-after': '3' } },
      new NetworkError('socket hang up', { systemCode: 'ECONNRESET' }),
      objectAnswer({ name: 'a.txt' }),
    );
    await upload.transmit(transport, Buffer.from('Hi'), 'text/plain');
    assert.equal(transport.requests.length, 4);
    for (const request of transport.requests) assert.deepEqual(request.body, Buffer.from('Hi'));
    assert.deepEqual(sleeps, [1000, 3000, 4000]);
    assert.ok(transport.allBodiesReleased);
  });

  it('an aborted signal stops before sending, and interrupts a back-off wait', async () => {
    const transport = new FakeTransport(objectAnswer({}));
    await assert.rejects(new SimpleUpload(URL_MEDIA).transmit(transport, Buffer.from('x'), 'a/b', { signal: AbortSignal.abort() }), AbortError);
    assert.equal(transport.requests.length, 0);

    const upload = new SimpleUpload(URL_MEDIA);
    upload.retryStrategy = new RetryStrategy({ initialDelayMs: 60_000 });
    const controller = new AbortController();
    const waiting = new FakeTransport({ status: 503 }, objectAnswer({}));
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(upload.transmit(waiting, Buffer.from('x'), 'a/b', { signal: controller.signal }), AbortError);
    assert.ok(performance.now() - started < 5_000);
    assert.equal(waiting.requests.length, 1);
    assert.ok(waiting.allBodiesReleased);
  });

  it('with a checksum: sends x-goog-hash and validates the answered resource', async () => {
    const upload = new SimpleUpload(URL_MEDIA, { checksum: 'crc32c' });
    const transport = new FakeTransport(objectAnswer({ crc32c: 'ihY6wA==' }));
    await upload.transmit(transport, Buffer.from('Hi'), 'text/plain');
    assert.equal(transport.requests[0]?.headers['x-goog-hash'], 'crc32c=ihY6wA==');

    const md5 = new SimpleUpload(URL_MEDIA, { checksum: 'md5' });
    const bad = new FakeTransport(objectAnswer({ md5Hash: '1B2M2Y8AsgTpgAmY7PhCfg==' }));
    await assert.rejects(md5.transmit(bad, Buffer.from('Hi'), 'text/plain'), (e: unknown) => {
      return (
        e instanceof DataCorruption &&
        e.message ===
          'The computed ``MD5`` checksum, ``waUpj5Oeh+j5YqXt/CBpGA==``, and the checksum reported by the remote host, ``1B2M2Y8AsgTpgAmY7PhCfg==``, did not match.'
      );
    });
    assert.equal(bad.requests[0]?.headers['x-goog-hash'], 'md5=waUpj5Oeh+j5YqXt/CBpGA==');

    const missing = new SimpleUpload(URL_MEDIA, { checksum: 'crc32c' });
    await assert.rejects(missing.transmit(new FakeTransport(objectAnswer({})), Buffer.from('Hi'), 'text/plain'), /had no ``crc32c`` value/);
  });

  it('refuses an answer that is not a JSON object resource', async () => {
    await assert.rejects(new SimpleUpload(URL_MEDIA).transmit(new FakeTransport({ status: 200, body: 'OK' }), Buffer.from('x'), 'a/b'), /not the JSON object resource/);
    await assert.rejects(new SimpleUpload(URL_MEDIA).transmit(new FakeTransport({ status: 200, body: '[1]' }), Buffer.from('x'), 'a/b'), /not an object resource/);
  });

  it('refuses bad constructor arguments, naming them', () => {
    assert.throws(() => new SimpleUpload('not a url'), /`uploadUrl`.*absolute http\(s\) URL/);
    assert.throws(() => new SimpleUpload('ftp://x/y'), /`uploadUrl`/);
    assert.throws(() => new SimpleUpload(URL_MEDIA, { checksum: 'sha1' as never }), /`checksum`.*'sha1'/);
    assert.throws(() => new SimpleUpload(URL_MEDIA, { headers: { a: 1 as never } }), /`headers\.a`/);
  });

  it('redacts signed-URL signatures from argument errors', () => {
    assert.throws(() => new SimpleUpload('ftp://x/y?X-Goog-Signature=secret'), (e: unknown) => e instanceof Error && !e.message.includes('secret'));
  });
});

describe('MultipartUpload', () => {
  it('88: checksum defaults to null; explicit values are kept', () => {
    assert.equal(new MultipartUpload(URL_MULTIPART).checksum, null);
    assert.equal(new MultipartUpload(URL_MULTIPART, { checksum: 'md5' }).checksum, 'md5');
  });

  it('89: the exact body and content type for boundary ==3==', () => {
    const upload = new MultipartUpload(URL_MULTIPART);
    const request = upload.prepareRequest(Buffer.from('Hi'), { Some: 'Stuff' }, 'text/plain', '==3==');
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['content-type'], 'multipart/related; boundary="==3=="');
    assert.equal(
      Buffer.from(request.body as Uint8Array).toString(),
      `--==3==\r\n${JSON_TYPE_LINE}\r\n{"Some": "Stuff"}\r\n--==3==\r\ncontent-type: text/plain\r\n\r\nHi\r\n--==3==--`,
    );
  });

  for (const [type, key, digest] of [
    ['md5', 'md5Hash', 'waUpj5Oeh+j5YqXt/CBpGA=='],
    ['crc32c', 'crc32c', 'ihY6wA=='],
  ] as const) {
    it(`90: with checksum ${type} the metadata carries ${key}`, () => {
      const upload = new MultipartUpload(URL_MULTIPART, { checksum: type });
      const metadata = {};
      const request = upload.prepareRequest(Buffer.from('Hi'), metadata, 'text/plain', '==3==');
      assert.ok(Buffer.from(request.body as Uint8Array).toString().includes(`\r\n{"${key}": "${digest}"}\r\n`));
      // Deviation: Python mutates the caller's dict; we leave it alone.
      assert.deepEqual(metadata, {});
    });

    it(`91: with checksum ${type} a caller-provided ${key} is replaced in place`, () => {
      const upload = new MultipartUpload(URL_MULTIPART, { checksum: type });
      const request = upload.prepareRequest(Buffer.from('Hi'), { [key]: 'wrong', name: 'n' }, 'text/plain', '==3==');
      assert.ok(Buffer.from(request.body as Uint8Array).toString().includes(`{"${key}": "${digest}", "name": "n"}`));
    });
  }

  it('123: transmit sends the exact body around a fresh random boundary and resolves the resource', async () => {
    const upload = new MultipartUpload(URL_MULTIPART);
    const transport = new FakeTransport(objectAnswer({ name: 'file.txt', size: '17' }));
    const resource = await upload.transmit(transport, Buffer.from('Some data in here'), { name: 'file.txt' }, 'text/plain');
    assert.equal(resource.size, '17');
    const sent = transport.requests[0];
    const boundary = /^multipart\/related; boundary="([^"]+)"$/.exec(sent?.headers['content-type'] ?? '')?.[1] ?? '';
    assert.match(boundary, /^={15}\d{19}==$/);
    assert.equal(
      sent?.body?.toString(),
      `--${boundary}\r\n${JSON_TYPE_LINE}\r\n{"name": "file.txt"}\r\n--${boundary}\r\ncontent-type: text/plain\r\n\r\nSome data in here\r\n--${boundary}--`,
    );
  });

  it('is used once, like SimpleUpload', async () => {
    const upload = new MultipartUpload(URL_MULTIPART);
    await upload.transmit(new FakeTransport(objectAnswer({})), Buffer.from('x'), {}, 'a/b');
    assert.throws(() => upload.prepareRequest(Buffer.from('x'), {}, 'a/b'), /An upload can only be used once/);
  });

  it('refuses metadata that is not a plain object', () => {
    assert.throws(() => new MultipartUpload(URL_MULTIPART).prepareRequest(Buffer.from('x'), [] as never, 'a/b'), /`metadata`.*plain object/);
  });
});

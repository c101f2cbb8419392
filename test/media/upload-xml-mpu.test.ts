/**
 * XMLMPUContainer and XMLMPUPart against a scripted transport: what google-resumable-media's XML multipart
 * upload tests check, plus what goes beyond Python: checksums sent with parts, streamed file parts, the 1..N check,
 * ListParts pagination and the lost-answer cases of a retried complete or cancel.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import {
  DataCorruption,
  InvalidArgumentError,
  InvalidResponse,
  InvalidStateError,
  NetworkError,
  NotFound,
  SourceChangedError,
} from '../../src/errors.js';
import { XMLMPUContainer } from '../../src/media/xml-mpu-container.js';
import { XMLMPUPart } from '../../src/media/xml-mpu-part.js';
import { FakeTransport, instantRetry, type Canned } from './upload-fake-transport.js';

const OBJECT_URL = 'https://storage.example.com/bkt/dir/my%20file.bin';
const UPLOAD_ID = 'VXBsb2FkIElE';
const FILE_DATA = Buffer.from('testdata'.repeat(128));
const noSuchUpload: Canned = {
  status: 404,
  body: '<?xml version="1.0"?><Error><Code>NoSuchUpload</Code><Message>The requested upload was not found.</Message></Error>',
};

let dir = '';
let file = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mpu-unit-'));
  file = join(dir, 'data.bin');
  await writeFile(file, FILE_DATA);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function container(options: ConstructorParameters<typeof XMLMPUContainer>[2] = {}): XMLMPUContainer {
  const c = new XMLMPUContainer(OBJECT_URL, 'my file.bin', options);
  c.retryStrategy = instantRetry();
  return c;
}

describe('XMLMPUContainer', () => {
  it('115: constructor and properties', () => {
    const fresh = new XMLMPUContainer(OBJECT_URL, 'file.bin');
    assert.equal(fresh.uploadUrl, OBJECT_URL);
    assert.equal(fresh.filename, 'file.bin');
    assert.equal(fresh.uploadId, undefined);
    assert.equal(fresh.finished, false);
    assert.equal(fresh.parts.size, 0);
    assert.equal(new XMLMPUContainer(OBJECT_URL, 'f', { uploadId: 'abc' }).uploadId, 'abc');
    assert.throws(() => new XMLMPUContainer(`${OBJECT_URL}?x=1`, 'f'), /`uploadUrl`.*without a query string/);
    assert.throws(() => new XMLMPUContainer(OBJECT_URL, 'f', { uploadId: '' }), /`uploadId`/);
  });

  it('116: initiate POSTs ?uploads with no body and records the namespaced UploadId', async () => {
    assert.throws(() => new XMLMPUContainer(OBJECT_URL, 'f', { uploadId: 'x' }).prepareInitiateRequest('a/b'), /This upload has already been initiated./);
    const c = container({ headers: { 'x-goog-meta-a': '1' } });
    const transport = new FakeTransport({
      status: 200,
      body:
        '<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Bucket>travel-maps</Bucket><Key>paris.jpg</Key><UploadId>${UPLOAD_ID}</UploadId></InitiateMultipartUploadResult>`,
    });
    assert.equal(await c.initiate(transport, 'image/jpeg'), UPLOAD_ID);
    assert.equal(c.uploadId, UPLOAD_ID);
    const sent = transport.requests[0];
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.url, `${OBJECT_URL}?uploads`);
    assert.equal(sent?.body, null);
    assert.deepEqual(sent?.headers, { 'x-goog-meta-a': '1', 'content-type': 'image/jpeg' });
    assert.ok(transport.allBodiesReleased);
  });

  it('initiate refuses answers without a usable UploadId, and hostile XML', async () => {
    await assert.rejects(container().initiate(new FakeTransport({ status: 200, body: '<InitiateMultipartUploadResult/>' }), 'a/b'), /no UploadId/);
    await assert.rejects(container().initiate(new FakeTransport({ status: 200, body: '<!DOCTYPE x [<!ENTITY a "b">]><x/>' }), 'a/b'), /DTDs/);
    await assert.rejects(
      container().initiate(new FakeTransport({ status: 200, body: `<InitiateMultipartUploadResult>${' '.repeat(1024 * 1024 + 1)}` }), 'a/b'),
      /larger than 1048576 bytes/,
    );
  });

  it('117: finalize POSTs ?uploadId= with the instance headers and the parts in order; 200 finishes it', async () => {
    assert.throws(() => new XMLMPUContainer(OBJECT_URL, 'f').prepareFinalizeRequest(), /This upload has not yet been initiated./);
    const c = container({ uploadId: UPLOAD_ID, headers: { 'x-goog-encryption-algorithm': 'AES256' } });
    c.registerPart(2, '"etag2"');
    c.registerPart(1, '"etag1"');
    assert.deepEqual([...c.parts.keys()], [1, 2]);
    const transport = new FakeTransport({
      status: 200,
      headers: { 'x-goog-generation': '1700000000000001', 'x-goog-hash': 'crc32c=AAAAAA==', etag: '"hdr"' },
      body: '<?xml version="1.0"?><CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>"body-etag"</ETag></CompleteMultipartUploadResult>',
    });
    const result = await c.finalize(transport);
    const sent = transport.requests[0];
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.url, `${OBJECT_URL}?uploadId=${UPLOAD_ID}`);
    assert.deepEqual(sent?.headers, { 'x-goog-encryption-algorithm': 'AES256' });
    assert.equal(
      sent?.body?.toString(),
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"etag1"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"etag2"</ETag></Part></CompleteMultipartUpload>',
    );
    assert.equal(result.generation, '1700000000000001');
    assert.equal(result.crc32c, 'AAAAAA==');
    assert.equal(result.etag, '"body-etag"');
    assert.equal(c.finished, true);
  });

  it('finalize refuses parts that are not exactly 1..N, before sending anything', () => {
    const c = container({ uploadId: UPLOAD_ID });
    assert.throws(() => c.prepareFinalizeRequest(), /no registered parts/);
    c.registerPart(1, 'a');
    c.registerPart(3, 'c');
    c.registerPart(5, 'e');
    assert.throws(() => c.prepareFinalizeRequest(), (e: unknown) => {
      return e instanceof InvalidStateError && /exactly 1\.\.N.*2 part number\(s\) below 5 are missing \(first: 2, 4\)/.test(e.message);
    });
    c.registerPart(2, 'b');
    c.registerPart(4, 'd');
    assert.doesNotThrow(() => c.prepareFinalizeRequest());
    // Registering a number again replaces its ETag, so there can be no duplicates.
    c.registerPart(4, 'd2');
    assert.equal(c.parts.get(4), 'd2');
    assert.throws(() => c.registerPart(0, 'x'), InvalidArgumentError);
    assert.throws(() => c.registerPart(10_001, 'x'), /`partNumber`.*from 1 to 10000/);
    assert.throws(() => c.registerPart(1, ''), /`etag`/);
  });

  it('finalize escapes ETags and percent-encodes the upload id', async () => {
    const c = container({ uploadId: 'id/with+chars=' });
    c.registerPart(1, '"a&b<c>é"');
    const request = c.prepareFinalizeRequest();
    assert.equal(request.url, `${OBJECT_URL}?uploadId=id%2Fwith%2Bchars%3D`);
    assert.match(String(request.body), /<ETag>"a&amp;b&lt;c&gt;&#233;"<\/ETag>/);
  });

  it('finalize: a 200 carrying an <Error> document is a failure', async () => {
    const c = container({ uploadId: UPLOAD_ID });
    c.registerPart(1, 'e');
    await assert.rejects(
      c.finalize(new FakeTransport({ status: 200, body: '<Error><Code>InternalError</Code><Message>try again</Message></Error>' })),
      (e: unknown) => e instanceof InvalidResponse && e.gcsCode === 'InternalError' && /InternalError: try again/.test(e.message),
    );
    assert.equal(c.finished, false);
  });

  it('finalize checks expectedCrc32c against the answer', async () => {
    const c = container({ uploadId: UPLOAD_ID });
    c.registerPart(1, 'e');
    await assert.rejects(
      c.finalize(new FakeTransport({ status: 200, headers: { 'x-goog-hash': 'crc32c=AAAAAA==' }, body: '' }), { expectedCrc32c: 'ihY6wA==' }),
      (e: unknown) => e instanceof DataCorruption && e.expected === 'ihY6wA==' && e.actual === 'AAAAAA==',
    );
  });

  it('a retried finalize meeting NoSuchUpload: NotFound without expectedCrc32c, confirmed by a HEAD with it', async () => {
    const unknown = container({ uploadId: UPLOAD_ID });
    unknown.registerPart(1, 'e');
    await assert.rejects(unknown.finalize(new FakeTransport({ status: 503 }, noSuchUpload)), (e: unknown) => {
      return e instanceof NotFound && e.gcsCode === 'NoSuchUpload' && /earlier attempt may have assembled the object/.test(e.message);
    });

    const confirmed = container({ uploadId: UPLOAD_ID });
    confirmed.registerPart(1, 'e');
    const transport = new FakeTransport(
      new NetworkError('reset'),
      noSuchUpload,
      { status: 200, headers: { 'x-goog-hash': 'crc32c=ihY6wA==,md5=x', 'x-goog-generation': '42' } },
    );
    const result = await confirmed.finalize(transport, { expectedCrc32c: 'ihY6wA==' });
    assert.equal(result.generation, '42');
    assert.equal(confirmed.finished, true);
    assert.deepEqual(transport.requests.map((r) => r.method), ['POST', 'POST', 'HEAD']);
    assert.equal(transport.requests[2]?.url, OBJECT_URL);

    const other = container({ uploadId: UPLOAD_ID });
    other.registerPart(1, 'e');
    await assert.rejects(
      other.finalize(new FakeTransport({ status: 500 }, noSuchUpload, { status: 200, headers: { 'x-goog-hash': 'crc32c=AAAAAA==' } }), { expectedCrc32c: 'ihY6wA==' }),
      /has CRC32C AAAAAA==, not the expected ihY6wA==/,
    );
    const gone = container({ uploadId: UPLOAD_ID });
    gone.registerPart(1, 'e');
    await assert.rejects(gone.finalize(new FakeTransport({ status: 500 }, noSuchUpload, { status: 404 }), { expectedCrc32c: 'ihY6wA==' }), /does not exist/);
  });

  it('a first-attempt NoSuchUpload is a plain failure', async () => {
    const c = container({ uploadId: UPLOAD_ID });
    c.registerPart(1, 'e');
    await assert.rejects(c.finalize(new FakeTransport(noSuchUpload), { expectedCrc32c: 'x' }), (e: unknown) => {
      return e instanceof NotFound && /Request failed with status code 404/.test(e.message);
    });
  });

  it('118: cancel DELETEs ?uploadId= with no body and accepts 204 only', async () => {
    const transport = new FakeTransport({ status: 204 });
    await container({ uploadId: UPLOAD_ID }).cancel(transport);
    assert.equal(transport.requests[0]?.method, 'DELETE');
    assert.equal(transport.requests[0]?.url, `${OBJECT_URL}?uploadId=${UPLOAD_ID}`);
    assert.equal(transport.requests[0]?.body, null);
    await assert.rejects(container({ uploadId: UPLOAD_ID }).cancel(new FakeTransport({ status: 200 })), /Expected one of 204/);
    await assert.rejects(container().cancel(new FakeTransport()), /not yet been initiated/);
    await assert.rejects(container({ uploadId: UPLOAD_ID }).cancel(new FakeTransport(noSuchUpload)), NotFound);
    // A retry whose first attempt's answer was lost finds the upload already gone: that is cancelled.
    await container({ uploadId: UPLOAD_ID }).cancel(new FakeTransport({ status: 503 }, noSuchUpload));
  });

  it('listParts follows pagination and refuses pages that do not advance', async () => {
    const page = (parts: number[], next?: number): Canned => ({
      status: 200,
      body:
        '<ListPartsResult>' +
        parts.map((n) => `<Part><PartNumber>${n}</PartNumber><ETag>"e${n}"</ETag><Size>${n * 10}</Size></Part>`).join('') +
        (next === undefined ? '<IsTruncated>false</IsTruncated>' : `<IsTruncated>true</IsTruncated><NextPartNumberMarker>${next}</NextPartNumberMarker>`) +
        '</ListPartsResult>',
    });
    const transport = new FakeTransport(page([1, 2], 2), { status: 503 }, page([3], 3), page([5]));
    const parts = await container({ uploadId: UPLOAD_ID }).listParts(transport);
    assert.deepEqual(parts.map((p) => [p.partNumber, p.etag, p.size]), [
      [1, '"e1"', 10],
      [2, '"e2"', 20],
      [3, '"e3"', 30],
      [5, '"e5"', 50],
    ]);
    assert.deepEqual(transport.requests.map((r) => r.url.slice(OBJECT_URL.length)), [
      `?uploadId=${UPLOAD_ID}`,
      `?uploadId=${UPLOAD_ID}&part-number-marker=2`,
      `?uploadId=${UPLOAD_ID}&part-number-marker=2`,
      `?uploadId=${UPLOAD_ID}&part-number-marker=3`,
    ]);
    await assert.rejects(container({ uploadId: UPLOAD_ID }).listParts(new FakeTransport(page([1], 4), page([5], 4))), /does not advance/);
  });
});

describe('XMLMPUPart', () => {
  const partUrl = `${OBJECT_URL}?partNumber=1&uploadId=${UPLOAD_ID}`;

  function part(options: ConstructorParameters<typeof XMLMPUPart>[6] = {}, start = 0, end = 256): XMLMPUPart {
    const p = new XMLMPUPart(OBJECT_URL, UPLOAD_ID, file, start, end, 1, options);
    p.retryStrategy = instantRetry();
    return p;
  }

  it('119: properties, the PUT of bytes [start, end) of the file, and the ETag stored', async () => {
    const p = part({ checksum: null, headers: { 'x-goog-encryption-algorithm': 'AES256' } });
    assert.deepEqual([p.uploadUrl, p.uploadId, p.filename, p.start, p.end, p.partNumber, p.etag, p.finished], [OBJECT_URL, UPLOAD_ID, file, 0, 256, 1, undefined, false]);
    const transport = new FakeTransport({ status: 200, headers: { etag: '"abc"' } });
    const result = await p.upload(transport);
    const sent = transport.requests[0];
    assert.equal(sent?.method, 'PUT');
    assert.equal(sent?.url, partUrl);
    assert.deepEqual(sent?.body, FILE_DATA.subarray(0, 256));
    // Python sends the instance headers unchanged; a streamed file part adds its length.
    assert.deepEqual(sent?.headers, { 'x-goog-encryption-algorithm': 'AES256', 'content-length': '256' });
    assert.deepEqual(result, { partNumber: 1, etag: '"abc"', crc32c: 'VkNXXw==', size: 256 });
    assert.equal(p.etag, '"abc"');
    assert.equal(p.crc32c, 'VkNXXw==');
    assert.equal(p.finished, true);
  });

  it('sends x-goog-hash crc32c by default and Content-MD5 for md5', async () => {
    const crc = new FakeTransport({ status: 200, headers: { etag: 'e', 'x-goog-hash': 'crc32c=VkNXXw==,md5=pOUFGnohRRFFd24NztFuFw==' } });
    await part().upload(crc);
    assert.equal(crc.requests[0]?.headers['x-goog-hash'], 'crc32c=VkNXXw==');
    assert.equal(crc.requests[0]?.headers['content-md5'], undefined);
    const md5 = new FakeTransport({ status: 200, headers: { etag: 'e', 'x-goog-hash': 'crc32c=VkNXXw==, md5=pOUFGnohRRFFd24NztFuFw==' } });
    await part({ checksum: 'md5' }).upload(md5);
    assert.equal(md5.requests[0]?.headers['content-md5'], 'pOUFGnohRRFFd24NztFuFw==');
    assert.equal(md5.requests[0]?.headers['x-goog-hash'], undefined);
  });

  it('120: with a checksum, an answer without x-goog-hash is an InvalidResponse (Python\'s rule, kept)', async () => {
    const p = part({ checksum: 'md5' });
    await assert.rejects(p.upload(new FakeTransport({ status: 200, headers: { etag: 'e' } })), (e: unknown) => {
      return e instanceof InvalidResponse && e.message === 'Response metadata had no ``md5Hash`` value; checksum could not be validated.';
    });
    assert.equal(p.finished, false);
  });

  it('121: a wrong md5 is DataCorruption; the right one stores the ETag; a second upload is refused', async () => {
    const bad = part({ checksum: 'md5' });
    await assert.rejects(bad.upload(new FakeTransport({ status: 200, headers: { etag: 'e', 'x-goog-hash': 'md5=Ojk9c3dhfxgoKVVHYwFbHQ==' } })), DataCorruption);
    assert.equal(bad.finished, false);
    const good = part({ checksum: 'md5' });
    await good.upload(new FakeTransport({ status: 200, headers: { etag: '"ok"', 'x-goog-hash': 'md5=pOUFGnohRRFFd24NztFuFw==' } }));
    assert.equal(good.etag, '"ok"');
    assert.equal(good.finished, true);
    await assert.rejects(good.upload(new FakeTransport()), /This part has already been uploaded./);
    assert.throws(() => good.prepareRequest(), InvalidStateError);
  });

  it('a BadDigest refusal from the server is DataCorruption (python-storage\'s rule)', async () => {
    const body = '<Error><Code>BadDigest</Code><Message>The CRC32C you specified did not match what we received.</Message></Error>';
    await assert.rejects(part().upload(new FakeTransport({ status: 400, body })), (e: unknown) => {
      return e instanceof DataCorruption && e.algorithm === 'crc32c' && e.expected === 'VkNXXw==' && /BadDigest/.test(e.message);
    });
    await assert.rejects(part().upload(new FakeTransport({ status: 400, body: '<Error><Code>InvalidArgument</Code></Error>' })), (e: unknown) => {
      return e instanceof InvalidResponse && e.gcsCode === 'InvalidArgument';
    });
  });

  it('requires an ETag on success', async () => {
    await assert.rejects(part({ checksum: null }).upload(new FakeTransport({ status: 200 })), /must contain header etag/);
  });

  it('re-reads the file range for every attempt (streamed, never buffered whole)', async () => {
    const transport = new FakeTransport({ status: 503 }, { status: 500 }, { status: 200, headers: { etag: 'e', 'x-goog-hash': 'crc32c=VkNXXw==' } });
    const p = part({}, 256, 512);
    await p.upload(transport);
    assert.equal(transport.requests.length, 3);
    for (const sent of transport.requests) {
      assert.deepEqual(sent.body, FILE_DATA.subarray(256, 512));
      assert.equal(sent.headers['content-length'], '256');
    }
    const fresh = part({}, 0, 256);
    await fresh.computeDigests();
    const a = fresh.prepareRequest().body;
    const b = fresh.prepareRequest().body;
    assert.ok(a instanceof Readable && b instanceof Readable && a !== b);
    a.destroy();
    b.destroy();
  });

  it('sends in-memory data as is', async () => {
    const data = Buffer.from('Hi');
    const p = new XMLMPUPart(OBJECT_URL, UPLOAD_ID, null, 10, 12, 7, { data });
    const transport = new FakeTransport({ status: 200, headers: { etag: 'e', 'x-goog-hash': 'crc32c=ihY6wA==' } });
    assert.deepEqual(await p.upload(transport), { partNumber: 7, etag: 'e', crc32c: 'ihY6wA==', size: 2 });
    assert.equal(transport.requests[0]?.url, `${OBJECT_URL}?partNumber=7&uploadId=${UPLOAD_ID}`);
    assert.equal(transport.requests[0]?.headers['content-length'], undefined);
  });

  it('a file shorter than the range is a SourceChangedError before anything is sent', async () => {
    const transport = new FakeTransport();
    await assert.rejects(part({}, 1000, 2000).upload(transport), (e: unknown) => e instanceof SourceChangedError && /holds only 1024 bytes/.test(e.message));
    assert.equal(transport.requests.length, 0);
  });

  it('refuses bad arguments at construction, naming them', () => {
    const make = (start: number, end: number, n: number, extra: Partial<{ filename: string | null; data: Uint8Array; url: string; id: string }> = {}) =>
      new XMLMPUPart(extra.url ?? OBJECT_URL, extra.id ?? UPLOAD_ID, extra.filename === undefined ? file : extra.filename, start, end, n, extra.data ? { data: extra.data } : {});
    assert.throws(() => make(0, 1, 0), /`partNumber` to be an integer from 1 to 10000, got `0`/);
    assert.throws(() => make(0, 1, 10_001), /`partNumber`.*got `10001`/);
    assert.throws(() => make(0, 1, 1.5), /`partNumber`/);
    assert.throws(() => make(-1, 1, 1), /`start` to be an integer >= 0, got `-1`/);
    assert.throws(() => make(5, 4, 1), /`end` to be an integer >= 5, got `4`/);
    assert.throws(() => make(0, 3, 1, { data: Buffer.from('Hi') }), /`data` to hold end - start = 3 bytes, got 2/);
    assert.throws(() => make(0, 2, 1, { filename: null }), /`filename` to be a path when no `data`/);
    assert.throws(() => make(0, 2, 1, { url: `${OBJECT_URL}?a=b` }), /`uploadUrl`/);
    assert.throws(() => make(0, 2, 1, { id: '' }), /`uploadId`/);
    assert.throws(() => new XMLMPUPart(OBJECT_URL, UPLOAD_ID, file, 0, 1, 1, { checksum: 'sha256' as never }), /`checksum`/);
  });
});

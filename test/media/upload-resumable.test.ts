/**
 * ResumableUpload against a scripted transport: what google-resumable-media's resumable upload tests check
 * (`_upload` base and `requests`), plus what goes beyond Python: reading by acknowledged offset,
 * the data-loss guard for streams, the final-chunk x-goog-hash and the checks of hostile answers.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { UPLOAD_CHUNK_SIZE } from '../../src/constants.js';
import { DataCorruption, InvalidArgumentError, InvalidResponse, InvalidStateError, SourceChangedError } from '../../src/errors.js';
import { contentRange, ResumableUpload } from '../../src/media/resumable-upload.js';
import type { UploadSourceInput } from '../../src/media/upload-source.js';
import { crc32cToBase64, crc32c } from '../../src/checksum/crc32c.js';
import { FakeTransport, instantRetry, objectAnswer, type Canned } from './upload-fake-transport.js';

const UPLOAD_URL = 'https://storage.example.com/upload/storage/v1/b/bkt/o?uploadType=resumable';
const SESSION_URL = `${UPLOAD_URL}&upload_id=session-1`;
const C = UPLOAD_CHUNK_SIZE;

const initiated: Canned = { status: 200, headers: { location: SESSION_URL } };
const persisted = (n: number): Canned => ({ status: 308, headers: { range: `bytes=0-${n - 1}` } });

/** Deterministic bytes, different at every offset within a few chunks. */
function pattern(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

async function start(
  source: UploadSourceInput,
  transport: FakeTransport,
  options: { chunkSize?: number; checksum?: 'crc32c' | 'md5' | null; totalBytes?: number; streamFinal?: boolean } = {},
): Promise<ResumableUpload> {
  const upload = new ResumableUpload(UPLOAD_URL, options.chunkSize ?? C, { checksum: options.checksum ?? null });
  upload.retryStrategy = instantRetry();
  const init: { totalBytes?: number; streamFinal?: boolean } = {};
  if (options.totalBytes !== undefined) init.totalBytes = options.totalBytes;
  if (options.streamFinal !== undefined) init.streamFinal = options.streamFinal;
  await upload.initiate(transport, source, { name: 'big-data-file.txt' }, 'text/plain', init);
  return upload;
}

describe('ResumableUpload construction', () => {
  it('92: keeps the chunk size; refuses one that is not a positive multiple of 256 KiB', () => {
    const upload = new ResumableUpload(UPLOAD_URL, 3 * C);
    assert.equal(upload.chunkSize, 3 * C);
    for (const bad of [1, 0, -C, C + 1, 1.5 * C, Number.NaN]) {
      assert.throws(() => new ResumableUpload(UPLOAD_URL, bad), (e: unknown) => {
        return e instanceof InvalidArgumentError && e.message.includes('`chunkSize`') && e.message.includes('multiple of 262144');
      });
    }
    assert.throws(() => new ResumableUpload(UPLOAD_URL, '262144' as never), /`chunkSize`.*got string/);
  });

  it('93: starts with no session, nothing uploaded, unknown size, valid and unfinished (read-only properties)', () => {
    const upload = new ResumableUpload(UPLOAD_URL, C);
    assert.equal(upload.resumableUrl, undefined);
    assert.equal(upload.bytesUploaded, 0);
    assert.equal(upload.totalBytes, undefined);
    assert.equal(upload.invalid, false);
    assert.equal(upload.finished, false);
    for (const property of ['invalid', 'chunkSize', 'resumableUrl', 'bytesUploaded', 'totalBytes', 'finished']) {
      assert.throws(() => {
        (upload as unknown as Record<string, unknown>)[property] = 1;
      }, TypeError);
    }
  });
});

describe('ResumableUpload initiate', () => {
  const data25 = Buffer.from('some really big big data.');

  it('94: POSTs the JSON metadata with the upload type and length headers', async () => {
    const upload = new ResumableUpload(UPLOAD_URL, C);
    const request = await upload.prepareInitiateRequest(data25, { name: 'big-data-file.txt' }, 'text/plain');
    assert.equal(request.method, 'POST');
    assert.equal(request.url, UPLOAD_URL);
    assert.equal(request.body, '{"name": "big-data-file.txt"}');
    assert.deepEqual(request.headers, {
      'content-type': 'application/json; charset=UTF-8',
      'x-upload-content-length': '25',
      'x-upload-content-type': 'text/plain',
    });
    assert.equal(upload.totalBytes, 25);
  });

  for (const parameter of ['x-goog-signature', 'X-Goog-Signature']) {
    it(`95: on a signed URL (${parameter}) the content type goes in content-type, without x-upload-content-type`, async () => {
      const upload = new ResumableUpload(`${UPLOAD_URL}&${parameter}=abc`, C);
      const request = await upload.prepareInitiateRequest(data25, {}, 'text/plain');
      assert.equal(request.headers['content-type'], 'text/plain');
      assert.equal(request.headers['x-upload-content-type'], undefined);
    });
  }

  it('96: keeps the extra headers and overrides a custom content-type', async () => {
    const headers = { 'Content-Type': 'image/png', 'x-goog-encryption-algorithm': 'AES256' };
    const upload = new ResumableUpload(UPLOAD_URL, C, { headers });
    const request = await upload.prepareInitiateRequest(data25, {}, 'text/plain');
    assert.equal(request.headers['content-type'], 'application/json; charset=UTF-8');
    assert.equal(request.headers['x-goog-encryption-algorithm'], 'AES256');
    assert.deepEqual(headers, { 'Content-Type': 'image/png', 'x-goog-encryption-algorithm': 'AES256' });
  });

  it('97: an explicit totalBytes is sent; with streamFinal false and no totalBytes no length is sent', async () => {
    const known = new ResumableUpload(UPLOAD_URL, C);
    assert.equal((await known.prepareInitiateRequest(data25, {}, 'text/plain', { totalBytes: 25 })).headers['x-upload-content-length'], '25');
    const unknown = new ResumableUpload(UPLOAD_URL, C);
    const request = await unknown.prepareInitiateRequest(data25, {}, 'text/plain', { streamFinal: false });
    assert.equal(request.headers['x-upload-content-length'], undefined);
    assert.equal(unknown.totalBytes, undefined);
    const stream = new ResumableUpload(UPLOAD_URL, C);
    assert.equal((await stream.prepareInitiateRequest(Readable.from([data25]), {}, 'text/plain')).headers['x-upload-content-length'], undefined);
  });

  it('98: refuses a second initiate and sources that are not bytes, a path or a stream', async () => {
    const transport = new FakeTransport(initiated);
    const upload = await start(data25, transport);
    await assert.rejects(upload.prepareInitiateRequest(data25, {}, 'text/plain'), (e: unknown) => {
      return e instanceof InvalidStateError && e.message === 'This upload has already been initiated.';
    });
    // N/A "_bad_stream_position": sources are read by offset from 0, so there is no stream position to check.
    await assert.rejects(new ResumableUpload(UPLOAD_URL, C).prepareInitiateRequest(42 as never, {}, 'text/plain'), /`source`.*got number/);
    await assert.rejects(new ResumableUpload(UPLOAD_URL, C).prepareInitiateRequest(data25, {}, 'text/plain', { totalBytes: 26 }), /`totalBytes`.*at most the source's 25 bytes/);
    await assert.rejects(new ResumableUpload(UPLOAD_URL, C).prepareInitiateRequest(data25, {}, 'text/plain', { totalBytes: -1 }), /`totalBytes`/);
  });

  it('99: a non-200/201 answer makes the upload invalid; 201 and a Location are accepted', async () => {
    const failed = new ResumableUpload(UPLOAD_URL, C);
    await assert.rejects(failed.initiate(new FakeTransport({ status: 403 }), data25, {}, 'text/plain'), (e: unknown) => {
      return e instanceof InvalidResponse && e.status === 403 && e.expected?.join() === '200,201';
    });
    assert.equal(failed.invalid, true);
    const ok = new ResumableUpload(UPLOAD_URL, C);
    assert.equal(await ok.initiate(new FakeTransport({ status: 201, headers: { location: SESSION_URL } }), data25, {}, 'text/plain'), SESSION_URL);
    assert.equal(ok.resumableUrl, SESSION_URL);
  });

  it('requires a Location on the upload URL origin (relative ones are resolved)', async () => {
    const missing = new ResumableUpload(UPLOAD_URL, C);
    await assert.rejects(missing.initiate(new FakeTransport({ status: 200 }), data25, {}, 'text/plain'), /must contain header location/);
    assert.equal(missing.invalid, false);
    const elsewhere = new ResumableUpload(UPLOAD_URL, C);
    await assert.rejects(
      elsewhere.initiate(new FakeTransport({ status: 200, headers: { location: 'https://evil.example.net/x?upload_id=1' } }), data25, {}, 'text/plain'),
      (e: unknown) => e instanceof InvalidResponse && /not on the upload URL's origin/.test(e.message) && !e.message.includes('upload_id=1'),
    );
    assert.equal(elsewhere.resumableUrl, undefined);
    const relative = new ResumableUpload(UPLOAD_URL, C);
    await relative.initiate(new FakeTransport({ status: 200, headers: { location: '/upload/s?upload_id=2' } }), data25, {}, 'text/plain');
    assert.equal(relative.resumableUrl, 'https://storage.example.com/upload/s?upload_id=2');
  });

  it('124: an explicit totalBytes wins over streamFinal false', async () => {
    const transport = new FakeTransport(initiated);
    const upload = await start(pattern(100), transport, { totalBytes: 100, streamFinal: false });
    assert.equal(transport.requests[0]?.headers['x-upload-content-length'], '100');
    assert.equal(upload.totalBytes, 100);
  });
});

describe('ResumableUpload chunks', () => {
  it('100: refuses to send when finished, invalid or not initiated, with Python\'s messages', async () => {
    await assert.rejects(new ResumableUpload(UPLOAD_URL, C).prepareChunkRequest(), (e: unknown) => {
      return e instanceof InvalidStateError && e.message === 'This upload has not been initiated. Please call initiate() before beginning to transmit chunks.';
    });
    const invalid = await start(pattern(10), new FakeTransport(initiated, { status: 400 }));
    await assert.rejects(invalid.transmitNextChunk(new FakeTransport({ status: 400 })), InvalidResponse);
    await assert.rejects(invalid.prepareChunkRequest(), /Upload is in an invalid state. To recover call `recover\(\)`./);
    const transport = new FakeTransport(initiated, objectAnswer({ size: '10' }));
    const finished = await start(pattern(10), transport);
    await finished.transmitNextChunk(transport);
    await assert.rejects(finished.prepareChunkRequest(), /^InvalidStateError: Upload has finished\.$/);
    // N/A "_invalid_stream_state": the upload reads its own source at the acknowledged offset.
  });

  it('101: the chunk PUT carries content-type and content-range, plus the extra headers', async () => {
    const data = Buffer.from('All of the data goes in a stream.');
    const transport = new FakeTransport(initiated);
    const upload = new ResumableUpload(UPLOAD_URL, C, { headers: { keep: 'this' } });
    await upload.initiate(transport, data, {}, 'text/plain');
    const chunk = await upload.prepareChunkRequest();
    assert.equal(chunk.method, 'PUT');
    assert.equal(chunk.url, SESSION_URL);
    assert.deepEqual(Buffer.from(chunk.body as Uint8Array), data);
    assert.deepEqual(chunk.headers, { keep: 'this', 'content-type': 'text/plain', 'content-range': 'bytes 0-32/33' });
  });

  for (const [type, digest] of [
    ['md5', 'GRvfKbqr5klAOwLkxgIf8w=='],
    ['crc32c', 'Qg8thA=='],
  ] as const) {
    it(`102: with checksum ${type} the last chunk carries x-goog-hash ${digest}`, async () => {
      const data = Buffer.from('All of the data goes in a stream.');
      const transport = new FakeTransport(initiated, objectAnswer({ size: '33', [type === 'md5' ? 'md5Hash' : 'crc32c']: digest }));
      const upload = await start(data, transport, { checksum: type });
      const resource = await upload.transmitNextChunk(transport);
      assert.equal(transport.requests[1]?.headers['x-goog-hash'], `${type}=${digest}`);
      assert.equal(resource?.size, '33');
      assert.equal(upload.finished, true);
    });
  }

  it('102: a rewind (server persisted less than sent) re-sends bytes without hashing them twice', async () => {
    const data = pattern(2 * C + 1000);
    const transport = new FakeTransport(
      initiated,
      persisted(C - 4096),
      persisted(2 * C - 4096),
      objectAnswer({ size: String(data.length), crc32c: crc32cToBase64(crc32c(data)) }),
    );
    const upload = await start(data, transport, { checksum: 'crc32c' });
    assert.equal(await upload.transmitNextChunk(transport), undefined);
    assert.equal(upload.bytesUploaded, C - 4096);
    await upload.transmitNextChunk(transport);
    const resource = await upload.transmitNextChunk(transport);
    const ranges = transport.requests.slice(1).map((r) => r.headers['content-range']);
    assert.deepEqual(ranges, [`bytes 0-${C - 1}/${data.length}`, `bytes ${C - 4096}-${2 * C - 4097}/${data.length}`, `bytes ${2 * C - 4096}-${data.length - 1}/${data.length}`]);
    assert.deepEqual(transport.requests[2]?.body, data.subarray(C - 4096, 2 * C - 4096));
    assert.equal(transport.requests[3]?.headers['x-goog-hash'], `crc32c=${crc32cToBase64(crc32c(data))}`);
    assert.equal(transport.requests[1]?.headers['x-goog-hash'], undefined);
    assert.equal(resource?.size, String(data.length));
  });

  it('104: a non-retryable status makes the upload invalid; a retryable one does not', async () => {
    const upload = await start(pattern(10), new FakeTransport(initiated));
    upload.retryStrategy = instantRetry([], 0);
    await assert.rejects(upload.transmitNextChunk(new FakeTransport({ status: 503 })), (e: unknown) => e instanceof InvalidResponse && e.status === 503);
    assert.equal(upload.invalid, false);
    await assert.rejects(upload.transmitNextChunk(new FakeTransport({ status: 404 })), (e: unknown) => {
      return e instanceof InvalidResponse && e.status === 404 && e.expected?.join() === '200,308';
    });
    assert.equal(upload.invalid, true);
  });

  it('retryable failures re-send the very same chunk', async () => {
    const data = pattern(C + 5);
    const transport = new FakeTransport(initiated, { status: 503 }, { status: 429 }, persisted(C));
    const upload = await start(data, transport);
    await upload.transmitNextChunk(transport);
    assert.equal(transport.requests.length, 4);
    for (const request of transport.requests.slice(1)) {
      assert.equal(request.headers['content-range'], `bytes 0-${C - 1}/${C + 5}`);
      assert.deepEqual(request.body, data.subarray(0, C));
    }
    assert.equal(upload.bytesUploaded, C);
    assert.ok(transport.allBodiesReleased);
  });

  it('105: 200 finishes the upload and counts the last chunk', async () => {
    const data = pattern(C + 158);
    const transport = new FakeTransport(initiated, persisted(C), objectAnswer({ size: String(C + 158) }));
    const upload = await start(data, transport);
    await upload.transmitNextChunk(transport);
    await upload.transmitNextChunk(transport);
    assert.equal(upload.bytesUploaded, C + 158);
    assert.equal(upload.finished, true);
  });

  it('106: a 308 without range, or with a malformed one, makes the upload invalid; bytes=0-N acknowledges N+1', async () => {
    const noRange = await start(pattern(C + 1), new FakeTransport(initiated));
    await assert.rejects(noRange.transmitNextChunk(new FakeTransport({ status: 308 })), /must contain header range/);
    assert.equal(noRange.invalid, true);
    const badRange = await start(pattern(C + 1), new FakeTransport(initiated));
    await assert.rejects(badRange.transmitNextChunk(new FakeTransport({ status: 308, headers: { range: 'nights 1-81' } })), /Unexpected "range" header nights 1-81/);
    assert.equal(badRange.invalid, true);
    const partial = await start(pattern(C + 1), new FakeTransport(initiated));
    await partial.transmitNextChunk(new FakeTransport({ status: 308, headers: { range: 'bytes=0-171' } }));
    assert.equal(partial.bytesUploaded, 172);
    assert.equal(partial.invalid, false);
  });

  it('refuses a 308 that claims more bytes than were sent (hostile server)', async () => {
    const upload = await start(pattern(2 * C), new FakeTransport(initiated));
    await assert.rejects(upload.transmitNextChunk(new FakeTransport(persisted(C + 1))), /reports 262145 bytes persisted, but only 262144 were ever sent/);
    assert.equal(upload.invalid, true);
  });

  it('refuses a 200 that ends the upload early or stores another size', async () => {
    const early = await start(pattern(2 * C), new FakeTransport(initiated));
    await assert.rejects(early.transmitNextChunk(new FakeTransport(objectAnswer({}))), /completed the upload after 262144 of 524288 bytes/);
    const size = await start(pattern(10), new FakeTransport(initiated));
    await assert.rejects(size.transmitNextChunk(new FakeTransport(objectAnswer({ size: '11' }))), /stored 11 bytes but 10 were sent/);
  });

  it('107: validates the final checksum: success, none, missing value, mismatch', async () => {
    const data = Buffer.from('All of the data goes in a stream.');
    const ok = await start(data, new FakeTransport(initiated), { checksum: 'crc32c' });
    await ok.transmitNextChunk(new FakeTransport(objectAnswer({ crc32c: 'Qg8thA==' })));
    const none = await start(data, new FakeTransport(initiated), { checksum: null });
    await none.transmitNextChunk(new FakeTransport(objectAnswer({ crc32c: 'AAAAAA==' })));
    const missing = await start(data, new FakeTransport(initiated), { checksum: 'md5' });
    await assert.rejects(missing.transmitNextChunk(new FakeTransport(objectAnswer({}))), (e: unknown) => {
      return e instanceof InvalidResponse && e.message === 'Response metadata had no ``md5Hash`` value; checksum could not be validated.';
    });
    const mismatch = await start(data, new FakeTransport(initiated), { checksum: 'crc32c' });
    await assert.rejects(mismatch.transmitNextChunk(new FakeTransport(objectAnswer({ crc32c: 'AAAAAA==' }))), (e: unknown) => {
      return (
        e instanceof DataCorruption &&
        e.message === 'The computed ``CRC32C`` checksum, ``Qg8thA==``, and the checksum reported by the remote host, ``AAAAAA==``, did not match.' &&
        e.expected === 'Qg8thA==' &&
        e.actual === 'AAAAAA=='
      );
    });
    assert.equal(mismatch.finished, true, 'the corrupted object exists: the upload stays finished');
  });

  it('125: chunk C of 3C+1 bytes sends bytes 0-(C-1)/(3C+1) and a 308 acknowledges C', async () => {
    const transport = new FakeTransport(initiated, persisted(C));
    const upload = await start(pattern(3 * C + 1), transport);
    await upload.transmitNextChunk(transport);
    assert.equal(transport.requests[1]?.headers['content-range'], `bytes 0-${C - 1}/${3 * C + 1}`);
    assert.equal(upload.bytesUploaded, C);
  });
});

describe('ResumableUpload chunking (113, Test_get_next_chunk, scaled to 256 KiB chunks)', () => {
  async function ranges(source: UploadSourceInput, steps: Canned[], options: Parameters<typeof start>[2] = {}): Promise<string[]> {
    const transport = new FakeTransport(initiated, ...steps);
    const upload = await start(source, transport, options);
    while (!upload.finished) await upload.transmitNextChunk(transport);
    return transport.requests.slice(1).map((r) => r.headers['content-range'] as string);
  }

  it('known size: whole chunks then the remainder; bytes beyond totalBytes are never sent (lt_stream_size)', async () => {
    const T = 2 * C + C / 2;
    assert.deepEqual(await ranges(pattern(T), [persisted(C), persisted(2 * C), objectAnswer({})]), [
      `bytes 0-${C - 1}/${T}`,
      `bytes ${C}-${2 * C - 1}/${T}`,
      `bytes ${2 * C}-${T - 1}/${T}`,
    ]);
    assert.deepEqual(await ranges(pattern(T), [persisted(C), objectAnswer({})], { totalBytes: C + 10 }), [
      `bytes 0-${C - 1}/${C + 10}`,
      `bytes ${C}-${C + 9}/${C + 10}`,
    ]);
  });

  it('unknown size: "/*" until a short chunk, and an empty "bytes */T" chunk for an exact multiple', async () => {
    const twoChunks = [persisted(C), persisted(2 * C), objectAnswer({})];
    assert.deepEqual(await ranges(Readable.from([pattern(2 * C)]), twoChunks), [
      `bytes 0-${C - 1}/*`,
      `bytes ${C}-${2 * C - 1}/*`,
      `bytes */${2 * C}`,
    ]);
    assert.deepEqual(await ranges(pattern(C + 6), [persisted(C), objectAnswer({})], { streamFinal: false }), [
      `bytes 0-${C - 1}/*`,
      `bytes ${C}-${C + 5}/${C + 6}`,
    ]);
  });

  it('known_size_zero: an empty source sends one empty chunk "bytes */0"', async () => {
    assert.deepEqual(await ranges(Buffer.alloc(0), [objectAnswer({ size: '0' })]), ['bytes */0']);
    assert.deepEqual(await ranges(Readable.from([]), [objectAnswer({ size: '0' })]), ['bytes */0']);
  });

  it('zero_nonempty: totalBytes 0 with a non-empty source is refused', async () => {
    const upload = await start(pattern(5), new FakeTransport(initiated), { totalBytes: 0 });
    await assert.rejects(upload.prepareChunkRequest(), (e: unknown) => {
      return e instanceof SourceChangedError && e.message === 'Stream specified as empty, but produced non-empty content.';
    });
  });

  it('exhausted_known_size: a stream shorter than totalBytes is refused, never padded', async () => {
    const empty = await start(Readable.from([]), new FakeTransport(initiated), { totalBytes: 10 });
    await assert.rejects(empty.prepareChunkRequest(), /^SourceChangedError: Stream is already exhausted. There is no content remaining.$/);
    const short = await start(Readable.from([pattern(5)]), new FakeTransport(initiated), { totalBytes: 10 });
    await assert.rejects(short.prepareChunkRequest(), /source ended at byte 5, before the 10 bytes announced/);
  });

  it('114: Test_get_content_range', () => {
    assert.equal(contentRange(5, 10, 40), 'bytes 5-10/40');
    assert.equal(contentRange(1000, 10000, undefined), 'bytes 1000-10000/*');
    assert.equal(contentRange(0, -1, 0), 'bytes */0');
  });

  // N/A 112 "test_get_total_bytes (position restored)": sources report their length without a stream position.
});

describe('ResumableUpload recover', () => {
  it('108: a PUT with no body and only content-range: bytes */*', async () => {
    const upload = await start(pattern(10), new FakeTransport(initiated));
    assert.throws(() => new ResumableUpload(UPLOAD_URL, C).prepareRecoverRequest(), InvalidStateError);
    assert.deepEqual(upload.prepareRecoverRequest(), { method: 'PUT', url: SESSION_URL, headers: { 'content-range': 'bytes */*' }, body: null });
    const withHeaders = new ResumableUpload(UPLOAD_URL, C, { headers: { 'x-extra': '1' } });
    await withHeaders.initiate(new FakeTransport(initiated), pattern(10), {}, 'a/b');
    assert.deepEqual(withHeaders.prepareRecoverRequest().headers, { 'content-range': 'bytes */*' });
  });

  it('109: a non-308 leaves the state untouched; no range → 0; a bad range → untouched; bytes=0-11 → 12', async () => {
    const data = pattern(2 * C);
    const upload = await start(data, new FakeTransport(initiated));
    await assert.rejects(upload.transmitNextChunk(new FakeTransport({ status: 400 })), InvalidResponse);
    assert.equal(upload.invalid, true);

    await assert.rejects(upload.recover(new FakeTransport({ status: 400 })), (e: unknown) => e instanceof InvalidResponse && e.expected?.join() === '308');
    assert.equal(upload.invalid, true);
    await assert.rejects(upload.recover(new FakeTransport({ status: 308, headers: { range: 'bites=9-11' } })), /Unexpected "range" header bites=9-11/);
    assert.equal(upload.invalid, true);

    assert.equal(await upload.recover(new FakeTransport({ status: 308 })), 0);
    assert.equal(upload.invalid, false);
    assert.equal(await upload.recover(new FakeTransport({ status: 308, headers: { range: 'bytes=0-11' } })), 12);
    assert.equal(upload.bytesUploaded, 12);

    // The next chunk starts where the server stands (Python: the stream was seeked to 12).
    const transport = new FakeTransport(persisted(C + 12));
    await upload.transmitNextChunk(transport);
    assert.equal(transport.requests[0]?.headers['content-range'], `bytes 12-${C + 11}/${2 * C}`);
    assert.deepEqual(transport.requests[0]?.body, data.subarray(12, C + 12));
  });

  it('126: recover reads bytes=0-55555 as 55556 and passes the timeout through', async () => {
    const transport = new FakeTransport(initiated, { status: 308, headers: { range: 'bytes=0-55555' } });
    const upload = await start(pattern(C + 1), transport);
    await assert.rejects(upload.transmitNextChunk(new FakeTransport({ status: 400 })));
    const timeout = { readMs: 1234 };
    assert.equal(await upload.recover(transport, { timeout }), 55_556);
    assert.deepEqual(transport.requests[1]?.options?.timeout, timeout);
    assert.equal(upload.invalid, false);
  });

  it('a stream rewinds into the bytes it still holds', async () => {
    const data = pattern(2 * C + 100);
    const transport = new FakeTransport(initiated, persisted(C / 2), persisted(C + C / 2), objectAnswer({ size: String(data.length) }));
    const upload = await start(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), transport);
    while (!upload.finished) await upload.transmitNextChunk(transport);
    const sent = transport.requests.slice(1);
    assert.deepEqual(sent[1]?.body, data.subarray(C / 2, C / 2 + C));
    assert.deepEqual(sent[2]?.body, data.subarray(C + C / 2));
    assert.equal(sent[2]?.headers['content-range'], `bytes ${C + C / 2}-${data.length - 1}/${data.length}`);
  });

  it('data-loss guard: a stream cannot go back before what the server acknowledged; a Buffer can', async () => {
    const data = pattern(3 * C);
    for (const seekable of [false, true]) {
      const transport = new FakeTransport(initiated, persisted(C), { status: 400 }, { status: 308, headers: { range: 'bytes=0-99' } });
      const upload = await start(seekable ? data : Readable.from([data]), transport);
      await upload.transmitNextChunk(transport);
      await assert.rejects(upload.transmitNextChunk(transport), InvalidResponse);
      if (seekable) {
        assert.equal(await upload.recover(transport), 100);
        const next = new FakeTransport(persisted(C + 100));
        await upload.transmitNextChunk(next);
        assert.deepEqual(next.requests[0]?.body, data.subarray(100, C + 100));
      } else {
        await assert.rejects(upload.recover(transport), (e: unknown) => {
          return e instanceof InvalidResponse && /^Data loss: the server now reports only 100 bytes persisted/.test(e.message);
        });
        assert.equal(upload.invalid, true);
        assert.equal(upload.bytesUploaded, C);
      }
    }
  });
});

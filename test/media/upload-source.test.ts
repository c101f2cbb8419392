/**
 * Upload sources: bytes and files read by offset, streams read on demand keeping only what was not released,
 * and the file-change check.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AbortError, InvalidArgumentError, InvalidStateError, SourceChangedError } from '../../src/errors.js';
import { createUploadSource, fileRangeStream } from '../../src/media/upload-source.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upload-source-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('createUploadSource', () => {
  it('bytes: seekable, known length, reads are views that stop at the end', async () => {
    const data = Buffer.from('0123456789');
    const source = createUploadSource(data);
    assert.equal(source.seekable, true);
    assert.equal(await source.length(), 10);
    assert.equal(Buffer.from(await source.read(3, 4)).toString(), '3456');
    assert.equal(Buffer.from(await source.read(8, 4)).toString(), '89');
    assert.equal((await source.read(10, 4)).byteLength, 0);
    source.release(5);
    assert.equal(Buffer.from(await source.read(0, 2)).toString(), '01');
  });

  it('file: read by offset; a change of size or mtime after length() is a SourceChangedError', async () => {
    const path = join(dir, 'f.bin');
    await writeFile(path, '0123456789');
    const source = createUploadSource(path);
    assert.equal(await source.length(), 10);
    assert.equal(Buffer.from(await source.read(7, 10)).toString(), '789');
    await utimes(path, new Date(), new Date(Date.now() + 10_000));
    await assert.rejects(source.read(0, 1), (e: unknown) => e instanceof SourceChangedError && /changed during the upload/.test(e.message));
    await assert.rejects(createUploadSource(join(dir, 'missing')).length(), { code: 'ENOENT' });
  });

  it('stream: reads on demand, keeps only unreleased bytes, and refuses to go back before them', async () => {
    const input = new PassThrough();
    const source = createUploadSource(input);
    assert.equal(source.seekable, false);
    assert.equal(await source.length(), undefined);
    input.write('abc');
    input.write('defgh');
    const pending = source.read(2, 5);
    setImmediate(() => input.end('ij'));
    assert.equal(Buffer.from(await pending).toString(), 'cdefg');
    assert.equal(Buffer.from(await source.read(0, 3)).toString(), 'abc', 'nothing released yet: a rewind works');
    source.release(4);
    assert.equal(source.floor, 4);
    assert.equal(Buffer.from(await source.read(4, 100)).toString(), 'efghij');
    await assert.rejects(source.read(3, 1), InvalidStateError);
    assert.equal((await source.read(10, 5)).byteLength, 0);
  });

  it('stream: an async iterable of bytes or strings is accepted; other chunks are refused', async () => {
    async function* gen(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('he');
      yield new Uint8Array([108, 108, 111]);
    }
    assert.equal(Buffer.from(await createUploadSource(gen()).read(0, 10)).toString(), 'hello');
    assert.equal(Buffer.from(await createUploadSource(Readable.from(['x', 'y'])).read(0, 10)).toString(), 'xy');
    await assert.rejects(createUploadSource(Readable.from([{ a: 1 }])).read(0, 1), /yield bytes, got a chunk of type object/);
  });

  it('stream: an abort while waiting rejects with AbortError and loses no data', async () => {
    const input = new PassThrough();
    const source = createUploadSource(input);
    const controller = new AbortController();
    const pending = source.read(0, 4, controller.signal);
    controller.abort();
    await assert.rejects(pending, AbortError);
    assert.equal(input.listenerCount('readable'), 0);
    input.end('data');
    assert.equal(Buffer.from(await source.read(0, 4)).toString(), 'data');
  });

  it('stream: a stream error propagates', async () => {
    const input = new PassThrough();
    const source = createUploadSource(input);
    const pending = source.read(0, 4);
    input.destroy(new Error('disk on fire'));
    await assert.rejects(pending, /disk on fire/);
  });

  it('refuses anything else, naming the argument', () => {
    assert.throws(() => createUploadSource(12, 'source'), (e: unknown) => e instanceof InvalidArgumentError && /`source`.*got number/.test(e.message));
    assert.throws(() => createUploadSource(''), /non-empty file path/);
    assert.throws(() => createUploadSource({}), /got an instance of Object/);
  });
});

describe('fileRangeStream', () => {
  it('streams [start, end) and an empty range as an empty stream', async () => {
    const path = join(dir, 'r.bin');
    await writeFile(path, '0123456789');
    assert.equal(await text(fileRangeStream(path, 2, 5)), '234');
    assert.equal(await text(fileRangeStream(path, 4, 4)), '');
  });
});

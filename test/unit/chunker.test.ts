import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { BufferPool } from '../../src/transfer/upload/buffer-pool.js';
import { chunkStream } from '../../src/transfer/upload/chunker.js';
import type { StreamPart } from '../../src/transfer/upload/chunker.js';

/** Splits `data` into pieces of irregular sizes (1 byte up to 3 parts' worth). */
function* irregularPieces(data: Buffer, partSize: number): Generator<Buffer> {
  const sizes = [1, partSize - 1, 3, partSize * 3, 7, partSize, 2];
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length] as number;
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

async function collect(parts: AsyncIterable<StreamPart>, pool: BufferPool): Promise<{ lengths: number[]; lasts: boolean[]; bytes: Buffer }> {
  const lengths: number[] = [];
  const lasts: boolean[] = [];
  const copies: Buffer[] = [];
  let expected = 1;
  for await (const part of parts) {
    assert.equal(part.partNumber, expected++);
    assert.equal(part.buffer.byteLength, pool.bufferSize, 'every part is a whole pool buffer');
    lengths.push(part.length);
    lasts.push(part.last);
    copies.push(Buffer.from(new Uint8Array(part.buffer, 0, part.length)));
    pool.release(part.buffer);
  }
  return { lengths, lasts, bytes: Buffer.concat(copies) };
}

test('irregular input becomes exact-size parts, the last smaller and flagged last', async () => {
  const partSize = 1000;
  for (const size of [1, partSize - 1, partSize, partSize + 1, 5 * partSize, 5 * partSize + 17]) {
    const data = randomBytes(size);
    const pool = new BufferPool(partSize, 2);
    const { lengths, lasts, bytes } = await collect(chunkStream(Readable.from(irregularPieces(data, partSize)), pool), pool);
    assert.ok(bytes.equals(data), `bytes for size ${size}`);
    const count = Math.ceil(size / partSize);
    assert.equal(lengths.length, count, `part count for size ${size}`);
    assert.ok(lengths.slice(0, -1).every((l) => l === partSize));
    assert.equal(lengths.at(-1), size - (count - 1) * partSize);
    assert.deepEqual(lasts, lengths.map((_, i) => i === count - 1));
    assert.equal(pool.outstanding, 0);
  }
});

test('an empty source yields no parts; strings are accepted as UTF-8', async () => {
  const pool = new BufferPool(8, 1);
  assert.deepEqual((await collect(chunkStream(Readable.from([]), pool), pool)).lengths, []);
  const { bytes } = await collect(chunkStream(Readable.from(['héllo', ' ', 'world!']), pool), pool);
  assert.equal(bytes.toString('utf8'), 'héllo world!');
  await assert.rejects(collect(chunkStream(Readable.from([42]), pool), pool), { code: 'ERR_GCS_INVALID_ARG' });
});

test('back-pressure: the source is not read past the pool budget while parts are held', async () => {
  const partSize = 100;
  const pool = new BufferPool(partSize, 3);
  let produced = 0;
  async function* source(): AsyncGenerator<Buffer> {
    for (let i = 0; i < 100; i++) {
      produced += 50;
      yield Buffer.alloc(50, i);
    }
  }
  const iterator = chunkStream(source(), pool)[Symbol.asyncIterator]();
  const held: StreamPart[] = [];
  for (let i = 0; i < 3; i++) held.push((await iterator.next()).value as StreamPart);
  const fourth = iterator.next();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(pool.outstanding, 3);
  // Three full parts plus the one-piece lookahead, nothing more.
  assert.ok(produced <= 3 * partSize + 50, `read ${produced} bytes`);
  pool.release(held[0]?.buffer);
  const part = (await fourth).value as StreamPart;
  assert.equal(part.partNumber, 4);
  await iterator.return();
  for (const p of [...held.slice(1), part]) pool.release(p.buffer);
  assert.equal(pool.outstanding, 0);
});

test('abort while waiting for the source rejects with AbortError and releases the held buffer', async () => {
  const pool = new BufferPool(100, 2);
  const source = new Readable({ read() {} });
  source.push(Buffer.alloc(10));
  const controller = new AbortController();
  const pending = collect(chunkStream(source, pool, { signal: controller.signal }), pool);
  setTimeout(() => controller.abort(), 10);
  await assert.rejects(pending, { name: 'AbortError' });
  assert.equal(pool.outstanding, 0);
  assert.equal(source.destroyed, true);
});

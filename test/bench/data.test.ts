import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { crc32c } from '../../src/checksum/crc32c.js';
import { seededBlocks, seededStream, writeSeededFile } from '../../bench/data.js';

test('seeded data is deterministic, seed-dependent and incompressible', () => {
  const a = Buffer.concat([...seededBlocks(300_000, 'x', 65_536)]);
  const b = Buffer.concat([...seededBlocks(300_000, 'x', 100_000)]);
  const c = Buffer.concat([...seededBlocks(300_000, 'y', 65_536)]);
  assert.equal(a.length, 300_000);
  assert.deepEqual(a, b, 'the block size must not change the bytes');
  assert.notDeepEqual(a, c);
  assert.ok(gzipSync(a).length > a.length * 0.99, 'gzip must not shrink the payload');
});

test('the seeded file, its returned CRC32C and the seeded stream agree byte for byte', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-data-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'payload.bin');
  const size = 5 * 1024 * 1024 + 123;
  const crc = await writeSeededFile(path, size, 'file');
  const file = await readFile(path);
  assert.equal(file.length, size);
  assert.equal(crc, crc32c(file));
  const chunks: Buffer[] = [];
  for await (const chunk of seededStream(size, 'file')) chunks.push(chunk as Buffer);
  assert.deepEqual(Buffer.concat(chunks), file);
});

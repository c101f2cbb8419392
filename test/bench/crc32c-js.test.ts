import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '../../src/checksum/crc32c.js';
import { crc32cJs } from '../../bench/crc32c-js.js';
import { seededBlocks } from '../../bench/data.js';

test('pure-JS CRC32C gives the Castagnoli check value', () => {
  assert.equal(crc32cJs(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32cJs(new Uint8Array(0)), 0);
});

test('pure-JS CRC32C equals the native one at every length and alignment around the 8-byte stride', () => {
  const data = seededBlocks(4096, 'crc-js', 4096).next().value as Buffer;
  for (let offset = 0; offset < 9; offset++) {
    for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4000]) {
      const slice = data.subarray(offset, offset + length);
      assert.equal(crc32cJs(slice), crc32c(slice), `offset ${offset}, length ${length}`);
    }
  }
});

test('pure-JS CRC32C chains through `initial` like the native one', () => {
  const data = seededBlocks(10_000, 'crc-chain', 10_000).next().value as Buffer;
  const whole = crc32c(data);
  assert.equal(crc32cJs(data.subarray(3333), crc32cJs(data.subarray(0, 3333))), whole);
});

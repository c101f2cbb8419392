import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Crc32cHasher, crc32c, crc32cFromBase64, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { CHECKSUM_VECTORS } from './checksum-vectors.js';

test('crc32c matches the google-resumable-media vectors (big-endian base64)', () => {
  for (const { data, crc32c: expected } of CHECKSUM_VECTORS) {
    assert.equal(crc32cToBase64(crc32c(data)), expected, `crc32c of ${JSON.stringify(data.toString())}`);
  }
});

test('md5 (node:crypto) matches the google-resumable-media vectors', () => {
  for (const { data, md5 } of CHECKSUM_VECTORS) {
    assert.equal(createHash('md5').update(data).digest('base64'), md5);
  }
});

test('empty input: crc32c AAAAAA==, md5 1B2M2Y8AsgTpgAmY7PhCfg==', () => {
  assert.equal(crc32cToBase64(crc32c(new Uint8Array(0))), 'AAAAAA==');
  assert.equal(createHash('md5').update(new Uint8Array(0)).digest('base64'), '1B2M2Y8AsgTpgAmY7PhCfg==');
});

test('crc32c of the standard check string "123456789" is 0xE3069283', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test('chaining through `initial` equals hashing the concatenation, also for non-Buffer views', () => {
  const data = Buffer.from('All of the data goes in a stream.');
  const view = new Uint8Array(data.buffer, data.byteOffset + 5, 10);
  assert.equal(crc32c(data.subarray(5, 15)), crc32c(view));
  for (let split = 0; split <= data.length; split++) {
    assert.equal(crc32c(data.subarray(split), crc32c(data.subarray(0, split))), crc32c(data));
  }
});

test('crc32cFromBase64 round-trips and rejects anything that is not 4 bytes', () => {
  for (const value of [0, 1, 0xffffffff, 0x8a163ac0]) assert.equal(crc32cFromBase64(crc32cToBase64(value)), value);
  assert.equal(crc32cFromBase64('ihY6wA=='), 0x8a163ac0);
  for (const bad of ['', 'ihY6wA', 'ihY6wA=', 'ihY6wAAA', 'ihY6w!==', '1B2M2Y8AsgTpgAmY7PhCfg==']) {
    assert.equal(crc32cFromBase64(bad), undefined, bad);
  }
});

test('Crc32cHasher tracks value and length incrementally', () => {
  const hasher = new Crc32cHasher();
  assert.equal(hasher.digestBase64(), 'AAAAAA==');
  hasher.update(Buffer.from('H')).update(Buffer.from('i'));
  assert.equal(hasher.digestBase64(), 'ihY6wA==');
  assert.equal(hasher.length, 2);
  assert.equal(hasher.value, crc32c(Buffer.from('Hi')));
});

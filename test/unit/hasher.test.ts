import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHasher, metadataKey, type ChecksumType } from '../../src/checksum/hasher.js';
import { CHECKSUM_VECTORS } from './checksum-vectors.js';

test('createHasher(md5 | crc32c) digests the google-resumable-media vectors, fed in two pieces', () => {
  for (const { data, md5, crc32c } of CHECKSUM_VECTORS) {
    for (const [type, expected] of [['md5', md5], ['crc32c', crc32c]] as const) {
      const hasher = createHasher(type);
      assert.ok(hasher);
      hasher.update(data.subarray(0, 3));
      hasher.update(data.subarray(3));
      assert.equal(hasher.digest(), expected, `${type} of ${data.toString()}`);
    }
  }
});

test('digest can be taken repeatedly and hashing can continue afterwards', () => {
  for (const type of ['md5', 'crc32c'] as const) {
    const hasher = createHasher(type);
    assert.ok(hasher);
    hasher.update(Buffer.from('H'));
    const partial = hasher.digest();
    assert.equal(hasher.digest(), partial);
    hasher.update(Buffer.from('i'));
    assert.equal(hasher.digest(), type === 'md5' ? 'waUpj5Oeh+j5YqXt/CBpGA==' : 'ihY6wA==');
  }
});

test('empty input digests', () => {
  assert.equal(createHasher('md5')?.digest(), '1B2M2Y8AsgTpgAmY7PhCfg==');
  assert.equal(createHasher('crc32c')?.digest(), 'AAAAAA==');
});

test('null means no hasher; anything else is an InvalidArgumentError naming `checksum`', () => {
  assert.equal(createHasher(null), undefined);
  for (const bad of ['sha1', 'MD5', '', undefined, 5]) {
    assert.throws(() => createHasher(bad as unknown as ChecksumType), {
      code: 'ERR_GCS_INVALID_ARG',
      message: /`checksum` to be 'md5', 'crc32c' or null/,
    });
  }
});

test('metadataKey maps md5 to md5Hash and crc32c to itself', () => {
  assert.equal(metadataKey('md5'), 'md5Hash');
  assert.equal(metadataKey('crc32c'), 'crc32c');
});

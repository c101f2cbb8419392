import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidResponse } from '../../src/errors.js';
import { formatGoogHash, parseGoogHash } from '../../src/checksum/goog-hash.js';

const CRC = 'n03x6A==';
const MD5 = 'Ojk9c3dhfxgoKVVHYwFbHQ==';

test('missing or empty header → undefined', () => {
  assert.equal(parseGoogHash(undefined, 'md5'), undefined);
  assert.equal(parseGoogHash('', 'crc32c'), undefined);
  assert.equal(parseGoogHash([], 'crc32c'), undefined);
});

test('single checksum headers', () => {
  assert.equal(parseGoogHash(`crc32c=${CRC}`, 'crc32c'), CRC);
  assert.equal(parseGoogHash(`crc32c=${CRC}`, 'md5'), undefined);
  assert.equal(parseGoogHash(`md5=${MD5}`, 'md5'), MD5);
  assert.equal(parseGoogHash(`md5=${MD5}`, 'crc32c'), undefined);
});

test('both checksums, "," and ", " separated (two headers joined), in either order', () => {
  for (const header of [`crc32c=${CRC},md5=${MD5}`, `crc32c=${CRC}, md5=${MD5}`, `md5=${MD5}, crc32c=${CRC}`]) {
    assert.equal(parseGoogHash(header, 'crc32c'), CRC, header);
    assert.equal(parseGoogHash(header, 'md5'), MD5, header);
  }
});

test('an array of repeated headers is parsed like the joined header', () => {
  const headers = [`crc32c=${CRC}`, `md5=${MD5}`];
  assert.equal(parseGoogHash(headers, 'crc32c'), CRC);
  assert.equal(parseGoogHash(headers, 'md5'), MD5);
});

test('values are split on the first "=" only, so base64 padding survives', () => {
  assert.equal(parseGoogHash('md5=a==', 'md5'), 'a==');
});

test('a name is compared exactly after left-trimming; the value is not trimmed', () => {
  assert.equal(parseGoogHash(`  md5=${MD5} `, 'md5'), `${MD5} `);
  assert.equal(parseGoogHash(`MD5=${MD5}`, 'md5'), undefined);
  assert.equal(parseGoogHash(`md5 =${MD5}`, 'md5'), undefined);
});

test('duplicate values → InvalidResponse with the Python message, the header and the values', () => {
  const header = `md5=${MD5},md5=other==`;
  const context = { status: 200, headers: { 'x-goog-hash': header } };
  assert.throws(
    () => parseGoogHash(header, 'md5', context),
    (error: unknown) => {
      assert.ok(error instanceof InvalidResponse);
      assert.equal(error.code, 'ERR_GCS_INVALID_RESPONSE');
      assert.ok(error.message.startsWith('X-Goog-Hash header had multiple ``md5`` values.'), error.message);
      assert.ok(error.message.includes(header));
      assert.ok(error.message.includes(JSON.stringify([MD5, 'other=='])));
      assert.equal(error.status, 200);
      assert.equal(error.headers?.['x-goog-hash'], header);
      assert.equal(error.retryable, false);
      return true;
    },
  );
  // Only the asked-for type is ambiguous: the crc32c of that header is simply absent.
  assert.equal(parseGoogHash(header, 'crc32c'), undefined);
  assert.throws(() => parseGoogHash([`crc32c=${CRC}`, `crc32c=${CRC}`], 'crc32c'), /multiple ``crc32c`` values/);
});

test('a piece without "=" is a malformed header (InvalidResponse)', () => {
  assert.throws(() => parseGoogHash(`crc32c=${CRC},garbage`, 'crc32c'), {
    code: 'ERR_GCS_INVALID_RESPONSE',
    message: /piece "garbage" has no "="/,
  });
});

test('formatGoogHash writes crc32c first, comma-separated, and parses back', () => {
  assert.equal(formatGoogHash({ crc32c: CRC }), `crc32c=${CRC}`);
  assert.equal(formatGoogHash({ md5: MD5 }), `md5=${MD5}`);
  const both = formatGoogHash({ md5: MD5, crc32c: CRC });
  assert.equal(both, `crc32c=${CRC},md5=${MD5}`);
  assert.equal(parseGoogHash(both, 'md5'), MD5);
  assert.throws(() => formatGoogHash({}), { code: 'ERR_GCS_INVALID_ARG' });
});

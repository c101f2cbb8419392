import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatObjectRef, parseObjectRef } from '../../src/transfer/object-ref.js';

test('gs:// URLs keep everything after the bucket literally', () => {
  assert.deepEqual(parseObjectRef('gs://my-bucket/dir/a b#c%20?.bin'), {
    bucket: 'my-bucket',
    name: 'dir/a b#c%20?.bin',
  });
  assert.deepEqual(parseObjectRef('gs://b.with.dots/ünïcødé/ファイル'), {
    bucket: 'b.with.dots',
    name: 'ünïcødé/ファイル',
  });
});

test('object references are validated and generations normalized to decimal strings', () => {
  assert.deepEqual(parseObjectRef({ bucket: 'bkt', name: 'x', generation: 17 }), {
    bucket: 'bkt',
    name: 'x',
    generation: '17',
  });
  assert.deepEqual(parseObjectRef({ bucket: 'bkt', name: 'x', generation: '1700000000000001' }).generation, '1700000000000001');
  assert.equal(formatObjectRef({ bucket: 'bkt', name: 'a/b' }), 'gs://bkt/a/b');
});

test('bad references are InvalidArgumentErrors that name the option and the value', () => {
  const cases: [unknown, RegExp][] = [
    ['s3://bkt/x', /`source` to look like `gs:\/\/bucket\/object`.*s3:\/\/bkt\/x/],
    ['gs://bkt', /gs:\/\/bucket\/object/],
    ['gs://bkt/', /`source.name`/],
    ['gs://Upper/x', /`source.bucket`.*Upper/],
    ['gs://ab/x', /`source.bucket`/],
    [{ bucket: 'bkt', name: 'x', generation: 'latest' }, /`source.generation`.*latest/],
    [{ bucket: 'bkt', name: 'line\nbreak' }, /CR or LF/],
    [{ bucket: 'bkt', name: 'x'.repeat(1025) }, /1024 bytes/],
    [42, /`source`.*42/],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => parseObjectRef(value), { code: 'ERR_GCS_INVALID_ARG', message }, String(value));
  }
  assert.throws(() => parseObjectRef('nope', 'destination'), { message: /`destination`/ });
});

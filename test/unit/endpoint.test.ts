import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ENDPOINT, GcsEndpoint } from '../../src/transport/endpoint.js';

const NO_ENV = {};
const prod = new GcsEndpoint(undefined, NO_ENV);

test('default endpoint is production over https, not an emulator', () => {
  assert.equal(prod.url, DEFAULT_ENDPOINT);
  assert.equal(prod.url, 'https://storage.googleapis.com');
  assert.equal(prod.isEmulator, false);
  assert.equal(prod.secure, true);
});

test('JSON API URLs', () => {
  assert.equal(prod.objectMetadataUrl('bkt', 'obj'), 'https://storage.googleapis.com/storage/v1/b/bkt/o/obj');
  assert.equal(prod.mediaUrl('bkt', 'obj'), 'https://storage.googleapis.com/download/storage/v1/b/bkt/o/obj?alt=media');
  assert.equal(
    prod.mediaUrl('bkt', 'obj', { generation: '1700000000000001' }),
    'https://storage.googleapis.com/download/storage/v1/b/bkt/o/obj?alt=media&generation=1700000000000001',
  );
  assert.equal(prod.mediaUrl('bkt', 'obj', { generation: 12n }).endsWith('&generation=12'), true);
  assert.equal(prod.uploadUrl('bkt', 'multipart'), 'https://storage.googleapis.com/upload/storage/v1/b/bkt/o?uploadType=multipart');
  assert.equal(
    prod.uploadUrl('bkt', 'resumable', { name: 'a/b c', ifGenerationMatch: 0 }),
    'https://storage.googleapis.com/upload/storage/v1/b/bkt/o?uploadType=resumable&name=a%2Fb%20c&ifGenerationMatch=0',
  );
  assert.equal(prod.uploadUrl('bkt', 'media', { name: 'x' }), 'https://storage.googleapis.com/upload/storage/v1/b/bkt/o?uploadType=media&name=x');
});

test('XML API URLs are path style, with "/" kept as a separator and no query', () => {
  assert.equal(prod.xmlObjectUrl('bkt', 'dir/sub/file.bin'), 'https://storage.googleapis.com/bkt/dir/sub/file.bin');
});

/** name → [JSON path segment, XML path]. */
const NAMES: [string, string, string][] = [
  ['a/b', 'a%2Fb', 'a/b'],
  ['with space', 'with%20space', 'with%20space'],
  ['hash#tag', 'hash%23tag', 'hash%23tag'],
  ['100%', '100%25', '100%25'],
  ['a+b', 'a%2Bb', 'a%2Bb'],
  ['what?x=1', 'what%3Fx%3D1', 'what%3Fx%3D1'],
  ['café/日本', 'caf%C3%A9%2F%E6%97%A5%E6%9C%AC', 'caf%C3%A9/%E6%97%A5%E6%9C%AC'],
  ['emoji😀', 'emoji%F0%9F%98%80', 'emoji%F0%9F%98%80'],
  ["it's(*)!", 'it%27s%28%2A%29%21', 'it%27s%28%2A%29%21'],
  ['unreserved-._~', 'unreserved-._~', 'unreserved-._~'],
  ['..', '%2E%2E', '%2E%2E'],
  ['a/../b', 'a%2F..%2Fb', 'a/%2E%2E/b'],
  ['./x', '.%2Fx', '%2E/x'],
  ['trailing/', 'trailing%2F', 'trailing/'],
  ['//double', '%2F%2Fdouble', '//double'],
];

test('object names are percent-encoded in every URL', () => {
  for (const [name, json, xml] of NAMES) {
    assert.equal(prod.objectMetadataUrl('b', name), `https://storage.googleapis.com/storage/v1/b/b/o/${json}`, name);
    assert.equal(prod.mediaUrl('b', name), `https://storage.googleapis.com/download/storage/v1/b/b/o/${json}?alt=media`, name);
    assert.equal(prod.uploadUrl('b', 'media', { name }).endsWith(`&name=${json}`), true, name);
    assert.equal(prod.xmlObjectUrl('b', name), `https://storage.googleapis.com/b/${xml}`, name);
  }
});

test('encoded names decode back to the original (what a server sees)', () => {
  for (const [name] of NAMES) {
    const json = prod.objectMetadataUrl('b', name).split('/o/')[1] as string;
    assert.equal(decodeURIComponent(json), name);
    const xml = prod.xmlObjectUrl('b', name).slice('https://storage.googleapis.com/b/'.length);
    assert.equal(xml.split('/').map(decodeURIComponent).join('/'), name);
  }
});

test('explicit endpoint: trailing slashes and /storage/v1 stripped; http allowed; a bare host:port is http', () => {
  assert.equal(new GcsEndpoint('https://gcs.internal:8443/', NO_ENV).url, 'https://gcs.internal:8443');
  assert.equal(new GcsEndpoint('http://127.0.0.1:9023/storage/v1/', NO_ENV).url, 'http://127.0.0.1:9023');
  assert.equal(new GcsEndpoint('http://127.0.0.1:9023/prefix', NO_ENV).url, 'http://127.0.0.1:9023/prefix');
  const bare = new GcsEndpoint('localhost:4443', NO_ENV);
  assert.equal(bare.url, 'http://localhost:4443');
  assert.equal(bare.isEmulator, false);
  assert.equal(bare.secure, false);
});

test('STORAGE_EMULATOR_HOST is honoured like @google-cloud/storage (and marks the endpoint as an emulator)', () => {
  const cases: [string, string][] = [
    ['http://127.0.0.1:9023', 'http://127.0.0.1:9023'],
    ['127.0.0.1:9023', 'http://127.0.0.1:9023'],
    ['http://localhost:4443/storage/v1', 'http://localhost:4443'],
    ['http://localhost:4443/storage/v1/', 'http://localhost:4443'],
    ['https://emulator.test', 'https://emulator.test'],
  ];
  for (const [value, base] of cases) {
    const endpoint = new GcsEndpoint(undefined, { STORAGE_EMULATOR_HOST: value });
    assert.equal(endpoint.url, base, value);
    assert.equal(endpoint.isEmulator, true, value);
  }
  const emulator = new GcsEndpoint(undefined, { STORAGE_EMULATOR_HOST: 'localhost:9000' });
  assert.equal(emulator.xmlObjectUrl('b', 'o'), 'http://localhost:9000/b/o');
  assert.equal(emulator.mediaUrl('b', 'o'), 'http://localhost:9000/download/storage/v1/b/b/o/o?alt=media');
  // An explicit endpoint wins over the environment; an empty variable is ignored.
  const explicit = new GcsEndpoint('https://storage.googleapis.com', { STORAGE_EMULATOR_HOST: 'localhost:9000' });
  assert.equal(explicit.url, 'https://storage.googleapis.com');
  assert.equal(explicit.isEmulator, false);
  assert.equal(new GcsEndpoint(undefined, { STORAGE_EMULATOR_HOST: '' }).url, DEFAULT_ENDPOINT);
});

test('bad arguments throw InvalidArgumentError naming the argument and value', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => prod.mediaUrl('', 'o'), /`bucket`.*non-empty string/],
    [() => prod.mediaUrl('b', ''), /`name`.*non-empty string/],
    [() => prod.xmlObjectUrl('b', 5 as unknown as string), /`name`.*`5` \(number\)/],
    [() => prod.mediaUrl('b', 'bad\uD800'), /`name`.*lone surrogate/],
    [() => prod.mediaUrl('b', 'o', { generation: '12a' }), /`generation`.*decimal integer.*12a/],
    [() => prod.mediaUrl('b', 'o', { generation: -1 }), /`generation`/],
    [() => prod.mediaUrl('b', 'o', { generation: 2 ** 60 }), /`generation`/],
    [() => prod.uploadUrl('b', 'resumable', { ifGenerationMatch: 1.5 }), /`ifGenerationMatch`/],
    [() => prod.uploadUrl('b', 'chunked' as 'media'), /`uploadType`.*chunked/],
    [() => new GcsEndpoint('', NO_ENV), /`endpoint`/],
    [() => new GcsEndpoint('ftp://host', NO_ENV), /`endpoint`.*http\(s\)/],
    [() => new GcsEndpoint('https://user:pw@host', NO_ENV), /`endpoint`.*without query, fragment or credentials/],
    [() => new GcsEndpoint('https://host/?q=1', NO_ENV), /`endpoint`/],
    [() => new GcsEndpoint(undefined, { STORAGE_EMULATOR_HOST: 'http://[bad' }), /`STORAGE_EMULATOR_HOST`/],
  ];
  for (const [fn, message] of cases) assert.throws(fn, { code: 'ERR_GCS_INVALID_ARG', message });
  // Credentials in a rejected endpoint are not echoed.
  assert.throws(() => new GcsEndpoint('https://user:pw@host', NO_ENV), (error: Error) => !error.message.includes('pw'));
});

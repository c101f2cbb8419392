/** Bucket list, patch and delete on the JSON API, bucket HEAD/PUT/DELETE on the XML API, and 501s. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, useEmulator } from './helpers.js';

test('buckets: list (prefix, paging), patch labels (metageneration), delete only when empty (409)', async (t) => {
  const emulator = await useEmulator(t);
  for (const name of ['b-one', 'b-two', 'other']) {
    assert.equal((await call(`${emulator.url}/storage/v1/b?project=p`, { method: 'POST', body: JSON.stringify({ name }) })).status, 200);
  }
  const listed = (await call(`${emulator.url}/storage/v1/b?project=p`)).json();
  assert.equal(listed.kind, 'storage#buckets');
  assert.deepEqual(listed.items.map((b: { name: string }) => b.name), ['b-one', 'b-two', 'other']);
  const page = (await call(`${emulator.url}/storage/v1/b?project=p&prefix=b-&maxResults=1`)).json();
  assert.deepEqual(page.items.map((b: { name: string }) => b.name), ['b-one']);
  const rest = (await call(`${emulator.url}/storage/v1/b?project=p&prefix=b-&pageToken=${page.nextPageToken}`)).json();
  assert.deepEqual(rest.items.map((b: { name: string }) => b.name), ['b-two']);
  assert.equal(rest.nextPageToken, undefined);

  const patched = await call(`${emulator.url}/storage/v1/b/b-one`, { method: 'PATCH', body: JSON.stringify({ labels: { env: 'ci', team: 'x' } }) });
  assert.equal(patched.status, 200, patched.text);
  assert.deepEqual(patched.json().labels, { env: 'ci', team: 'x' });
  assert.equal(patched.json().metageneration, '2');
  const unlabelled = (await call(`${emulator.url}/storage/v1/b/b-one`, { method: 'PATCH', body: JSON.stringify({ labels: { team: null } }) })).json();
  assert.deepEqual(unlabelled.labels, { env: 'ci' });
  assert.equal((await call(`${emulator.url}/storage/v1/b/b-one?ifMetagenerationMatch=1`, { method: 'PATCH', body: '{}' })).status, 412);

  await emulator.putObject('b-one', 'o', 'x');
  const busy = await call(`${emulator.url}/storage/v1/b/b-one`, { method: 'DELETE' });
  assert.equal(busy.status, 409);
  assert.match(busy.text, /not empty/);
  await call(`${emulator.url}/storage/v1/b/b-one/o/o`, { method: 'DELETE' });
  assert.equal((await call(`${emulator.url}/storage/v1/b/b-one`, { method: 'DELETE' })).status, 204);
  assert.equal((await call(`${emulator.url}/storage/v1/b/b-one`, { method: 'DELETE' })).status, 404);
  assert.equal((await call(`${emulator.url}/storage/v1/b/b-one`)).status, 404, 'a deleted bucket does not come back on GET');
  assert.equal((await call(`${emulator.url}/storage/v1/b/never-made`)).status, 404);
  assert.deepEqual((await call(`${emulator.url}/storage/v1/b?project=p`)).json().items.map((b: { name: string }) => b.name), ['b-two', 'other']);
});

test('XML buckets: HEAD, PUT (409 when it exists), DELETE (409 when not empty)', async (t) => {
  const emulator = await useEmulator(t);
  assert.equal((await call(`${emulator.url}/xml-bkt`, { method: 'HEAD' })).status, 404);
  assert.equal((await call(`${emulator.url}/xml-bkt`, { method: 'PUT' })).status, 200);
  assert.equal((await call(`${emulator.url}/xml-bkt`, { method: 'HEAD' })).status, 200);
  assert.match((await call(`${emulator.url}/xml-bkt`, { method: 'PUT' })).text, /<Code>BucketAlreadyOwnedByYou<\/Code>/);
  await emulator.putObject('xml-bkt', 'o', 'x');
  assert.match((await call(`${emulator.url}/xml-bkt`, { method: 'DELETE' })).text, /<Code>BucketNotEmpty<\/Code>/);
  await call(`${emulator.url}/xml-bkt/o`, { method: 'DELETE' });
  assert.equal((await call(`${emulator.url}/xml-bkt/`, { method: 'DELETE' })).status, 204);
});

test('anything not implemented answers 501 with a GCS error naming the operation, never 404', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', 'x');
  const cases: [string, Parameters<typeof call>[1], RegExp][] = [
    ['/storage/v1/b/bkt/o/o/acl', { method: 'POST', body: '{}' }, /POST object acl/],
    ['/storage/v1/b/bkt/iam', {}, /GET \/storage\/v1\/b\/\{bucket\}\/iam/],
    ['/storage/v1/projects/p/serviceAccount', {}, /serviceAccount/],
    ['/storage/v1/b/bkt/o', { method: 'POST', body: '{}' }, /objects\.insert without media/],
    ['/bkt?cors', {}, /GET \/\{bucket\}\?cors/],
    ['/bkt/o?acl', { method: 'PUT', body: '' }, /PUT \/\{bucket\}\/\{object\}\?acl/],
    ['/', {}, /list buckets on the XML API/],
    ['/bkt/o', { method: 'POST', body: '' }, /form upload/],
  ];
  for (const [path, options, operation] of cases) {
    const response = await call(`${emulator.url}${path}`, options);
    assert.equal(response.status, 501, path);
    assert.match(response.text, operation, path);
    assert.match(response.text, path.startsWith('/storage') ? /"reason":"notImplemented"/ : /<Code>NotImplemented<\/Code>/, path);
  }
  assert.equal(emulator.metrics.snapshot().requests['not-implemented'], cases.length);
});

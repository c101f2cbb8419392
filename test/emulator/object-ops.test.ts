/**
 * Object operations that create objects from objects (copyTo, rewriteTo, compose, moveTo) and metadata
 * updates (PATCH, PUT), on the JSON API, plus XML copies with x-goog-copy-source.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32c, crc32cToBase64 } from '../../src/checksum/crc32c.js';
import { bytes, call, jsonObjectUrl, useEmulator } from './helpers.js';

const MiB = 1024 * 1024;
const json = (body: unknown) => ({ method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('copyTo: same bytes and hashes under a new name; source metadata kept unless the body sets it; hard links, not copies', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(3 * MiB + 5, 31);
  await emulator.putObject('bkt', 'src', data, { contentType: 'text/x-src', metadata: { a: '1' } });
  const base = `${emulator.url}/storage/v1/b/bkt/o/src/copyTo/b/other/o/${encodeURIComponent('dir/copy')}`;
  const copied = await call(base, { method: 'POST' });
  assert.equal(copied.status, 200, copied.text);
  const resource = copied.json();
  assert.equal(resource.name, 'dir/copy');
  assert.equal(resource.bucket, 'other');
  assert.equal(resource.contentType, 'text/x-src');
  assert.deepEqual(resource.metadata, { a: '1' });
  assert.equal(resource.crc32c, crc32cToBase64(crc32c(data)));
  assert.deepEqual((await call(`${emulator.url}/other/dir/copy`)).body, data);
  // The copy shares the source's inode: nothing was copied.
  const links = readdirSync(join(emulator.dir, 'objects')).filter((f) => !f.endsWith('.json')).map((f) => statSync(join(emulator.dir, 'objects', f)).nlink);
  assert.deepEqual(links, [2, 2]);
  const overridden = await call(base, json({ contentType: 'text/plain', metadata: { b: '2' } }));
  assert.equal(overridden.json().contentType, 'text/plain');
  assert.deepEqual(overridden.json().metadata, { a: '1', b: '2' });
  // Deleting the source leaves the copy intact.
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'src'), { method: 'DELETE' })).status, 204);
  assert.deepEqual((await call(`${emulator.url}/other/dir/copy`)).body, data);
  assert.equal(emulator.metrics.snapshot().requests.copy, 2);
});

test('copyTo preconditions: ifGenerationMatch=0 on the destination, ifSourceGenerationMatch on the source, sourceGeneration', async (t) => {
  const emulator = await useEmulator(t);
  const src = await emulator.putObject('bkt', 'src', 'source');
  await emulator.putObject('bkt', 'dst', 'existing');
  const url = `${emulator.url}/storage/v1/b/bkt/o/src/copyTo/b/bkt/o/dst`;
  assert.equal((await call(`${url}?ifGenerationMatch=0`, { method: 'POST' })).status, 412);
  assert.equal((await call(`${url}?ifSourceGenerationMatch=1`, { method: 'POST' })).status, 412);
  assert.equal((await call(`${url}?sourceGeneration=1`, { method: 'POST' })).status, 404);
  assert.equal((await call(`${emulator.url}/bkt/dst`)).text, 'existing');
  const ok = await call(`${url}?ifSourceGenerationMatch=${src.generation}&sourceGeneration=${src.generation}`, { method: 'POST' });
  assert.equal(ok.status, 200);
  assert.equal((await call(`${emulator.url}/bkt/dst`)).text, 'source');
  assert.equal((await call(`${emulator.url}/storage/v1/b/bkt/o/nothing/copyTo/b/bkt/o/x`, { method: 'POST' })).status, 404);
});

test('rewriteTo: maxBytesRewrittenPerCall makes several calls with a rewriteToken; the result is byte-exact', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(5 * MiB + 123, 32);
  await emulator.putObject('bkt', 'big', data, { contentType: 'application/x-big' });
  const url = `${emulator.url}/storage/v1/b/bkt/o/big/rewriteTo/b/dest/o/copy?maxBytesRewrittenPerCall=${2 * MiB}`;
  const progress: string[] = [];
  let token: string | undefined;
  let last: any;
  for (let calls = 0; calls < 10; calls += 1) {
    const response = await call(`${url}${token ? `&rewriteToken=${encodeURIComponent(token)}` : ''}`, { method: 'POST' });
    assert.equal(response.status, 200, response.text);
    last = response.json();
    assert.equal(last.kind, 'storage#rewriteResponse');
    assert.equal(last.objectSize, String(data.length));
    progress.push(last.totalBytesRewritten);
    if (last.done) break;
    token = last.rewriteToken;
    assert.ok(token);
    // Not visible until the last call.
    assert.equal((await call(jsonObjectUrl(emulator, 'dest', 'copy'))).status, 404);
  }
  assert.deepEqual(progress, [String(2 * MiB), String(4 * MiB), String(data.length)]);
  assert.equal(last.resource.name, 'copy');
  assert.equal(last.resource.contentType, 'application/x-big');
  assert.equal(last.resource.crc32c, crc32cToBase64(crc32c(data)));
  assert.deepEqual((await call(`${emulator.url}/dest/copy`)).body, data);
  assert.equal(readdirSync(join(emulator.dir, 'tmp')).length, 0, 'pinned source files end with the rewrite');
});

test('rewriteTo: one call without the limit; bad limits and foreign tokens are 400s', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'a', bytes(3 * MiB, 33));
  const one = (await call(`${emulator.url}/storage/v1/b/bkt/o/a/rewriteTo/b/bkt/o/b`, { method: 'POST' })).json();
  assert.equal(one.done, true);
  assert.equal(one.totalBytesRewritten, String(3 * MiB));
  assert.equal((await call(`${emulator.url}/storage/v1/b/bkt/o/a/rewriteTo/b/bkt/o/b?maxBytesRewrittenPerCall=1000`, { method: 'POST' })).status, 400);
  const first = (await call(`${emulator.url}/storage/v1/b/bkt/o/a/rewriteTo/b/bkt/o/c?maxBytesRewrittenPerCall=${MiB}`, { method: 'POST' })).json();
  assert.equal(first.done, false);
  const foreign = await call(`${emulator.url}/storage/v1/b/bkt/o/a/rewriteTo/b/bkt/o/other?rewriteToken=${first.rewriteToken}`, { method: 'POST' });
  assert.equal(foreign.status, 400);
  // The source may change mid-rewrite: the rewrite finishes with the bytes it started from.
  await emulator.putObject('bkt', 'a', 'changed');
  const rest = (await call(`${emulator.url}/storage/v1/b/bkt/o/a/rewriteTo/b/bkt/o/c?maxBytesRewrittenPerCall=${2 * MiB}&rewriteToken=${first.rewriteToken}`, { method: 'POST' })).json();
  assert.equal(rest.done, true);
  assert.deepEqual((await call(`${emulator.url}/bkt/c`)).body, bytes(3 * MiB, 33));
});

test('compose: ≤ 32 sources concatenated, CRC32C combined, componentCount summed, no MD5; ranged reads across components', async (t) => {
  const emulator = await useEmulator(t);
  const parts = [bytes(1000, 1), bytes(MiB + 7, 2), bytes(1, 3)];
  for (const [i, part] of parts.entries()) await emulator.putObject('bkt', `p${i}`, part);
  const url = `${emulator.url}/storage/v1/b/bkt/o/${encodeURIComponent('out/all')}/compose`;
  const composed = await call(url, json({ sourceObjects: parts.map((_, i) => ({ name: `p${i}` })), destination: { contentType: 'text/x-composed' } }));
  assert.equal(composed.status, 200, composed.text);
  const whole = Buffer.concat(parts);
  const resource = composed.json();
  assert.equal(resource.componentCount, 3);
  assert.equal(resource.md5Hash, undefined);
  assert.equal(resource.size, String(whole.length));
  assert.equal(resource.crc32c, crc32cToBase64(crc32c(whole)));
  assert.equal(resource.contentType, 'text/x-composed');
  assert.deepEqual((await call(`${emulator.url}/bkt/out/all`)).body, whole);
  const ranged = await call(`${emulator.url}/bkt/out/all`, { headers: { range: 'bytes=990-1010' } });
  assert.equal(ranged.status, 206);
  assert.deepEqual(ranged.body, whole.subarray(990, 1011));
  // Composing a composite adds its components; the destination may be one of its sources (append).
  const again = await call(url, json({ sourceObjects: [{ name: 'out/all' }, { name: 'p0' }] }));
  assert.equal(again.json().componentCount, 4);
  assert.deepEqual((await call(`${emulator.url}/bkt/out/all`)).body, Buffer.concat([whole, parts[0] as Buffer]));
  // Limits and failures.
  const tooMany = await call(url, json({ sourceObjects: Array.from({ length: 33 }, () => ({ name: 'p0' })) }));
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.text, /32/);
  assert.equal((await call(url, json({ sourceObjects: [{ name: 'missing' }] }))).status, 404);
  assert.equal((await call(url, json({ sourceObjects: [{ name: 'p0', objectPreconditions: { ifGenerationMatch: 1 } }] }))).status, 412);
  assert.equal((await call(`${url}?ifGenerationMatch=0`, json({ sourceObjects: [{ name: 'p0' }] }))).status, 412);
});

test('moveTo renames within a bucket: the source is gone, the destination has its bytes', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'from', 'moving', { metadata: { k: 'v' } });
  const moved = await call(`${emulator.url}/storage/v1/b/bkt/o/from/moveTo/o/${encodeURIComponent('to/here')}`, { method: 'POST' });
  assert.equal(moved.status, 200, moved.text);
  assert.equal(moved.json().name, 'to/here');
  assert.deepEqual(moved.json().metadata, { k: 'v' });
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'from'))).status, 404);
  assert.equal((await call(`${emulator.url}/bkt/to/here`)).text, 'moving');
  assert.equal((await call(`${emulator.url}/storage/v1/b/bkt/o/from/moveTo/o/x`, { method: 'POST' })).status, 404);
});

test('PATCH merges metadata (null removes), PUT replaces it; metageneration and ETag change, bytes do not', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', 'bytes', { contentType: 'text/plain', metadata: { a: '1', b: '2' } });
  const url = jsonObjectUrl(emulator, 'bkt', 'o');
  const before = (await call(url)).json();
  const patched = await call(url, { method: 'PATCH', body: JSON.stringify({ metadata: { b: null, c: '3' }, cacheControl: 'no-cache' }) });
  assert.equal(patched.status, 200, patched.text);
  const after = patched.json();
  assert.deepEqual(after.metadata, { a: '1', c: '3' });
  assert.equal(after.cacheControl, 'no-cache');
  assert.equal(after.contentType, 'text/plain');
  assert.equal(after.generation, before.generation);
  assert.equal(after.metageneration, '2');
  assert.notEqual(after.etag, before.etag);
  const replaced = (await call(url, { method: 'PUT', body: JSON.stringify({ contentType: 'application/json' }) })).json();
  assert.equal(replaced.metadata, undefined);
  assert.equal(replaced.cacheControl, undefined);
  assert.equal(replaced.metageneration, '3');
  assert.equal((await call(`${emulator.url}/bkt/o`)).text, 'bytes');
  // Preconditions: metageneration and ETag.
  assert.equal((await call(`${url}?ifMetagenerationMatch=1`, { method: 'PATCH', body: '{}' })).status, 412);
  assert.equal((await call(url, { method: 'PATCH', headers: { 'if-match': before.etag }, body: '{}' })).status, 412);
  assert.equal((await call(url, { method: 'PATCH', headers: { 'if-match': replaced.etag }, body: '{}' })).status, 200);
  assert.equal((await call(url, { method: 'PATCH', body: '{"metadata": 5}' })).status, 400);
});

test('XML x-goog-copy-source copies (COPY keeps, REPLACE takes the request metadata) and answers CopyObjectResult', async (t) => {
  const emulator = await useEmulator(t);
  const data = bytes(70_000, 34);
  await emulator.putObject('src-bkt', 'dir/a b', data, { contentType: 'image/x-a', metadata: { m: '1' } });
  const copied = await call(`${emulator.url}/bkt/copy`, { method: 'PUT', headers: { 'x-goog-copy-source': '/src-bkt/dir%2Fa%20b' } });
  assert.equal(copied.status, 200, copied.text);
  assert.match(copied.text, /<CopyObjectResult[^>]*><LastModified>[^<]+<\/LastModified><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><\/CopyObjectResult>/);
  assert.ok(copied.header('x-goog-generation'));
  const got = await call(`${emulator.url}/bkt/copy`);
  assert.deepEqual(got.body, data);
  assert.equal(got.header('content-type'), 'image/x-a');
  assert.equal(got.header('x-goog-meta-m'), '1');
  await call(`${emulator.url}/bkt/copy2`, {
    method: 'PUT',
    headers: { 'x-goog-copy-source': 'src-bkt/dir/a%20b', 'x-goog-metadata-directive': 'REPLACE', 'content-type': 'text/plain', 'x-goog-meta-n': '2' },
  });
  const replaced = await call(`${emulator.url}/bkt/copy2`, { method: 'HEAD' });
  assert.equal(replaced.header('content-type'), 'text/plain');
  assert.equal(replaced.header('x-goog-meta-n'), '2');
  assert.equal(replaced.header('x-goog-meta-m'), undefined);
  assert.equal((await call(`${emulator.url}/bkt/copy3`, { method: 'PUT', headers: { 'x-goog-copy-source': '/src-bkt/missing' } })).status, 404);
  assert.equal((await call(`${emulator.url}/bkt/copy3`, { method: 'PUT', headers: { 'x-goog-copy-source': '/src-bkt/dir%2Fa%20b', 'x-goog-copy-source-if-generation-match': '1' } })).status, 412);
});

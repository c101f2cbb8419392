/**
 * Object listing on both APIs, and the XML API's ListMultipartUploads: every query parameter, and pages that
 * add up to exactly the full listing (no object or prefix twice, none missing), which the many-objects engine
 * relies on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Emulator } from '../../src/emulator/index.js';
import { globToRegExp } from '../../src/emulator/listing.js';
import { call, useEmulator } from './helpers.js';

async function seed(emulator: Emulator, names: string[]): Promise<void> {
  for (const name of names) await emulator.putObject('bkt', name, name);
}

/** Follows nextPageToken to the end; returns every item name and prefix, page by page. */
async function listAll(emulator: Emulator, query: string): Promise<{ items: string[]; prefixes: string[]; pages: number }> {
  const items: string[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const response = await call(`${emulator.url}/storage/v1/b/bkt/o?${query}${token ? `&pageToken=${token}` : ''}`);
    assert.equal(response.status, 200, response.text);
    const body = response.json();
    pages += 1;
    items.push(...(body.items ?? []).map((i: { name: string }) => i.name));
    prefixes.push(...(body.prefixes ?? []));
    token = body.nextPageToken;
  } while (token && pages < 1000);
  return { items, prefixes, pages };
}

const NAMES = ['a', 'b/1', 'b/2', 'b/3', 'b/c/1', 'c/', 'c/x', 'd', 'e/1', 'e/2', 'f'];

test('JSON listing pages with a delimiter never repeat or lose a prefix, at every page size', async (t) => {
  const emulator = await useEmulator(t);
  await seed(emulator, NAMES);
  const full = await listAll(emulator, 'delimiter=/');
  assert.deepEqual(full.items, ['a', 'd', 'f']);
  assert.deepEqual(full.prefixes, ['b/', 'c/', 'e/']);
  for (let max = 1; max <= 7; max += 1) {
    const paged = await listAll(emulator, `delimiter=/&maxResults=${max}`);
    assert.deepEqual(paged.items, full.items, `maxResults=${max}`);
    assert.deepEqual(paged.prefixes, full.prefixes, `maxResults=${max}`);
    assert.equal(paged.pages, Math.ceil(6 / max), `maxResults=${max}`);
  }
  const inB = await listAll(emulator, 'prefix=b/&delimiter=/&maxResults=2');
  assert.deepEqual(inB.items, ['b/1', 'b/2', 'b/3']);
  assert.deepEqual(inB.prefixes, ['b/c/']);
  assert.deepEqual((await listAll(emulator, 'maxResults=4')).items, [...NAMES].sort());
});

test('JSON listing: startOffset/endOffset, matchGlob, includeTrailingDelimiter, versions, maxResults cap and bad input', async (t) => {
  const emulator = await useEmulator(t);
  await seed(emulator, NAMES);
  assert.deepEqual((await listAll(emulator, 'startOffset=b/2&endOffset=c/x')).items, ['b/2', 'b/3', 'b/c/1', 'c/']);
  assert.deepEqual((await listAll(emulator, `matchGlob=${encodeURIComponent('b/*')}`)).items, ['b/1', 'b/2', 'b/3']);
  assert.deepEqual((await listAll(emulator, `matchGlob=${encodeURIComponent('**/1')}`)).items, ['b/1', 'b/c/1', 'e/1']);
  assert.deepEqual((await listAll(emulator, `matchGlob=${encodeURIComponent('{a,d}')}`)).items, ['a', 'd']);
  const trailing = await listAll(emulator, 'delimiter=/&includeTrailingDelimiter=true');
  assert.deepEqual(trailing.items, ['a', 'c/', 'd', 'f']);
  assert.deepEqual(trailing.prefixes, ['b/', 'c/', 'e/']);
  assert.deepEqual((await listAll(emulator, 'versions=true')).items, [...NAMES].sort());
  assert.equal((await call(`${emulator.url}/storage/v1/b/bkt/o?maxResults=0`)).status, 400);
  assert.equal((await call(`${emulator.url}/storage/v1/b/bkt/o?pageToken=!!`)).status, 400);
  assert.equal((await call(`${emulator.url}/storage/v1/b/bkt/o?matchGlob=%7Ba`)).status, 400);
});

test('JSON listing caps a page at 1000 entries and pages through 2500 objects exactly', async (t) => {
  const emulator = await useEmulator(t);
  const names = Array.from({ length: 2500 }, (_, i) => `many/${String(i).padStart(5, '0')}`);
  for (const name of names) await emulator.putObject('bkt', name, '');
  const first = (await call(`${emulator.url}/storage/v1/b/bkt/o?prefix=many/&maxResults=5000`)).json();
  assert.equal(first.items.length, 1000);
  const all = await listAll(emulator, 'prefix=many/&maxResults=5000');
  assert.equal(all.pages, 3);
  assert.deepEqual(all.items, names);
});

test('globs follow GCS matchGlob syntax', () => {
  const cases: [string, string, boolean][] = [
    ['*.txt', 'a.txt', true],
    ['*.txt', 'd/a.txt', false],
    ['**.txt', 'd/a.txt', true],
    ['d/**/x', 'd/x', true],
    ['d/**/x', 'd/e/f/x', true],
    ['?', 'ab', false],
    ['[ab]c', 'bc', true],
    ['[!ab]c', 'bc', false],
    ['a.b', 'axb', false],
  ];
  for (const [glob, name, expected] of cases) assert.equal(globToRegExp(glob).test(name), expected, `${glob} ~ ${name}`);
});

test('XML GET /bucket lists with prefix, delimiter, marker and max-keys, and list-type=2 with continuation tokens', async (t) => {
  const emulator = await useEmulator(t);
  await seed(emulator, NAMES);
  const first = await call(`${emulator.url}/bkt?delimiter=/&max-keys=2`);
  assert.equal(first.status, 200, first.text);
  assert.match(first.text, /<ListBucketResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"><Name>bkt<\/Name><Prefix><\/Prefix><Marker><\/Marker><MaxKeys>2<\/MaxKeys><Delimiter>\/<\/Delimiter><IsTruncated>true<\/IsTruncated><NextMarker>b\/<\/NextMarker>/);
  assert.match(first.text, /<Contents><Key>a<\/Key><Generation>\d+<\/Generation><MetaGeneration>1<\/MetaGeneration><LastModified>[^<]+<\/LastModified><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><Size>1<\/Size>/);
  assert.match(first.text, /<CommonPrefixes><Prefix>b\/<\/Prefix><\/CommonPrefixes>/);
  const keys: string[] = [];
  const prefixes: string[] = [];
  let marker = '';
  for (let pages = 0; pages < 20; pages += 1) {
    const page = (await call(`${emulator.url}/bkt?delimiter=/&max-keys=2&marker=${encodeURIComponent(marker)}`)).text;
    keys.push(...[...page.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] as string));
    prefixes.push(...[...page.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1] as string));
    const next = /<NextMarker>([^<]*)<\/NextMarker>/.exec(page)?.[1];
    if (!next) break;
    marker = next;
  }
  assert.deepEqual(keys, ['a', 'd', 'f']);
  assert.deepEqual(prefixes, ['b/', 'c/', 'e/']);
  const v2keys: string[] = [];
  let token = '';
  for (let pages = 0; pages < 20; pages += 1) {
    const page = (await call(`${emulator.url}/bkt?list-type=2&prefix=b/&max-keys=2${token ? `&continuation-token=${token}` : ''}`)).text;
    assert.match(page, /<KeyCount>\d<\/KeyCount>/);
    v2keys.push(...[...page.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] as string));
    token = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(page)?.[1] ?? '';
    if (!token) break;
  }
  assert.deepEqual(v2keys, ['b/1', 'b/2', 'b/3', 'b/c/1']);
  assert.equal((await call(`${emulator.url}/nobucket`)).status, 404);
});

test('ListMultipartUploads (GET /bucket?uploads) lists uploads in progress, paged by key and upload-id markers', async (t) => {
  const emulator = await useEmulator(t);
  const ids: Record<string, string> = {};
  for (const name of ['x/1', 'x/2', 'y', 'x/1']) {
    const text = (await call(`${emulator.url}/bkt/${name}?uploads`, { method: 'POST' })).text;
    ids[`${name}#${Object.keys(ids).filter((k) => k.startsWith(`${name}#`)).length}`] = /<UploadId>([^<]+)</.exec(text)?.[1] as string;
  }
  const all = await call(`${emulator.url}/bkt?uploads`);
  assert.equal(all.status, 200, all.text);
  assert.match(all.text, /^<\?xml[^>]*\?><ListMultipartUploadsResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"><Bucket>bkt<\/Bucket>/);
  assert.deepEqual([...all.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['x/1', 'x/1', 'x/2', 'y']);
  assert.match(all.text, /<Upload><Key>x\/1<\/Key><UploadId>[^<]+<\/UploadId><StorageClass>STANDARD<\/StorageClass><Initiated>[^<]+<\/Initiated><\/Upload>/);
  const page1 = (await call(`${emulator.url}/bkt?uploads&max-uploads=1`)).text;
  assert.match(page1, /<IsTruncated>true<\/IsTruncated>/);
  const nextKey = /<NextKeyMarker>([^<]*)</.exec(page1)?.[1] as string;
  const nextId = /<NextUploadIdMarker>([^<]*)</.exec(page1)?.[1] as string;
  const page2 = (await call(`${emulator.url}/bkt?uploads&max-uploads=2&key-marker=${encodeURIComponent(nextKey)}&upload-id-marker=${nextId}`)).text;
  assert.deepEqual([...page2.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['x/1', 'x/2']);
  const grouped = (await call(`${emulator.url}/bkt?uploads&delimiter=/`)).text;
  assert.match(grouped, /<CommonPrefixes><Prefix>x\/<\/Prefix><\/CommonPrefixes>/);
  assert.deepEqual([...grouped.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]), ['y']);
  // An aborted upload is no longer listed.
  await call(`${emulator.url}/bkt/y?uploadId=${ids['y#0']}`, { method: 'DELETE' });
  assert.doesNotMatch((await call(`${emulator.url}/bkt?uploads&prefix=y`)).text, /<Upload>/);
});

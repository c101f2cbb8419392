/**
 * Read preconditions as GCS answers them: a failed match is 412, a failed not-match (ifGenerationNotMatch,
 * ifMetagenerationNotMatch, If-None-Match) is 304 Not Modified with no body; If-Match / If-None-Match compare
 * the ETag of the API that was asked (JSON: the generation-based etag; XML: the quoted MD5 ETag).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, jsonObjectUrl, useEmulator } from './helpers.js';

test('JSON reads: failed not-match preconditions are 304 with no body; failed match preconditions are 412', async (t) => {
  const emulator = await useEmulator(t);
  const { generation } = await emulator.putObject('bkt', 'o', 'data');
  const url = jsonObjectUrl(emulator, 'bkt', 'o');
  for (const query of [`ifGenerationNotMatch=${generation}`, 'ifMetagenerationNotMatch=1']) {
    for (const alt of ['', '&alt=media']) {
      const response = await call(`${url}?${query}${alt}`);
      assert.equal(response.status, 304, `${query}${alt}`);
      assert.equal(response.body.length, 0);
    }
  }
  assert.equal((await call(`${url}?ifGenerationNotMatch=1&alt=media`)).text, 'data');
  assert.equal((await call(`${url}?ifGenerationMatch=1`)).status, 412);
  assert.equal((await call(`${url}?ifMetagenerationMatch=2&ifGenerationNotMatch=${generation}`)).status, 412, 'a failed match wins');
  // Writes and deletes never answer 304.
  assert.equal((await call(`${url}?ifGenerationNotMatch=${generation}`, { method: 'DELETE' })).status, 412);
});

test('ETag preconditions: If-None-Match → 304, If-Match → 412, on both APIs', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', 'data');
  const url = jsonObjectUrl(emulator, 'bkt', 'o');
  const meta = await call(url);
  const etag = meta.json().etag as string;
  assert.equal((await call(url, { headers: { 'if-none-match': etag } })).status, 304);
  assert.equal((await call(`${url}?alt=media`, { headers: { 'if-none-match': `"${etag}"` } })).status, 304);
  assert.equal((await call(`${url}?alt=media`, { headers: { 'if-none-match': '"other"' } })).status, 200);
  assert.equal((await call(url, { headers: { 'if-match': 'other' } })).status, 412);
  assert.equal((await call(url, { headers: { 'if-match': etag } })).status, 200);
  assert.equal((await call(url, { headers: { 'if-match': '*' } })).status, 200);

  const xml = `${emulator.url}/bkt/o`;
  const xmlEtag = (await call(xml, { method: 'HEAD' })).header('etag') as string;
  assert.match(xmlEtag, /^"[0-9a-f]{32}"$/);
  const notModified = await call(xml, { headers: { 'if-none-match': xmlEtag } });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.header('etag'), xmlEtag);
  assert.equal((await call(xml, { method: 'HEAD', headers: { 'if-none-match': `W/${xmlEtag}` } })).status, 304);
  assert.equal((await call(xml, { headers: { 'if-match': '"0123"' } })).status, 412);
  assert.equal((await call(xml, { headers: { 'if-match': xmlEtag } })).text, 'data');
  assert.equal((await call(xml, { headers: { 'x-goog-if-generation-match': '1' } })).status, 412);
});

/**
 * The batch endpoint, with request bodies shaped exactly as the two clients that use it write them: gcsfs's
 * bulk delete (bare `\n` line breaks, relative paths) and python-storage's `client.batch()` (MIME structure
 * with `\n`, embedded requests with CRLF and absolute URLs). The answers must parse the way those clients
 * parse them: gcsfs splits the text on the boundary and reads `HTTP/1.1 NNN`; python-storage reads a status
 * line and a header block per part.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, jsonObjectUrl, useEmulator } from './helpers.js';

const GCSFS_BOUNDARY = '===============7330845974216740156==';

function gcsfsDeleteBody(names: string[]): string {
  const parts = names.map(
    (name, i) =>
      `\n--${GCSFS_BOUNDARY}\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: <b29c5de2-0db4-490b-b421-6a51b598bd11+${i + 1}>` +
      `\n\nDELETE /storage/v1/b/bkt/o/${encodeURIComponent(name)} HTTP/1.1\nContent-Type: application/json\naccept: application/json\ncontent-length: 0\n`,
  );
  return `${parts.join('')}\n--${GCSFS_BOUNDARY}--`;
}

test('gcsfs bulk delete: bare-LF batch body; answers split on the boundary with one status per request, in order', async (t) => {
  const emulator = await useEmulator(t);
  for (const name of ['a', 'dir/b', 'c']) await emulator.putObject('bkt', name, name);
  const response = await call(`${emulator.url}/batch/storage/v1`, {
    method: 'POST',
    headers: { 'content-type': `multipart/mixed; boundary="${GCSFS_BOUNDARY}"` },
    body: gcsfsDeleteBody(['a', 'missing', 'dir/b', 'c']),
  });
  assert.equal(response.status, 200, response.text);
  // gcsfs: boundary = headers["Content-Type"].split("=", 1)[1]; responses = txt.split(boundary)[1:-1]
  const boundary = (response.header('content-type') ?? '').split('=').slice(1).join('=');
  assert.match(response.header('content-type') ?? '', /^multipart\/mixed; boundary=[^"=;]+$/);
  const parts = response.text.split(boundary).slice(1, -1);
  const codes = parts.map((part) => Number(/HTTP\/[0-9.]+ ([0-9]+)/.exec(part)?.[1]));
  assert.deepEqual(codes, [204, 404, 204, 204]);
  assert.match(parts[0] as string, /Content-ID: <response-b29c5de2-0db4-490b-b421-6a51b598bd11\+1>/);
  assert.match(parts[1] as string, /"code":404/);
  for (const name of ['a', 'dir/b', 'c']) assert.equal((await call(jsonObjectUrl(emulator, 'bkt', name))).status, 404, name);
  // The embedded requests went through the server like any other.
  assert.equal(emulator.metrics.snapshot().requests['object-delete'], 4);
  assert.equal(emulator.metrics.snapshot().requests.batch, 1);
});

test('python-storage client.batch(): CRLF embedded requests with absolute URLs, a PATCH body and a GET', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'x', 'xx', { metadata: { old: '1' } });
  const boundary = '===============1234567890==';
  const patch = JSON.stringify({ metadata: { new: '2' } });
  const sub = (id: number, lines: string[]) =>
    `--${boundary}\nContent-Type: application/http\nMIME-Version: 1.0\nContent-Transfer-Encoding: binary\nContent-ID: <abc+${id}>\n\n${lines.join('\r\n')}\n`;
  const body =
    sub(1, [`PATCH ${emulator.url}/storage/v1/b/bkt/o/x?projection=full HTTP/1.1`, 'Content-Length: ' + patch.length, 'Content-Type: application/json', '', patch]) +
    sub(2, [`GET ${emulator.url}/storage/v1/b/bkt/o/x HTTP/1.1`, '', '']) +
    sub(3, [`DELETE ${emulator.url}/storage/v1/b/bkt/o/nope HTTP/1.1`, '', '']) +
    `--${boundary}--\n`;
  const response = await call(`${emulator.url}/batch/storage/v1`, { method: 'POST', headers: { 'content-type': `multipart/mixed; boundary="${boundary}"` }, body });
  assert.equal(response.status, 200, response.text);
  const answerBoundary = /boundary=(\S+)/.exec(response.header('content-type') ?? '')?.[1] as string;
  const parts = response.text.split(`--${answerBoundary}`).slice(1, -1);
  assert.equal(parts.length, 3);
  const parsed = parts.map((part) => {
    const [, afterPartHeaders = ''] = part.split('\r\n\r\n', 2);
    const statusLine = afterPartHeaders.split('\n', 1)[0] ?? '';
    const bodyText = part.slice(part.indexOf('\r\n\r\n', part.indexOf('HTTP/1.1')) + 4).trim();
    return { status: Number(statusLine.split(' ')[1]), body: bodyText };
  });
  assert.deepEqual(parsed.map((p) => p.status), [200, 200, 404]);
  assert.deepEqual(JSON.parse(parsed[0]?.body as string).metadata, { old: '1', new: '2' });
  assert.equal(JSON.parse(parsed[1]?.body as string).metageneration, '2');
});

test('batch limits: at most 100 requests, only /storage/v1 paths, a multipart/mixed body', async (t) => {
  const emulator = await useEmulator(t);
  const tooMany = await call(`${emulator.url}/batch/storage/v1`, {
    method: 'POST',
    headers: { 'content-type': `multipart/mixed; boundary="${GCSFS_BOUNDARY}"` },
    body: gcsfsDeleteBody(Array.from({ length: 101 }, (_, i) => `o${i}`)),
  });
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.text, /at most 100/);
  const upload = await call(`${emulator.url}/batch/storage/v1`, {
    method: 'POST',
    headers: { 'content-type': 'multipart/mixed; boundary=b' },
    body: '--b\nContent-Type: application/http\n\nPOST /upload/storage/v1/b/bkt/o?uploadType=media&name=x HTTP/1.1\n\n--b--',
  });
  assert.equal(upload.status, 200);
  assert.match(upload.text, /HTTP\/1\.1 400[^]*Only JSON API requests/);
  assert.equal((await call(`${emulator.url}/batch/storage/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 400);
});

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../src/errors.js';
import { bytes, call, jsonObjectUrl, useEmulator } from './helpers.js';

const data = bytes(200_000, 11);

/** A GET that reports what arrived before the connection ended, however it ended. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer; complete: boolean; headersAtMs: number; endAtMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let responded = false;
    const req = get(url, { headers, agent: false }, (res) => {
      responded = true;
      const headersAtMs = performance.now() - started;
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (complete: boolean) => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete, headersAtMs, endAtMs: performance.now() - started });
      };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => finish(res.complete));
      res.on('error', () => finish(false));
      res.on('close', () => finish(res.complete));
    });
    req.on('error', (error) => (responded ? undefined : reject(error)));
  });
}

test('status faults answer that status with a GCS error body in the API’s format, and Retry-After', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', data);
  for (const status of [408, 429, 500, 502, 503]) {
    const json = await call(`${emulator.url}/storage/v1/b/bkt/o/o?alt=media`, { headers: { 'x-emulator-fault': `status:${status}` } });
    assert.equal(json.status, status);
    assert.equal(json.json().error.code, status);
    const xml = await call(`${emulator.url}/bkt/o`, { headers: { 'x-emulator-fault': `status:${status}` } });
    assert.equal(xml.status, status);
    assert.match(xml.text, /^<\?xml[^>]*\?><Error><Code>\w+<\/Code>/);
  }
  const limited = await call(`${emulator.url}/bkt/o`, { headers: { 'x-emulator-fault': 'status:429,retry-after=1' } });
  assert.equal(limited.header('retry-after'), '1');
  // Without the header, the same request succeeds: faults are per request.
  assert.equal((await call(`${emulator.url}/bkt/o`)).status, 200);
});

test('a status fault on an upload leaves no object and no temp file', async (t) => {
  const emulator = await useEmulator(t);
  const response = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=u`, {
    method: 'POST',
    headers: { 'x-emulator-fault': 'status:503' },
    body: data,
  });
  assert.equal(response.status, 503);
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'u'))).status, 404);
  assert.deepEqual(readdirSync(join(emulator.dir, 'tmp')), []);
});

test('reset-after:N resets the connection after exactly N body bytes', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', data);
  for (const n of [0, 1000, 65_536 + 7]) {
    const result = await rawGet(`${emulator.url}/bkt/o`, { 'x-emulator-fault': `reset-after:${n}` });
    assert.equal(result.status, 200);
    assert.equal(result.complete, false);
    assert.equal(result.body.length, n);
    assert.deepEqual(result.body, data.subarray(0, n));
  }
});

test('truncate-body:N sends the true headers, then only N bytes', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', data);
  const result = await rawGet(`${emulator.url}/bkt/o`, { 'x-emulator-fault': 'truncate-body:5000', range: 'bytes=100-' });
  assert.equal(result.status, 206);
  assert.equal(result.headers['content-length'], String(data.length - 100));
  assert.equal(result.headers['content-range'], `bytes 100-${data.length - 1}/${data.length}`);
  assert.equal(result.complete, false);
  assert.deepEqual(result.body, data.subarray(100, 5100));
});

test('reset-request-after:N cuts an upload: no object, no temp file, the server keeps serving', async (t) => {
  const emulator = await useEmulator(t);
  await assert.rejects(
    call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=cut`, { method: 'POST', headers: { 'x-emulator-fault': 'reset-request-after:50000' }, body: data }),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'cut'))).status, 404);
  assert.deepEqual(readdirSync(join(emulator.dir, 'tmp')), []);
  assert.ok(emulator.metrics.snapshot().bytesIn >= 50_000);
});

test('stall-headers and stall-body delay the response at the right place', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', data);
  const headers = await rawGet(`${emulator.url}/bkt/o`, { 'x-emulator-fault': 'stall-headers:300' });
  assert.ok(headers.headersAtMs >= 290, `headers after ${headers.headersAtMs} ms`);
  assert.deepEqual(headers.body, data);
  const body = await rawGet(`${emulator.url}/bkt/o`, { 'x-emulator-fault': 'stall-body:300,after=1000' });
  assert.ok(body.headersAtMs < 250, `headers after ${body.headersAtMs} ms`);
  assert.ok(body.endAtMs - body.headersAtMs >= 290, `body took ${body.endAtMs - body.headersAtMs} ms`);
  assert.deepEqual(body.body, data);
});

test('flip-byte:N inverts exactly one byte of the body', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', data);
  const response = await call(`${emulator.url}/bkt/o`, { headers: { 'x-emulator-fault': 'flip-byte:12345' } });
  assert.equal(response.status, 200);
  const diff = [...response.body.keys()].filter((i) => response.body[i] !== data[i]);
  assert.deepEqual(diff, [12345]);
  assert.equal(response.body[12345], (data[12345] as number) ^ 0xff);
});

test('omit-header removes ETag, x-goog-hash, Content-Range or Location', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', data);
  const url = `${emulator.url}/bkt/o`;
  const plain = await call(url, { headers: { range: 'bytes=0-9' } });
  for (const name of ['etag', 'x-goog-hash', 'content-range']) {
    assert.ok(plain.header(name), name);
    const omitted = await call(url, { headers: { range: 'bytes=0-9', 'x-emulator-fault': `omit-header:${name}` } });
    assert.equal(omitted.header(name), undefined, name);
    assert.deepEqual(omitted.body, data.subarray(0, 10));
  }
  const both = await call(url, { headers: { 'x-emulator-fault': 'omit-header:etag;omit-header:x-goog-hash' } });
  assert.equal(both.header('etag'), undefined);
  assert.equal(both.header('x-goog-hash'), undefined);
  const initiate = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=resumable&name=r`, { method: 'POST', headers: { 'x-emulator-fault': 'omit-header:location' } });
  assert.equal(initiate.status, 200);
  assert.equal(initiate.header('location'), undefined);
});

test('ignore-range answers 200 with the whole body', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', data);
  const response = await call(`${emulator.url}/storage/v1/b/bkt/o/o?alt=media`, { headers: { range: 'bytes=10-19', 'x-emulator-fault': 'ignore-range' } });
  assert.equal(response.status, 200);
  assert.equal(response.header('content-range'), undefined);
  assert.deepEqual(response.body, data);
});

test('bump-generation: after the request the object has a new generation with the same bytes', async (t) => {
  const emulator = await useEmulator(t);
  const { generation } = await emulator.putObject('bkt', 'o', data);
  const first = await call(`${emulator.url}/bkt/o`, { headers: { range: 'bytes=0-99', 'x-emulator-fault': 'bump-generation' } });
  assert.equal(first.header('x-goog-generation'), generation, 'the faulted request itself sees the old generation');
  await new Promise((resolve) => setTimeout(resolve, 20));
  const meta = (await call(jsonObjectUrl(emulator, 'bkt', 'o'))).json();
  assert.ok(BigInt(meta.generation) > BigInt(generation));
  assert.deepEqual((await call(`${emulator.url}/bkt/o`)).body, data);
  const pinned = await call(`${emulator.url}/bkt/o`, { headers: { range: 'bytes=100-199', 'x-goog-if-generation-match': generation } });
  assert.equal(pinned.status, 412);
});

test('queued faults match op, bucket and object, honour times and skip, and are consumed', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'a', data);
  await emulator.putObject('bkt', 'b', data);
  emulator.faults.add({ match: { op: 'xml-get', object: 'a' }, fault: 'status:503', times: 2, skip: 1 });
  emulator.faults.add({ match: { op: ['metadata', 'media'] }, fault: 'status:500' });
  const statuses = [];
  for (let i = 0; i < 4; i += 1) statuses.push((await call(`${emulator.url}/bkt/a`)).status);
  assert.deepEqual(statuses, [200, 503, 503, 200]);
  assert.equal((await call(`${emulator.url}/bkt/b`)).status, 200);
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'b'))).status, 500);
  assert.equal((await call(jsonObjectUrl(emulator, 'bkt', 'b'))).status, 200);
  assert.equal(emulator.faults.pending, 0);
  emulator.faults.add({ match: { bucket: 'other' }, fault: 'status:502' });
  assert.equal((await call(`${emulator.url}/bkt/a`)).status, 200);
  emulator.reset();
  assert.equal(emulator.faults.pending, 0);
  assert.throws(() => emulator.faults.add({ fault: 'explode:1' }), InvalidArgumentError);
  assert.throws(() => emulator.faults.add({ fault: 'status:200' }), InvalidArgumentError);
  assert.throws(() => emulator.faults.add({ fault: 'status:503', match: { op: 'nope' as 'media' } }), /match\.op/);
  assert.throws(() => emulator.faults.add({ fault: 'status:503', times: -1 }), /times/);
});

test('an invalid fault header is a 400 naming the spec', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', data);
  const response = await call(`${emulator.url}/bkt/o`, { headers: { 'x-emulator-fault': 'reset-after:lots' } });
  assert.equal(response.status, 400);
  assert.match(response.text, /reset-after:lots/);
});

test('the HTTP control endpoints queue and clear faults, read metrics and reset', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', data);
  const queued = await call(`${emulator.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ match: { op: 'xml-get' }, fault: 'status:503', times: 2 }) });
  assert.equal(queued.status, 200);
  assert.deepEqual(queued.json(), { pending: 1 });
  assert.equal((await call(`${emulator.url}/bkt/o`)).status, 503);
  assert.equal((await call(`${emulator.url}/_emulator/faults`, { method: 'DELETE' })).status, 204);
  assert.equal((await call(`${emulator.url}/bkt/o`)).status, 200);
  const bad = await call(`${emulator.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify([{ fault: 'status:503' }, { fault: 'nonsense' }]) });
  assert.equal(bad.status, 400);
  assert.equal(emulator.faults.pending, 0, 'a bad batch queues nothing');
  assert.equal((await call(`${emulator.url}/_emulator/faults`, { method: 'POST', body: 'not json' })).status, 400);
  const metrics = (await call(`${emulator.url}/_emulator/metrics`)).json();
  assert.equal(metrics.requests['xml-get'], 2);
  assert.ok(metrics.bytesOut >= data.length);
  assert.equal((await call(`${emulator.url}/_emulator/reset`, { method: 'POST' })).status, 204);
  const after = (await call(`${emulator.url}/_emulator/metrics`)).json();
  assert.equal(after.requests['xml-get'], 0);
  assert.equal(after.bytesOut, 0);
});

test('metrics count requests per operation, peak concurrency and bytes', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', data);
  emulator.reset();
  await Promise.all(Array.from({ length: 4 }, () => rawGet(`${emulator.url}/bkt/o`, { 'x-emulator-fault': 'stall-headers:200' })));
  await call(jsonObjectUrl(emulator, 'bkt', 'o'));
  await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=n`, { method: 'POST', body: data.subarray(0, 1234) });
  const snapshot = emulator.metrics.snapshot();
  assert.equal(snapshot.requests['xml-get'], 4);
  assert.equal(snapshot.requests.metadata, 1);
  assert.equal(snapshot.requests['upload-media'], 1);
  assert.equal(snapshot.peakConcurrent, 4);
  assert.equal(snapshot.peakConcurrentByOp['xml-get'], 4);
  assert.equal(snapshot.peakConcurrentByOp.metadata, 1);
  assert.equal(snapshot.inFlight, 0);
  assert.equal(snapshot.bytesIn, 1234);
  assert.ok(snapshot.bytesOut >= 4 * data.length);
});

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Emulator } from '../../src/emulator/index.js';
import { bytes, call, useEmulator } from './helpers.js';

/** Sends raw bytes on a fresh connection and returns everything the server answered before closing. */
function rawExchange(emulator: Emulator, payload: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(emulator.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('connect', () => socket.end(payload));
    setTimeout(() => reject(new Error('no answer')), 5000).unref();
  });
}

/** Starts an upload, sends part of the body, then vanishes. */
function abandonUpload(url: string, method: string, headers: Record<string, string>, sent: Buffer, declared: number): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method, headers: { ...headers, 'content-length': declared }, agent: false });
    req.on('error', () => resolve());
    req.write(sent, () => setTimeout(() => {
      req.destroy();
      resolve();
    }, 50));
  });
}

async function assertAlive(emulator: Emulator): Promise<void> {
  await emulator.putObject('alive', 'check', 'ok');
  assert.equal((await call(`${emulator.url}/alive/check`)).text, 'ok');
}

async function tmpEventuallyEmpty(emulator: Emulator, except = 0): Promise<void> {
  for (let i = 0; i < 100 && readdirSync(join(emulator.dir, 'tmp')).length > except; i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.equal(readdirSync(join(emulator.dir, 'tmp')).length, except, 'no temp file is leaked');
}

test('malformed requests get clear errors and the next request is served', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', 'data');
  const cases: [string, { method?: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH'; body?: string; headers?: Record<string, string> }, number, RegExp][] = [
    ['/storage/v1/b/bkt/o/%E0%A4%A', {}, 400, /percent-encoded/],
    ['/storage/v1/b/bkt/o/%ff', {}, 400, /"reason":"invalid"/],
    ['/bkt/%zz', {}, 400, /<Code>InvalidURI<\/Code>/],
    ['/Bad_Bucket/o', {}, 400, /<Code>InvalidBucketName<\/Code>/],
    [`/bkt/${'x'.repeat(1100)}`, {}, 400, /1-1024 bytes/],
    ['/storage/v1/b/bkt/o/missing', { method: 'PATCH', body: '{}' }, 404, /notFound/],
    ['/storage/v1/b/bkt/iam', {}, 501, /does not implement GET \/storage\/v1\/b\/\{bucket\}\/iam.*"reason":"notImplemented"/],
    ['/upload/storage/v1/b/bkt/o?uploadType=nonsense', { method: 'POST', body: 'x' }, 400, /upload type/],
    ['/bkt/o?uploads', { method: 'POST' }, 200, /UploadId/],
    ['/bkt/o?partNumber=abc&uploadId=zzz', { method: 'PUT', body: 'x' }, 400, /Part number/],
    ['/bkt/o?partNumber=1&uploadId=unknown', { method: 'PUT', body: 'x' }, 404, /NoSuchUpload/],
    ['/bkt/o?uploadId=unknown', { method: 'POST', body: '<CompleteMultipartUpload/>' }, 404, /NoSuchUpload/],
    ['/storage/v1/b/bkt/o/o?alt=media', { headers: { range: 'bytes=99999999999999999999-' } }, 200, /data/],
    ['/storage/v1/b/bkt/o/o?alt=media', { headers: { range: 'bytes=--1' } }, 200, /data/],
    ['/_emulator/nothing', {}, 404, /Unknown control endpoint/],
  ];
  for (const [path, options, status, pattern] of cases) {
    const response = await call(`${emulator.url}${path}`, options);
    assert.equal(response.status, status, path);
    assert.match(response.text, pattern, path);
  }
  // URL parsers fold ".." away, so this one goes over a raw socket.
  assert.match(await rawExchange(emulator, 'GET /bkt/%2E%2E HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 400[^]*not valid/);
  // Malformed XML on a real upload.
  const id = /<UploadId>([^<]+)</.exec((await call(`${emulator.url}/bkt/o?uploads`, { method: 'POST' })).text)?.[1];
  for (const body of ['<CompleteMultipartUpload><Part>', '<<<', '', '<a></b>', '<CompleteMultipartUpload>&bogus;</CompleteMultipartUpload>']) {
    const response = await call(`${emulator.url}/bkt/o?uploadId=${id}`, { method: 'POST', body });
    assert.equal(response.status, 400, body);
    assert.match(response.text, /<Code>MalformedXML<\/Code>/);
  }
  await assertAlive(emulator);
});

test('huge headers get a 431 and the server keeps serving', async (t) => {
  const emulator = await useEmulator(t);
  const answer = await rawExchange(emulator, `GET /bkt/o HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`);
  assert.match(answer, /^HTTP\/1\.1 431/);
  // Large but legitimate headers (long metadata) still work.
  const put = await call(`${emulator.url}/bkt/meta`, { method: 'PUT', headers: { 'x-goog-meta-long': 'v'.repeat(20_000) }, body: 'x' });
  assert.equal(put.status, 200);
  await assertAlive(emulator);
});

test('garbage on the socket gets a 400, not a crash', async (t) => {
  const emulator = await useEmulator(t);
  const answer = await rawExchange(emulator, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]));
  assert.match(answer, /^HTTP\/1\.1 400/);
  const badChunked = await rawExchange(emulator, 'POST /upload/storage/v1/b/bkt/o?uploadType=media&name=c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
  assert.match(badChunked, /^HTTP\/1\.1 400/);
  await tmpEventuallyEmpty(emulator);
  await assertAlive(emulator);
});

test('clients that vanish mid-upload leave no temp file behind', async (t) => {
  const emulator = await useEmulator(t);
  const chunk = bytes(300_000);
  await abandonUpload(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=m`, 'POST', {}, chunk, 1_000_000);
  await abandonUpload(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=multipart`, 'POST', { 'content-type': 'multipart/related; boundary=zz' },
    Buffer.concat([Buffer.from('--zz\r\nContent-Type: application/json\r\n\r\n{"name":"mp"}\r\n--zz\r\n\r\n'), chunk]), 1_000_000);
  await abandonUpload(`${emulator.url}/bkt/xmlput`, 'PUT', {}, chunk, 1_000_000);
  const id = /<UploadId>([^<]+)</.exec((await call(`${emulator.url}/bkt/mpu?uploads`, { method: 'POST' })).text)?.[1];
  await abandonUpload(`${emulator.url}/bkt/mpu?partNumber=1&uploadId=${id}`, 'PUT', {}, chunk, 1_000_000);
  await tmpEventuallyEmpty(emulator);
  for (const name of ['m', 'mp', 'xmlput', 'mpu']) assert.equal((await call(`${emulator.url}/bkt/${name}`)).status, 404, name);
  assert.doesNotMatch((await call(`${emulator.url}/bkt/mpu?uploadId=${id}`)).text, /<Part>/);
  await assertAlive(emulator);
});

test('clients that vanish mid-download free the request and its file descriptor', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'big', bytes(32 * 1024 * 1024));
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const before = fds();
  for (let i = 0; i < 5; i += 1) {
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${emulator.url}/bkt/big`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
  }
  for (let i = 0; i < 100 && (emulator.metrics.snapshot().inFlight > 0 || fds() > before); i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.equal(emulator.metrics.snapshot().inFlight, 0);
  assert.ok(fds() <= before, `file descriptors: ${before} before, ${fds()} after`);
  await assertAlive(emulator);
});

test('a 400 in the middle of an upload body keeps the connection usable', async (t) => {
  const emulator = await useEmulator(t);
  // The multipart parser gives up at the first part; the rest of the body is drained, not fatal.
  const body = Buffer.concat([Buffer.from('--zz\r\nContent-Type: application/json\r\n\r\n{broken\r\n--zz\r\n\r\n'), bytes(2_000_000), Buffer.from('\r\n--zz--')]);
  for (let i = 0; i < 3; i += 1) {
    const response = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=multipart`, { method: 'POST', headers: { 'content-type': 'multipart/related; boundary=zz' }, body });
    assert.equal(response.status, 400);
  }
  await tmpEventuallyEmpty(emulator);
  await assertAlive(emulator);
});

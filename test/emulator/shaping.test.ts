import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { startEmulator } from '../../src/emulator/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { bytes, call, useEmulator } from './helpers.js';

const MiB = 1024 * 1024;

/** Downloads `url` on its own connection; returns elapsed ms and the byte count. */
async function timedDownload(url: string): Promise<{ ms: number; length: number; headersMs: number }> {
  const started = performance.now();
  // reset: true gives every download its own connection, so per-connection caps apply to each.
  const response = await request(url, { reset: true });
  const headersMs = performance.now() - started;
  const body = Buffer.from(await response.body.arrayBuffer());
  return { ms: performance.now() - started, length: body.length, headersMs };
}

test('a per-connection cap paces one download, and parallel connections each get the cap', async (t) => {
  const emulator = await useEmulator(t, { shaping: { perConnectionBytesPerSec: 4 * MiB } });
  await emulator.putObject('bkt', 'o', bytes(MiB));
  const one = await timedDownload(`${emulator.url}/bkt/o`);
  assert.equal(one.length, MiB);
  assert.ok(one.ms >= 230 && one.ms < 1000, `1 MiB at 4 MiB/s took ${one.ms} ms`);
  const started = performance.now();
  const both = await Promise.all([timedDownload(`${emulator.url}/bkt/o`), timedDownload(`${emulator.url}/bkt/o`)]);
  const elapsed = performance.now() - started;
  assert.ok(both.every((d) => d.length === MiB));
  assert.ok(elapsed < 1.6 * one.ms, `two connections in parallel took ${elapsed} ms vs ${one.ms} ms for one`);
});

test('an aggregate cap is shared by all connections', async (t) => {
  const emulator = await useEmulator(t, { shaping: { aggregateBytesPerSec: 4 * MiB } });
  await emulator.putObject('bkt', 'o', bytes(512 * 1024));
  const started = performance.now();
  const results = await Promise.all([timedDownload(`${emulator.url}/bkt/o`), timedDownload(`${emulator.url}/bkt/o`)]);
  const elapsed = performance.now() - started;
  assert.ok(results.every((d) => d.length === 512 * 1024));
  assert.ok(elapsed >= 230, `1 MiB in total at 4 MiB/s aggregate took ${elapsed} ms`);
});

test('uploads are paced too', async (t) => {
  const emulator = await useEmulator(t, { shaping: { perConnectionBytesPerSec: 4 * MiB } });
  const started = performance.now();
  const response = await call(`${emulator.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=up`, { method: 'POST', body: bytes(MiB) });
  const elapsed = performance.now() - started;
  assert.equal(response.status, 200);
  assert.ok(elapsed >= 200, `1 MiB upload at 4 MiB/s took ${elapsed} ms`);
});

test('a first-byte delay holds every response’s headers', async (t) => {
  const emulator = await useEmulator(t, { shaping: { firstByteDelayMs: 150 } });
  await emulator.putObject('bkt', 'o', bytes(1000));
  const download = await timedDownload(`${emulator.url}/bkt/o`);
  assert.ok(download.headersMs >= 140, `headers after ${download.headersMs} ms`);
  const started = performance.now();
  assert.equal((await call(`${emulator.url}/storage/v1/b/bkt/o/missing`)).status, 404);
  assert.ok(performance.now() - started >= 140);
});

test('without shaping, serving is not throttled', async (t) => {
  const emulator = await useEmulator(t);
  await emulator.putObject('bkt', 'o', bytes(8 * MiB));
  await timedDownload(`${emulator.url}/bkt/o`);
  const download = await timedDownload(`${emulator.url}/bkt/o`);
  assert.equal(download.length, 8 * MiB);
  // 8 MiB in under 400 ms is > 20 MiB/s: far above any cap used in these tests, far below loopback speed.
  assert.ok(download.ms < 400, `8 MiB unshaped took ${download.ms} ms`);
});

test('shaping options are validated', async () => {
  for (const shaping of [{ perConnectionBytesPerSec: 0 }, { aggregateBytesPerSec: -5 }, { firstByteDelayMs: Number.NaN }, { perConnectionBytesPerSec: Infinity }]) {
    await assert.rejects(startEmulator({ shaping }), InvalidArgumentError, JSON.stringify(shaping));
  }
  await assert.rejects(startEmulator({ port: 70000 }), /port/);
});

test('many requests paused at once (first-byte delay) raise no listener-leak warning', async (t) => {
  const emulator = await useEmulator(t, { shaping: { firstByteDelayMs: 50 } });
  await emulator.putObject('bkt', 'o', bytes(1024));
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  try {
    const bodies = await Promise.all(Array.from({ length: 40 }, () => request(`${emulator.url}/bkt/o`, { reset: true }).then((r) => r.body.arrayBuffer())));
    assert.ok(bodies.every((body) => body.byteLength === 1024));
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
});

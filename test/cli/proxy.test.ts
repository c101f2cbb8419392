/**
 * HTTP_PROXY / NO_PROXY through the built bin, in both directions, worker threads included. The endpoint is
 * a closed loopback port that only the test proxy knows how to reach (it sends every tunnel to the emulator),
 * so a request that ignored the proxy — a part upload from a worker thread, say — fails.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runBin } from './bin.js';

let emulator: Emulator;
let dir: string;
let proxy: Server;
let proxyUrl: string;
let deadEndpoint: string;
let tunnels = 0;

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'cli-proxy-'));
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  deadEndpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));
  const target = new URL(emulator.url);
  proxy = createHttpServer((req, res) => {
    // Absolute-form requests (a proxy that does not tunnel plain http).
    tunnels += 1;
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: new URL(req.url ?? '/').pathname + new URL(req.url ?? '/').search, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  proxy.on('connect', (_req, client, head) => {
    tunnels += 1;
    const upstream = connect(Number(target.port), target.hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

after(async () => {
  proxy.closeAllConnections();
  proxy.close();
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

test('uploads (parts sent by worker threads) and downloads go through HTTP_PROXY', async () => {
  const data = randomBytes(11 * 1024 * 1024);
  await writeFile(join(dir, 'src.bin'), data);
  const env = { HTTP_PROXY: proxyUrl, NO_PROXY: '', GCS_TRANSFER_STATE_DIR: join(dir, 'state') };
  const up = await runBin(['cp', '--endpoint', deadEndpoint, '--chunk-size', '5MiB', '--max-retry-time', '2s', join(dir, 'src.bin'), 'gs://proxied/o.bin'], { env });
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /in 3 parts/);
  const down = await runBin(['cp', '--endpoint', deadEndpoint, '--chunk-size', '1MiB', '--max-retry-time', '2s', 'gs://proxied/o.bin', join(dir, 'back.bin')], { env });
  assert.equal(down.code, 0, down.stderr);
  assert.ok((await readFile(join(dir, 'back.bin'))).equals(data));
  assert.ok(tunnels > 0);
});

test('NO_PROXY exempts a host: the request goes direct (here: to the closed port)', async () => {
  const before = tunnels;
  const env = { HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1', GCS_TRANSFER_STATE_DIR: join(dir, 'state') };
  const run = await runBin(['cp', '--endpoint', deadEndpoint, '--max-retry-time', '1s', 'gs://proxied/o.bin', join(dir, 'direct.bin')], { env });
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /ECONNREFUSED/);
  assert.equal(tunnels, before, 'the proxy was not used');
});

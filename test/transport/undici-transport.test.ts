import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { AbortError, InvalidArgumentError, InvalidStateError, NetworkError, TimeoutError } from '../../src/errors.js';
import { NoAuthProvider, StaticTokenProvider, type AuthProvider } from '../../src/transport/auth.js';
import { mapTransportError } from '../../src/transport/error-mapping.js';
import { dumpBody, readBodyText, type HttpRequest } from '../../src/transport/transport.js';
import { closedPort } from './loopback.js';
import { UndiciTransport, type UndiciTransportOptions } from '../../src/transport/undici-transport.js';
import { createTransport } from '../../src/transport/create-transport.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** A loopback server for one test, plus a transport; both closed when the test ends. */
async function setup(t: TestContext, handler: Handler, options: UndiciTransportOptions = {}) {
  const sockets = new Set<Socket>();
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer; socket: Socket }[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    await once(req, 'end').catch(() => undefined);
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), socket: req.socket });
    await handler(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const transport = new UndiciTransport({ timeout: { readMs: 2000, connectMs: 2000 }, ...options });
  t.after(async () => {
    await transport.close().catch(() => undefined);
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { url, transport, seen, sockets };
}

const get = (url: string, headers: Record<string, string> = {}): HttpRequest => ({ method: 'GET', url, headers });

test('GET returns status, lower-case headers (repeated ones as arrays) and a streamed body', async (t) => {
  const { url, transport, seen } = await setup(t, (_req, res) => {
    res.setHeader('X-Goog-Hash', ['crc32c=AAAAAA==', 'md5=1B2M2Y8AsgTpgAmY7PhCfg==']);
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.setHeader('Content-Type', 'text/plain');
    res.end('hello');
  });
  const response = await transport.request(get(`${url}/b/o?alt=media`));
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], 'text/plain');
  assert.deepEqual(response.headers['set-cookie'], ['a=1', 'b=2']);
  assert.ok(String(response.headers['x-goog-hash']).includes('crc32c=AAAAAA=='));
  assert.equal(await readBodyText(response.body), 'hello');
  assert.equal(response.url, `${url}/b/o?alt=media`);
  assert.equal(seen[0]?.url, '/b/o?alt=media');
  assert.equal(seen[0]?.headers['user-agent'], 'gcs-transfer');
  assert.equal(seen[0]?.headers.authorization, undefined);
});

test('the raw path is sent as built: no dot-segment collapsing, no re-encoding', async (t) => {
  const { url, transport, seen } = await setup(t, (_req, res) => res.end());
  await dumpBody((await transport.request(get(`${url}/bkt/a/%2E%2E/b%2Fc%20d?x=%2F#frag`))).body);
  await dumpBody((await transport.request(get(`${url}?only=query`))).body);
  assert.equal(seen[0]?.url, '/bkt/a/%2E%2E/b%2Fc%20d?x=%2F');
  assert.equal(seen[1]?.url, '/?only=query');
});

test('request bodies: Uint8Array, string, Readable and async iterable are all sent', async (t) => {
  const { url, transport, seen } = await setup(t, (_req, res) => res.end());
  async function* gen() {
    yield new Uint8Array([1, 2]);
    yield new Uint8Array([3]);
  }
  const bodies = [new Uint8Array([9, 8, 7]), 'text', Readable.from([Buffer.from('str'), Buffer.from('eam')]), gen()];
  for (const body of bodies) {
    const response = await transport.request({ method: 'PUT', url: `${url}/up`, headers: { 'content-type': 'x/y' }, body });
    await dumpBody(response.body);
  }
  assert.deepEqual(seen.map((s) => [...s.body]), [[9, 8, 7], [...Buffer.from('text')], [...Buffer.from('stream')], [1, 2, 3]]);
  assert.equal(seen[0]?.headers['content-length'], '3');
});

test('the response body is streamed: request() resolves before the server has finished sending', async (t) => {
  let finish!: () => void;
  const released = new Promise<void>((resolve) => (finish = resolve));
  const { url, transport } = await setup(t, async (_req, res) => {
    res.writeHead(200, { 'content-length': String(2 * 65536) });
    res.write(Buffer.alloc(65536, 1));
    await released;
    res.end(Buffer.alloc(65536, 2));
  });
  const response = await transport.request(get(`${url}/big`));
  const iterator = response.body[Symbol.asyncIterator]();
  const first = (await iterator.next()).value as Buffer;
  assert.ok(first.length > 0 && first.every((b) => b === 1), 'first bytes arrive while the server is still blocked');
  finish();
  let total = first.length;
  for (let r = await iterator.next(); !r.done; r = await iterator.next()) total += (r.value as Buffer).length;
  assert.equal(total, 2 * 65536);
});

test('bodies that are dumped free the connection for reuse (keep-alive)', async (t) => {
  const { url, transport, seen } = await setup(t, (_req, res) => res.end('x'.repeat(1000)), { connections: 1 });
  for (let i = 0; i < 3; i++) await dumpBody((await transport.request(get(`${url}/${i}`))).body);
  assert.equal(seen.length, 3);
  assert.equal(new Set(seen.map((s) => s.socket)).size, 1, 'one socket served all three requests');
});

test('redirects are returned, never followed', async (t) => {
  const { url, transport, seen } = await setup(t, (_req, res) => {
    res.writeHead(302, { location: '/elsewhere' });
    res.end('moved');
  });
  const response = await transport.request(get(`${url}/start`));
  assert.equal(response.status, 302);
  assert.equal(response.headers.location, '/elsewhere');
  await dumpBody(response.body);
  assert.deepEqual(seen.map((s) => s.url), ['/start']);
});

test('a stall before the headers past readMs → TimeoutError (UND_ERR_HEADERS_TIMEOUT)', async (t) => {
  // A transport default far above the per-request 200 ms, so the bound below tells them apart on a loaded machine.
  const { url, transport } = await setup(t, () => undefined /* never answers */, { timeout: { readMs: 8000, connectMs: 2000 } });
  const started = Date.now();
  await assert.rejects(transport.request(get(`${url}/slow`), { timeout: { readMs: 200 } }), (error: unknown) => {
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.code, 'ERR_GCS_TIMEOUT');
    assert.equal(error.systemCode, 'UND_ERR_HEADERS_TIMEOUT');
    assert.equal(error.retryable, true);
    assert.match(error.message, /GET http:\/\/127\.0\.0\.1:\d+\/slow timed out/);
    return true;
  });
  assert.ok(Date.now() - started < 4000, 'the per-request readMs overrode the transport default');
});

test('a stall in the middle of the body → the body read fails, mapTransportError gives TimeoutError', async (t) => {
  const { url, transport } = await setup(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('x'.repeat(100)); // then silence
  }, { timeout: { readMs: 200 } });
  const request = get(`${url}/stall`);
  const response = await transport.request(request);
  await assert.rejects(readBodyText(response.body).catch((e: unknown) => Promise.reject(mapTransportError(e, request))), {
    name: 'TimeoutError',
    systemCode: 'UND_ERR_BODY_TIMEOUT',
  });
});

test('a connection reset before the response → NetworkError with the system code', async (t) => {
  const { url, transport } = await setup(t, (req) => req.socket.destroy());
  await assert.rejects(transport.request(get(`${url}/reset`)), (error: unknown) => {
    assert.ok(error instanceof NetworkError && !(error instanceof TimeoutError));
    assert.equal(error.code, 'ERR_GCS_NETWORK');
    assert.ok(['UND_ERR_SOCKET', 'ECONNRESET'].includes(error.systemCode ?? ''), error.systemCode);
    assert.ok(error.cause instanceof Error);
    return true;
  });
});

test('a reset in the middle of the body → NetworkError via mapTransportError', async (t) => {
  const { url, transport } = await setup(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100000' });
    res.write(Buffer.alloc(5000), () => res.socket?.destroy());
  });
  const request = get(`${url}/midbody`);
  const response = await transport.request(request);
  await assert.rejects(
    readBodyText(response.body).catch((e: unknown) => Promise.reject(mapTransportError(e, request))),
    (error: unknown) => error instanceof NetworkError && error.retryable,
  );
});

test('connection refused → NetworkError ECONNREFUSED', async (t) => {
  const port = await closedPort();
  const transport = new UndiciTransport();
  t.after(() => transport.close());
  await assert.rejects(transport.request(get(`http://127.0.0.1:${port}/x`)), { name: 'NetworkError', systemCode: 'ECONNREFUSED' });
});

test('abort while waiting for headers → AbortError carrying the reason; mid-body abort too', async (t) => {
  const { url, transport } = await setup(t, (req, res) => {
    if (req.url === '/body') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('x');
    }
  });
  const controller = new AbortController();
  const reason = new Error('stop now');
  setTimeout(() => controller.abort(reason), 50);
  await assert.rejects(transport.request(get(`${url}/hang`), { signal: controller.signal }), (error: unknown) => {
    assert.ok(error instanceof AbortError);
    assert.equal(error.name, 'AbortError');
    assert.equal(error.cause, reason);
    return true;
  });

  const second = new AbortController();
  const request = get(`${url}/body`);
  const response = await transport.request(request, { signal: second.signal });
  setTimeout(() => second.abort(), 20);
  await assert.rejects(
    readBodyText(response.body).catch((e: unknown) => Promise.reject(mapTransportError(e, request, second.signal))),
    { name: 'AbortError', code: 'ABORT_ERR' },
  );

  const already = new AbortController();
  already.abort();
  await assert.rejects(transport.request(get(`${url}/never`), { signal: already.signal }), { name: 'AbortError' });
});

/** An AuthProvider that hands out numbered tokens and counts forced refreshes. */
class CountingProvider implements AuthProvider {
  token = 1;
  refreshes = 0;
  async getHeaders(_url: string, options: { forceRefresh?: boolean } = {}): Promise<Record<string, string>> {
    if (options.forceRefresh) {
      this.refreshes++;
      this.token++;
    }
    return { authorization: `Bearer token-${this.token}` };
  }
}

test('401 → one refresh (forceRefresh) and one resend with the new token, body included', async (t) => {
  const auth = new CountingProvider();
  const { url, transport, seen } = await setup(t, (req, res) => {
    res.statusCode = req.headers.authorization === 'Bearer token-2' ? 200 : 401;
    res.end(res.statusCode === 401 ? 'expired' : 'ok');
  }, { auth });
  const response = await transport.request({ method: 'PUT', url: `${url}/o`, headers: {}, body: 'payload' });
  assert.equal(response.status, 200);
  assert.equal(await readBodyText(response.body), 'ok');
  assert.equal(auth.refreshes, 1);
  assert.deepEqual(seen.map((s) => s.headers.authorization), ['Bearer token-1', 'Bearer token-2']);
  assert.deepEqual(seen.map((s) => s.body.toString()), ['payload', 'payload']);
});

test('401 is retried only once, and not at all for a streamed (non-replayable) body', async (t) => {
  const auth = new CountingProvider();
  const { url, transport, seen } = await setup(t, (_req, res) => {
    res.statusCode = 401;
    res.end('no');
  }, { auth });
  const twice = await transport.request(get(`${url}/a`));
  assert.equal(twice.status, 401);
  await dumpBody(twice.body);
  assert.equal(seen.length, 2);
  const streamed = await transport.request({ method: 'PUT', url: `${url}/b`, headers: {}, body: Readable.from([Buffer.from('s')]) });
  assert.equal(streamed.status, 401);
  await dumpBody(streamed.body);
  assert.equal(seen.length, 3);
  assert.equal(auth.refreshes, 1);
});

test('StaticTokenProvider sends the bearer token to loopback http; NoAuthProvider sends none', async (t) => {
  const { url, seen } = await setup(t, (_req, res) => res.end());
  const withToken = new UndiciTransport({ auth: new StaticTokenProvider('ya29.secret-token') });
  const anonymous = new UndiciTransport({ auth: new NoAuthProvider() });
  t.after(() => Promise.all([withToken.close(), anonymous.close()]));
  await dumpBody((await withToken.request(get(`${url}/t`))).body);
  await dumpBody((await anonymous.request(get(`${url}/n`))).body);
  assert.equal(seen[0]?.headers.authorization, 'Bearer ya29.secret-token');
  assert.equal(seen[1]?.headers.authorization, undefined);
  assert.equal(JSON.stringify(new StaticTokenProvider('ya29.secret-token')).includes('secret'), false);
});

test('credentials are never sent over plain http to a non-loopback host (refused before connecting)', async () => {
  let asked = 0;
  const auth: AuthProvider = {
    getHeaders: async () => {
      asked++;
      return { authorization: 'Bearer ya29.top-secret' };
    },
  };
  const transport = new UndiciTransport({ auth });
  try {
    await assert.rejects(transport.request(get('http://storage.example.invalid/b/o')), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.match(error.message, /plain http to http:\/\/storage\.example\.invalid/);
      assert.doesNotMatch(error.message, /top-secret/);
      return true;
    });
    assert.equal(asked, 0, 'the provider was not even asked for a token');
    // A request carrying its own Authorization header is refused too, even by an anonymous transport.
    const anonymous = new UndiciTransport();
    await assert.rejects(anonymous.request(get('http://10.1.2.3/b/o', { authorization: 'Bearer ya29.x' })), {
      code: 'ERR_GCS_INVALID_ARG',
    });
    await anonymous.close();
  } finally {
    await transport.close();
  }
  assert.throws(() => createTransport({ endpoint: 'http://gcs.example.invalid', auth: { token: 'ya29.t' } }), {
    code: 'ERR_GCS_INVALID_ARG',
    message: /plain-http endpoint http:\/\/gcs\.example\.invalid/,
  });
});

test('errors carry the redacted URL and no credentials', async (t) => {
  const { url, transport } = await setup(t, (req) => req.socket.destroy(), { auth: new StaticTokenProvider('ya29.hidden') });
  const request = get(`${url}/o?upload_id=SESSION123&X-Goog-Signature=abcdef`);
  await assert.rejects(transport.request(request), (error: unknown) => {
    assert.ok(error instanceof NetworkError);
    const text = `${error.message} ${JSON.stringify(error)} ${JSON.stringify(error.request)}`;
    for (const secret of ['ya29.hidden', 'SESSION123', 'abcdef']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.match(error.message, /upload_id=REDACTED/);
    return true;
  });
});

test('createTransport: emulator host → anonymous; closed transports refuse requests', async (t) => {
  const { url, seen } = await setup(t, (_req, res) => res.end('ok'));
  const previous = process.env['STORAGE_EMULATOR_HOST'];
  process.env['STORAGE_EMULATOR_HOST'] = url.replace('http://', '');
  t.after(() => {
    if (previous === undefined) delete process.env['STORAGE_EMULATOR_HOST'];
    else process.env['STORAGE_EMULATOR_HOST'] = previous;
  });
  const transport = createTransport({ userAgent: 'my-app/1.0' });
  const response = await transport.request(get(`${url}/x`));
  assert.equal(await readBodyText(response.body), 'ok');
  assert.equal(seen[0]?.headers.authorization, undefined);
  assert.equal(seen[0]?.headers['user-agent'], 'my-app/1.0');
  await transport.close();
  await assert.rejects(transport.request(get(`${url}/x`)), (error: unknown) => error instanceof InvalidStateError);
  assert.throws(() => createTransport({ auth: 'bogus' as 'none' }), { code: 'ERR_GCS_INVALID_ARG', message: /`auth`/ });
  assert.throws(() => createTransport({ auth: 'none', connections: 0 }), { message: /`connections`/ });
  assert.throws(() => createTransport({ auth: 'none', timeout: { readMs: -1 } }), { message: /`timeout\.readMs`/ });
});

/**
 * Hostile servers: each answers with one specific protocol violation or attack, and the engine must detect it
 * (a typed error, never a file or object presented as complete), keep its memory bounded whatever the server
 * sends, never follow a redirect — so credentials are never sent to another host — and never leak the token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { serializeError } from '../../src/errors.js';
import { TransferManager } from '../../src/transfer/transfer-manager.js';
import { SHORT_RETRY, assertTypedError } from './fault-matrix.js';
import { startHostileServer, streamBytes, watchMemory, type HostileHandler, type HostileServer } from './hostile-server.js';

const MiB = 1024 * 1024;
const TOKEN = 'ya29.hostile-test-token-that-must-not-leak';
const SIGNATURE = 'f00dfacecafe0123456789signature';
/** What the hostile download servers claim the object is. */
const SIZE = 8 * MiB;
const CHUNK = MiB;
/** Far more than any bounded client would hold: a client that buffered it would show it in its RSS. */
const FLOOD = 512 * MiB;
/** Growth of this process's RSS that a bounded client stays under (the flood is 512 MiB). */
const MEMORY_BOUND = 96 * MiB;

let dir: string;
let source: string;
/** A second host: it must never receive a request (redirects are not followed). */
let elsewhere: HostileServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostile-'));
  source = join(dir, 'upload.bin');
  await writeFile(source, randomBytes(5 * MiB + 1000));
  elsewhere = await startHostileServer((_req, res) => {
    res.end('you should not be here');
  });
});

after(async () => {
  assert.equal(elsewhere.requests.length, 0, 'no request ever reached the other host');
  await elsewhere.close();
  await rm(dir, { recursive: true, force: true });
});

/** Read timeout: a stalled body is cut after this long. */
const READ_MS = 200;

function manager(url: string): TransferManager {
  return new TransferManager({
    endpoint: url,
    auth: { token: TOKEN },
    chunkSize: CHUNK,
    concurrency: 2,
    retry: SHORT_RETRY,
    timeout: { readMs: READ_MS, connectMs: 2_000 },
  });
}

/** `bytes=a-b` → [a, b]. */
function requestedRange(header: string | undefined): [number, number] {
  const match = /^bytes=(\d+)-(\d+)$/.exec(header ?? '');
  assert.ok(match, `expected a ranged request, got ${String(header)}`);
  return [Number(match[1]), Number(match[2])];
}

interface Failure {
  error: unknown;
  server: HostileServer;
  memoryGrowth: number;
  elapsedMs: number;
}

async function failingTransfer(handler: HostileHandler, run: (tm: TransferManager) => Promise<unknown>): Promise<Failure> {
  const server = await startHostileServer(handler);
  const tm = manager(server.url);
  const memory = watchMemory();
  const started = performance.now();
  try {
    await run(tm);
    assert.fail('the transfer must not succeed against this server');
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    return { error, server, memoryGrowth: memory.stop(), elapsedMs: performance.now() - started };
  } finally {
    memory.stop();
    await tm.close();
    await server.close();
  }
}

/**
 * What every failure must satisfy: typed, quick, the token only ever sent to the server we talk to and never
 * shown. With `flooded`, the server offered far more than a client may hold, and the RSS must show it did not.
 * (Not checked where the part workers start: their threads' own start-up cost would dominate the figure.)
 */
function assertContained(failure: Failure, codes: readonly string[], flooded = false): void {
  assertTypedError(failure.error);
  const text = JSON.stringify(serializeError(failure.error)) + String((failure.error as Error).stack);
  assert.ok(!text.includes(TOKEN.slice(5)), 'the token never appears in the error');
  assert.ok(!text.includes(SIGNATURE), 'a signature never appears in the error');
  const codesSeen = [failure.error.code, (failure.error.cause as { code?: string } | undefined)?.code];
  assert.ok(codesSeen.some((code) => code !== undefined && codes.includes(code)), `got ${codesSeen.join(' / ')}: ${failure.error.message}`);
  if (flooded) assert.ok(failure.memoryGrowth < MEMORY_BOUND, `RSS grew by ${Math.round(failure.memoryGrowth / MiB)} MiB`);
  assert.ok(failure.elapsedMs < 15_000, `took ${Math.round(failure.elapsedMs)} ms`);
  for (const request of failure.server.requests) {
    assert.equal(request.headers.authorization, `Bearer ${TOKEN}`, 'credentials go to the endpoint we were given');
  }
}

async function download(tm: TransferManager, name: string): Promise<string> {
  const dest = join(dir, name);
  try {
    await tm.downloadFile(`gs://bkt/${name}`, dest);
  } finally {
    await assert.rejects(stat(dest), { code: 'ENOENT' }, 'no destination file');
    await assert.rejects(stat(`${dest}.gcs-transfer.partial`), { code: 'ENOENT' }, 'no partial file');
  }
  return dest;
}

function partialContent(res: ServerResponse, start: number, end: number, extra: Record<string, string> = {}): void {
  res.writeHead(206, {
    'content-range': `bytes ${start}-${end}/${SIZE}`,
    'x-goog-generation': '1',
    'x-goog-hash': 'crc32c=AAAAAA==',
    ...extra,
  });
}

test('a 200 with the whole (enormous) body for a ranged GET is refused without reading it all', async () => {
  const failure = await failingTransfer(
    (_req, res, server) => {
      res.writeHead(200, { 'content-length': String(FLOOD), 'x-goog-generation': '1' });
      return streamBytes(res, server, FLOOD);
    },
    (tm) => download(tm, 'ignored-range.bin'),
  );
  assertContained(failure, ['ERR_GCS_INVALID_RESPONSE'], true);
  assert.ok(failure.server.bytesSent < 128 * MiB, `the client read ${Math.round(failure.server.bytesSent / MiB)} MiB of the flood`);
});

test('more bytes than Content-Range announces (a body that never ends) are refused, memory bounded', async () => {
  const failure = await failingTransfer(
    (req, res, server) => {
      const [start, end] = requestedRange(req.headers.range);
      partialContent(res, start, end);
      return streamBytes(res, server, Number.POSITIVE_INFINITY);
    },
    (tm) => download(tm, 'too-long.bin'),
  );
  assertContained(failure, ['ERR_GCS_INVALID_RESPONSE'], true);
  assert.ok(failure.server.bytesSent < 128 * MiB);
});

test('a Content-Range for another range is refused', async () => {
  const failure = await failingTransfer(
    (req, res, server) => {
      const [start, end] = requestedRange(req.headers.range);
      partialContent(res, start + 1, end + 1, { 'content-length': String(end - start + 1) });
      return streamBytes(res, server, end - start + 1);
    },
    (tm) => download(tm, 'other-range.bin'),
  );
  assertContained(failure, ['ERR_GCS_INVALID_RESPONSE']);
});

test('a 206 without Content-Range is refused', async () => {
  const failure = await failingTransfer(
    (req, res, server) => {
      const [start, end] = requestedRange(req.headers.range);
      res.writeHead(206, { 'content-length': String(end - start + 1), 'x-goog-generation': '1' });
      return streamBytes(res, server, end - start + 1);
    },
    (tm) => download(tm, 'no-content-range.bin'),
  );
  assertContained(failure, ['ERR_GCS_INVALID_RESPONSE']);
});

test('a body that stops flowing is cut by the read timeout and retried, then fails with a timeout — no hang', async () => {
  const failure = await failingTransfer(
    (req, res) => {
      const [start, end] = requestedRange(req.headers.range);
      partialContent(res, start, end, { 'content-length': String(end - start + 1) });
      res.write(Buffer.alloc(100));
      // ...and nothing more, ever (the socket stays open until the client gives up).
    },
    (tm) => download(tm, 'stalled.bin'),
  );
  assertContained(failure, ['ERR_GCS_TIMEOUT']);
  assert.ok(failure.server.requests.length > 1, 'the stalled range was retried');
});

test('a redirect to another host is not followed: no request (and no credentials) reach it', async () => {
  const failure = await failingTransfer(
    (req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}${req.url ?? '/'}&X-Goog-Signature=${SIGNATURE}` });
      res.end();
    },
    (tm) => download(tm, 'redirected.bin'),
  );
  assertContained(failure, ['ERR_GCS_INVALID_RESPONSE']);
  assert.equal(elsewhere.requests.length, 0);
});

/** A multipart-upload server whose initiate answer is `initiate`; parts and cancels are answered politely. */
function uploadServer(initiate: (res: ServerResponse, server: HostileServer) => void | Promise<void>, part?: HostileHandler): HostileHandler {
  return (req, res, server) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.searchParams.has('uploads')) return initiate(res, server);
    if (req.method === 'PUT' && part) return part(req, res, server);
    if (req.method === 'DELETE') {
      res.writeHead(204).end();
      return undefined;
    }
    res.writeHead(500).end();
    return undefined;
  };
}

const upload = (name: string) => (tm: TransferManager) => tm.uploadFile(source, `gs://bkt/${name}`);

test('truncated XML is refused', async () => {
  const failure = await failingTransfer(
    uploadServer((res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>bkt</Bucket><UploadId>abc');
    }),
    upload('truncated-xml.bin'),
  );
  assertContained(failure, ['ERR_GCS_INVALID_RESPONSE']);
});

test('enormous XML is refused after a bounded read', async () => {
  const failure = await failingTransfer(
    uploadServer(async (res, server) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.write('<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>');
      await streamBytes(res, server, FLOOD, Buffer.alloc(64 * 1024, 'a'));
    }),
    upload('enormous-xml.bin'),
  );
  assertContained(failure, ['ERR_GCS_INVALID_RESPONSE'], true);
  assert.ok(failure.server.bytesSent < 128 * MiB, `the client read ${Math.round(failure.server.bytesSent / MiB)} MiB of XML`);
});

test('XML with a DTD and entity definitions (billion laughs, external entity) is refused unexpanded', async () => {
  const laughs = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE lolz [',
    ' <!ENTITY lol "lol">',
    ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
    ' <!ENTITY xxe SYSTEM "file:///etc/passwd">',
    ']>',
    '<InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>k</Key><UploadId>&lol9;&xxe;</UploadId></InitiateMultipartUploadResult>',
  ].join('\n');
  const failure = await failingTransfer(
    uploadServer((res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(laughs);
    }),
    upload('dtd.bin'),
  );
  assertContained(failure, ['ERR_GCS_INVALID_RESPONSE'], true);
  assert.doesNotMatch(JSON.stringify(serializeError(failure.error)), /root:|lollollol/, 'no entity was expanded');
});

test('redirects on upload requests are not followed either, by the main thread or by the part workers', async () => {
  const redirect = (res: ServerResponse): void => {
    res.writeHead(307, { location: `${elsewhere.url}/bkt/x?X-Goog-Signature=${SIGNATURE}` });
    res.end();
  };
  const atInitiate = await failingTransfer(uploadServer(redirect), upload('redirect-initiate.bin'));
  assertContained(atInitiate, ['ERR_GCS_INVALID_RESPONSE']);
  const atParts = await failingTransfer(
    uploadServer(
      (res) => {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0"?><InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>');
      },
      (_req, res) => redirect(res),
    ),
    upload('redirect-part.bin'),
  );
  assertContained(atParts, ['ERR_GCS_INVALID_RESPONSE']);
  assert.ok(atParts.server.requests.some((r) => r.method === 'PUT'), 'the parts were sent (to the right host)');
  assert.equal(elsewhere.requests.length, 0);
});

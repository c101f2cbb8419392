/**
 * Bare-client baselines: what plain undici costs doing the same transfer as the engine with nothing of ours in
 * the data path — no hashing, no protocol checks, no threads, no retries. The engine's client CPU per GiB is
 * reported as a ratio to these, measured against the same server in the same run, so the ratio says what the
 * engine's integrity and robustness cost per byte, not how fast this machine happens to be today.
 *
 * - `bare-drop`: ranged GETs through undici's dispatch API, `concurrency` in flight, bodies dropped;
 * - `bare-file`: the same, each range's pieces written at their offsets in 1 MiB vectored positional writes;
 * - `bare-put`: an XML multipart upload whose parts are PUTs of file ranges streamed from disk (no hash header).
 */
import { createReadStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import { authProviderFor } from '../../src/transport/create-transport.js';
import { GcsEndpoint } from '../../src/transport/endpoint.js';
import { assertFile } from '../verify.js';
import type { BenchCase, CaseFactory, DownloadCaseSpec, TargetSpec, UploadCaseSpec } from './case.js';

/** Bytes gathered per positional write, as the engine does. */
const WRITE_BATCH = 1024 * 1024;

/** The ranges `[start, end)` of an object of `size` bytes in pieces of `chunk`. */
function* ranges(size: number, chunk: number): Generator<{ start: number; end: number; index: number }> {
  for (let start = 0, index = 0; start < size; start += chunk, index++) yield { start, end: Math.min(size, start + chunk), index };
}

/** Runs `task` over `items` with `concurrency` in flight (a plain sliding window, as any client would write). */
async function window<T>(items: Iterator<T>, concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  const lane = async (): Promise<void> => {
    for (let next = items.next(); !next.done; next = items.next()) await task(next.value);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

function agent(): Agent {
  return new Agent({ connections: 256, pipelining: 1 });
}

async function authHeaders(target: TargetSpec, url: string): Promise<Record<string, string>> {
  return authProviderFor(target.auth, 'read-write').getHeaders(url);
}

/** One request whose body is handed to `onBody` piece by piece (undici's dispatch API: no stream per response). */
function dispatchGet(dispatcher: Dispatcher, url: URL, headers: Record<string, string>, onBody: (piece: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let status = 0;
    dispatcher.dispatch(
      { origin: url.origin, path: url.pathname + url.search, method: 'GET', headers },
      {
        onConnect() {},
        onHeaders(statusCode) {
          status = statusCode;
          return true;
        },
        onData(piece: Buffer) {
          if (status === 206) onBody(piece);
          return true;
        },
        onComplete() {
          if (status === 206) resolve();
          else reject(new Error(`bare client: GET answered ${status}`));
        },
        onError: reject,
      },
    );
  });
}

export const createBareDownloadCase: CaseFactory<DownloadCaseSpec> = async (spec) => {
  const dispatcher = agent();
  const url = new URL(new GcsEndpoint(spec.target.endpoint).mediaUrl(spec.target.bucket, spec.name));
  const destination = join(spec.workDir, `bare-download-${process.pid}.bin`);
  const toFile = spec.method === 'bare-file';
  let received = 0;

  async function fetchRange(file: FileHandle | undefined, headers: Record<string, string>, start: number, end: number): Promise<void> {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let position = start;
    let writes = Promise.resolve();
    const flush = (): void => {
      if (file === undefined || batchBytes === 0) return;
      const pieces = batch;
      const at = position;
      position += batchBytes;
      batch = [];
      batchBytes = 0;
      writes = writes.then(async () => {
        await file.writev(pieces, at);
      });
    };
    await dispatchGet(dispatcher, url, { ...headers, range: `bytes=${start}-${end - 1}` }, (piece) => {
      received += piece.byteLength;
      if (file === undefined) return;
      batch.push(piece);
      batchBytes += piece.byteLength;
      if (batchBytes >= WRITE_BATCH) flush();
    });
    flush();
    await writes;
  }

  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      received = 0;
      const headers = await authHeaders(spec.target, url.href);
      const file = toFile ? await open(destination, 'w') : undefined;
      try {
        await window(ranges(spec.size, spec.chunkSize), spec.concurrency, ({ start, end }) => fetchRange(file, headers, start, end));
      } finally {
        await file?.close();
      }
    },
    async verify() {
      if (received !== spec.size) throw new Error(`bare client: received ${received} of ${spec.size} bytes`);
      if (toFile) await assertFile(destination, spec.size, spec.expectedCrc32c);
    },
    afterEach: () => rm(destination, { force: true }),
    async close() {
      await rm(destination, { force: true });
      await dispatcher.close();
    },
  };
  return bench;
};

export const createBareUploadCase: CaseFactory<UploadCaseSpec> = async (spec) => {
  const dispatcher = agent();
  const objectUrl = new URL(new GcsEndpoint(spec.target.endpoint).xmlObjectUrl(spec.target.bucket, spec.name));

  async function request(
    method: 'POST' | 'PUT',
    query: string,
    headers: Record<string, string>,
    body: Dispatcher.DispatchOptions['body'] = null,
  ): Promise<{ status: number; etag: string | undefined; text: string }> {
    const response = await dispatcher.request({ origin: objectUrl.origin, path: `${objectUrl.pathname}?${query}`, method, headers, body });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`bare client: ${method} ?${query.split('&')[0]} answered ${response.statusCode}`);
    const etag = response.headers.etag;
    return { status: response.statusCode, etag: Array.isArray(etag) ? etag[0] : etag, text };
  }

  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      const headers = await authHeaders(spec.target, objectUrl.href);
      const initiated = await request('POST', 'uploads', { ...headers, 'content-type': 'application/octet-stream' });
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(initiated.text)?.[1];
      if (uploadId === undefined) throw new Error('bare client: no UploadId in the initiate answer');
      const etags: string[] = [];
      await window(ranges(spec.size, spec.chunkSize), spec.concurrency, async ({ start, end, index }) => {
        const body = createReadStream(spec.sourceFile, { start, end: end - 1, highWaterMark: 256 * 1024 });
        const part = await request('PUT', `partNumber=${index + 1}&uploadId=${encodeURIComponent(uploadId)}`, { ...headers, 'content-length': String(end - start) }, body);
        etags[index] = part.etag ?? '';
      });
      const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('');
      await request('POST', `uploadId=${encodeURIComponent(uploadId)}`, headers, `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`);
    },
    close: () => dispatcher.close(),
  };
  return bench;
};

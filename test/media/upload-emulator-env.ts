/**
 * Set-up shared by the upload integration tests: an emulator, a real transport to it, a fast retry strategy,
 * and a plain download of what was stored, so every round trip is checked byte for byte.
 */
import type { TestContext } from 'node:test';
import { Transform } from 'node:stream';
import { request } from 'undici';
import type { Emulator } from '../../src/emulator/index.js';
import { createTransport } from '../../src/transport/create-transport.js';
import { GcsEndpoint } from '../../src/transport/endpoint.js';
import { RetryStrategy } from '../../src/transport/retry.js';
import type { HttpRequest, Transport } from '../../src/transport/transport.js';
import { useEmulator } from '../emulator/helpers.js';

export { bytes } from '../emulator/helpers.js';

export const BUCKET = 'upload-tests';

export interface UploadEnv {
  emulator: Emulator;
  endpoint: GcsEndpoint;
  transport: Transport;
}

export async function useUploadEnv(t: TestContext): Promise<UploadEnv> {
  const emulator = await useEmulator(t);
  const transport = createTransport({ endpoint: emulator.url, auth: 'none', timeout: { readMs: 5_000 } });
  t.after(() => transport.close());
  return { emulator, endpoint: new GcsEndpoint(emulator.url), transport };
}

/** Back-off of 10 ms doubling to 1 s at most (which still honours a `Retry-After: 1`). */
export function fastRetry(options: { maxRetries?: number } = {}): RetryStrategy {
  return new RetryStrategy({ initialDelayMs: 10, maxSleepMs: 1_000, random: () => 0.01, ...options });
}

/** The stored object's bytes, fetched with a plain request (not through the code under test). */
export async function downloadBack(env: UploadEnv, name: string): Promise<Buffer> {
  const response = await request(env.endpoint.mediaUrl(BUCKET, name));
  const body = Buffer.from(await response.body.arrayBuffer());
  if (response.statusCode !== 200) throw new Error(`download of ${name} failed: ${response.statusCode} ${body.toString()}`);
  return body;
}

/**
 * A transport that flips one bit of the request body of the requests `select` picks — the bytes on the wire
 * then differ from the bytes the client hashed, which only the server can notice.
 */
export function corruptingTransport(inner: Transport, select: (request: HttpRequest) => boolean): Transport {
  return {
    close: () => inner.close(),
    request(req, options) {
      if (!select(req) || req.body === null || req.body === undefined || typeof req.body === 'string') return inner.request(req, options);
      if (req.body instanceof Uint8Array) {
        const copy = Buffer.from(req.body);
        if (copy.length > 0) copy[0] = (copy[0] as number) ^ 1;
        return inner.request({ ...req, body: copy }, options);
      }
      let flipped = false;
      const flip = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          if (!flipped && chunk.length > 0) {
            chunk = Buffer.from(chunk);
            chunk[0] = (chunk[0] as number) ^ 1;
            flipped = true;
          }
          callback(null, chunk);
        },
      });
      const source = req.body as NodeJS.ReadableStream;
      source.pipe(flip);
      return inner.request({ ...req, body: flip }, options);
    },
  };
}

/**
 * Shared set-up for the emulator's tests: an emulator per test (closed after it) and a raw HTTP helper that
 * shows exactly what went over the wire (no decompression, no redirects, headers as sent).
 */
import { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { request, type Dispatcher } from 'undici';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';

export async function useEmulator(t: TestContext, options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator(options);
  t.after(() => emulator.close());
  return emulator;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** The first value of a header. */
  header(name: string): string | undefined;
  json(): any;
}

export async function call(
  url: string,
  options: { method?: Dispatcher.HttpMethod; headers?: Record<string, string>; body?: string | Buffer | AsyncIterable<Buffer> } = {},
): Promise<RawResponse> {
  const response = await request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, body: options.body === undefined || typeof options.body === 'string' || Buffer.isBuffer(options.body) ? (options.body ?? null) : Readable.from(options.body) });
  const body = Buffer.from(await response.body.arrayBuffer());
  return {
    status: response.statusCode,
    headers: response.headers,
    body,
    text: body.toString('utf8'),
    header(name) {
      const value = response.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
    json() {
      return JSON.parse(body.toString('utf8'));
    },
  };
}

/** Deterministic pseudo-random bytes, so failures reproduce. */
export function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Media upload through the JSON API; returns the object resource. */
export async function uploadMedia(emulator: Emulator, bucket: string, name: string, data: Buffer, query = ''): Promise<any> {
  const response = await call(`${emulator.url}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(name)}${query}`, {
    method: 'POST',
    body: data,
  });
  if (response.status !== 200) throw new Error(`upload failed: ${response.status} ${response.text}`);
  return response.json();
}

export function jsonObjectUrl(emulator: Emulator, bucket: string, name: string): string {
  return `${emulator.url}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`;
}

/**
 * Shared set-up for the engine's tests: an in-process emulator, a TransferManager with a fast retry policy,
 * seeded incompressible data, temp files, and probes of what a failed transfer left behind.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { TransferManager } from '../../src/transfer/transfer-manager.js';
import type { TransferManagerOptions } from '../../src/transfer/options.js';
import { RetryStrategy } from '../../src/transport/retry.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Retries after ~10 ms instead of ~1 s, so fault tests stay fast; bounded so a stuck fault fails quickly. */
export function fastRetry(): RetryStrategy {
  return new RetryStrategy({ initialDelayMs: 10, maxSleepMs: 40, maxRetries: 4, random: () => 0 });
}

/** Deterministic, incompressible bytes: an AES-CTR keystream keyed by `seed`. */
export function seededBytes(size: number, seed: number): Buffer {
  const key = createHash('sha256').update(`seed:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

export interface Harness {
  emulator: Emulator;
  dir: string;
  /** A manager on the emulator with fast retries; more options override the test defaults. */
  manager(options?: TransferManagerOptions): TransferManager;
  close(): Promise<void>;
}

/** Starts an emulator and a temp directory; every manager created is closed by `close()`. */
export async function harness(): Promise<Harness> {
  const emulator = await startEmulator();
  const dir = await mkdtemp(join(tmpdir(), 'gcs-transfer-test-'));
  const managers: TransferManager[] = [];
  return {
    emulator,
    dir,
    manager(options = {}) {
      const manager = new TransferManager({ endpoint: emulator.url, auth: 'none', retry: fastRetry(), workers: 2, ...options });
      managers.push(manager);
      return manager;
    },
    async close() {
      await Promise.all(managers.map((m) => m.close()));
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function writeSeededFile(path: string, size: number, seed: number): Promise<Buffer> {
  const data = seededBytes(size, seed);
  await writeFile(path, data);
  return data;
}

/** The bytes of an object, read with one plain GET of the XML API (independent of the engine). */
export async function objectBytes(emulator: Emulator, bucket: string, name: string): Promise<Buffer> {
  const response = await fetch(`${emulator.url}/${bucket}/${name.split('/').map(encodeURIComponent).join('/')}`);
  if (response.status !== 200) throw new Error(`GET ${bucket}/${name}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Whether the server still knows the multipart upload (ListParts answers 200 rather than 404 NoSuchUpload). */
export async function uploadIsOpen(emulator: Emulator, bucket: string, name: string, uploadId: string): Promise<boolean> {
  const path = name.split('/').map(encodeURIComponent).join('/');
  const response = await fetch(`${emulator.url}/${bucket}/${path}?uploadId=${encodeURIComponent(uploadId)}`);
  await response.arrayBuffer();
  if (response.status === 200) return true;
  if (response.status === 404) return false;
  throw new Error(`ListParts answered ${response.status}`);
}

/**
 * The peer: `@google-cloud/storage` 7.x `TransferManager`, driven with the same object, chunk size and
 * concurrency as our engine. Explicit options on every call: `noReturnData: true`
 * (otherwise it returns the whole object as a Buffer), `validation` spelled out, absolute destinations.
 *
 * Against the emulator its XML multipart upload needs help: it builds `https://BUCKET.HOST/NAME` (https, no
 * port, virtual-host style) and sends every MPU request through `storage.authClient.request()`. The auth client
 * below rewrites those URLs to the emulator's path style and sends them with the library's own HTTP stack
 * (gaxios), so what is measured is still the peer's code. JSON downloads go to `apiEndpoint` without auth.
 */
import { createRequire } from 'node:module';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Storage as StorageClass, TransferManager as PeerTransferManager } from '@google-cloud/storage';
import { InvalidArgumentError } from '../../src/errors.js';
import { assertFile } from '../verify.js';
import type { BenchCase, CaseFactory, DownloadCaseSpec, TargetSpec, UploadCaseSpec } from './case.js';

type GaxiosOptions = { url?: unknown } & Record<string, unknown>;
type GaxiosRequest = (options: GaxiosOptions) => Promise<unknown>;
type AuthClientClass = abstract new () => object;

/**
 * Builds the URL-rewriting auth client, subclassing the `AuthClient` of the google-auth-library copy that
 * @google-cloud/storage itself loads (not ours: a different major version would not be recognised).
 */
function emulatorAuthClient(endpoint: string): object {
  const storageRequire = createRequire(createRequire(import.meta.url).resolve('@google-cloud/storage'));
  const authRequire = createRequire(storageRequire.resolve('google-auth-library'));
  const { AuthClient } = authRequire('google-auth-library') as { AuthClient: AuthClientClass };
  const { request } = authRequire('gaxios') as { request: GaxiosRequest };
  const base = endpoint.replace(/\/+$/, '');

  class EmulatorAuthClient extends AuthClient {
    async getAccessToken(): Promise<{ token: string }> {
      return { token: 'unused' };
    }

    async getRequestHeaders(): Promise<Record<string, string>> {
      return {};
    }

    /** Only the XML MPU helper calls this: https://BUCKET.ANYHOST/NAME?QUERY → BASE/BUCKET/NAME?QUERY. */
    async request(options: GaxiosOptions): Promise<unknown> {
      // A regex, not new URL(): "https://bench.127.0.0.1/x" is not a valid WHATWG URL host.
      const match = /^https:\/\/([^./]+)\.[^/]+(\/.*)$/s.exec(String(options.url));
      if (!match) throw new InvalidArgumentError(`peer bench: unexpected MPU URL ${String(options.url)}`);
      return request({ ...options, url: `${base}/${match[1]}${match[2]}`, responseType: 'text' });
    }
  }
  return new EmulatorAuthClient();
}

export async function peerTransferManager(target: TargetSpec): Promise<{ storage: StorageClass; tm: PeerTransferManager }> {
  // Never let google-auth-library probe the GCE metadata server from a benchmark.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const { Storage, TransferManager } = await import('@google-cloud/storage');
  const storage =
    target.auth === 'none'
      ? new Storage({ apiEndpoint: target.endpoint, projectId: 'bench', authClient: emulatorAuthClient(target.endpoint) as never })
      : new Storage({ apiEndpoint: target.endpoint, ...(typeof target.auth === 'object' ? { token: target.auth.token } : {}) });
  return { storage, tm: new TransferManager(storage.bucket(target.bucket)) };
}

export const createPeerDownloadCase: CaseFactory<DownloadCaseSpec> = async (spec) => {
  const { tm, storage } = await peerTransferManager(spec.target);
  const destination = join(spec.workDir, `peer-download-${process.pid}.bin`);
  const file = storage.bucket(spec.target.bucket).file(spec.name);
  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      await tm.downloadFileInChunks(file, {
        destination,
        chunkSizeBytes: spec.chunkSize,
        concurrencyLimit: spec.concurrency,
        noReturnData: true,
        validation: spec.method === 'peer-crc32c' ? 'crc32c' : false,
      });
    },
    verify: () => assertFile(destination, spec.size, spec.expectedCrc32c),
    afterEach: () => rm(destination, { force: true }),
    close: () => rm(destination, { force: true }),
  };
  return bench;
};

export const createPeerUploadCase: CaseFactory<UploadCaseSpec> = async (spec) => {
  const { tm } = await peerTransferManager(spec.target);
  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      await tm.uploadFileInChunks(spec.sourceFile, {
        uploadName: spec.name,
        chunkSizeBytes: spec.chunkSize,
        concurrencyLimit: spec.concurrency,
        validation: 'crc32c',
      });
    },
    // The parent verifies the uploaded object, so this process never loads our transport.
    async close() {},
  };
  return bench;
};

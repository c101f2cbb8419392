/**
 * Which module builds which case. Loaded lazily: a child process imports only the code of the case it runs,
 * so the peer library's footprint never shows up in our engine's peak RSS and vice versa.
 */
import type { BenchCase, CaseSpec } from './case.js';

let engineLoaded = false;

export async function createCase(spec: CaseSpec): Promise<BenchCase> {
  switch (spec.kind) {
    case 'crc32c':
      return (await import('./crc32c-hash.js')).createCrc32cCase(spec);
    case 'download':
      if (spec.method === 'peer-crc32c' || spec.method === 'peer-novalidation') {
        return (await import('./peer-storage.js')).createPeerDownloadCase(spec);
      }
      if (spec.method === 'curl') return (await import('./curl-download.js')).createCurlDownloadCase(spec);
      if (spec.method === 'single') return (await import('./single-download.js')).createSingleDownloadCase(spec);
      if (spec.method === 'bare-drop' || spec.method === 'bare-file') return (await import('./bare-undici.js')).createBareDownloadCase(spec);
      engineLoaded = true;
      return (await import('./engine-download.js')).createEngineDownloadCase(spec);
    case 'many':
      if (spec.method === 'peer') return (await import('./peer-many.js')).createPeerManyCase(spec);
      engineLoaded = true;
      return (await import('./engine-many.js')).createEngineManyCase(spec);
    case 'upload':
      if (spec.method === 'peer-crc32c') return (await import('./peer-storage.js')).createPeerUploadCase(spec);
      if (spec.method === 'bare-put') return (await import('./bare-undici.js')).createBareUploadCase(spec);
      if (spec.method === 'resumable' || spec.method === 'simple') {
        return (await import('./single-upload.js')).createSingleUploadCase(spec);
      }
      engineLoaded = true;
      return (await import('./engine-upload.js')).createEngineUploadCase(spec);
  }
}

/** Releases what cases share across the process (the engine's managers), once every case is done. */
export async function closeSharedResources(): Promise<void> {
  // Only if an engine case ran: importing the engine just to close nothing would cost the process memory.
  if (engineLoaded) await (await import('./engine-manager.js')).closeSharedTransferManagers();
}

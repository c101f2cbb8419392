/**
 * A case is one thing the bench measures (a download method, an upload method, a hash placement). Specs are
 * plain data so they cross the IPC boundary into the fresh child process that runs them.
 */
/** Where the transfers go, and with which credentials (`'none'` for the emulator). */
export interface TargetSpec {
  endpoint: string;
  /** Same forms as the engine's `auth` option, minus a live `AuthProvider` (it cannot cross IPC). */
  auth: 'none' | 'adc' | { token: string };
  bucket: string;
}

/** Options every transfer case shares. */
interface TransferCaseBase {
  target: TargetSpec;
  /** Object size in bytes. */
  size: number;
  /** Object name in `target.bucket`. */
  name: string;
  /** Engine part / range size, also given to the peer. */
  chunkSize: number;
  /** Requests in flight, also given to the peer. */
  concurrency: number;
  /** Whole-object CRC32C of the payload, to verify the first iteration's result outside the timed window. */
  expectedCrc32c: number;
  /** Scratch directory for downloaded files. */
  workDir: string;
}

export type DownloadMethod =
  /** One `RawDownload` GET of the whole object, streamed to a file, CRC32C-validated. */
  | 'single'
  /** `TransferManager.downloadFile`. */
  | 'tm-file'
  /** `TransferManager.downloadToStream` into a sink that only counts bytes. */
  | 'tm-stream'
  /** @google-cloud/storage 7.x `TransferManager.downloadFileInChunks`, whole-object CRC32C validation. */
  | 'peer-crc32c'
  /** The same without validation. */
  | 'peer-novalidation'
  /** `curl -o` on the JSON media URL (no validation: curl has none). */
  | 'curl'
  /** Bare undici (dispatch API) ranged GETs at the engine's settings, bodies dropped: the stream path's baseline. */
  | 'bare-drop'
  /** The same, written with 1 MiB positional writes: the file path's baseline. */
  | 'bare-file';

export type UploadMethod =
  /** `ResumableUpload` with the whole object as one chunk. */
  | 'resumable'
  /** `SimpleUpload` (one `uploadType=media` request). */
  | 'simple'
  /** `TransferManager.uploadFile` (XML MPU, parts read by workers). */
  | 'tm-file'
  /** `TransferManager.uploadStream` from a generated stream (no file). */
  | 'tm-stream'
  /** @google-cloud/storage 7.x `uploadFileInChunks`, CRC32C per part (its default). */
  | 'peer-crc32c'
  /** Bare undici PUTs of file ranges as XML multipart parts (no hashing): `tm-file`'s baseline. */
  | 'bare-put';

export interface DownloadCaseSpec extends TransferCaseBase {
  kind: 'download';
  method: DownloadMethod;
}

export interface UploadCaseSpec extends TransferCaseBase {
  kind: 'upload';
  method: UploadMethod;
  /** The payload on disk (file cases and the peer). */
  sourceFile: string;
  /** The payload's seed (stream cases generate it on the fly). */
  seed: string;
}

export interface Crc32cCaseSpec {
  kind: 'crc32c';
  impl: 'native' | 'js';
  placement: 'main' | 'pool';
  /** Bytes hashed per iteration. */
  size: number;
  /** Bytes per hashing task (one file part, in the engine's terms). */
  sliceSize: number;
  /** Worker threads for `placement: 'pool'`. */
  workers: number;
  seed: string;
}

/** A many-object case: a set of files uploaded under a prefix, or a prefix downloaded into a directory. */
export interface ManyCaseSpec {
  kind: 'many';
  direction: 'upload' | 'download';
  /** Our `uploadMany`/`downloadMany`, or @google-cloud/storage's `uploadManyFiles`/`downloadManyFiles`. */
  method: 'tm' | 'peer';
  target: TargetSpec;
  /** Which set (`small`, `mixed`), for names and labels. */
  set: string;
  /** Number of files / objects. */
  files: number;
  /** Their total size in bytes (what MiB/s is computed from). */
  size: number;
  /** Objects in flight (ours: `concurrency`; the peer: `concurrencyLimit`). */
  concurrency: number;
  /** The set's files (uploads). */
  sourceDir: string;
  /** Object prefix, ending in `/`: where uploads go, what downloads read. */
  prefix: string;
  workDir: string;
}

export type CaseSpec = DownloadCaseSpec | UploadCaseSpec | Crc32cCaseSpec | ManyCaseSpec;

/** CPU and memory of a separate program the case ran (curl), which the runner's own counters cannot see. */
export interface ExternalCost {
  cpuSec: number;
  maxRssMiB: number;
}

/** A case ready to run inside the child process. */
export interface BenchCase {
  /** Bytes processed per iteration (what MiB/s is computed from). */
  readonly bytes: number;
  /** One measured iteration. */
  run(): Promise<void>;
  /** For cases that run another program: its cost in the last iteration. */
  externalCost?(): ExternalCost | undefined;
  /** Checks the first iteration produced the right bytes. Not timed. */
  verify?(): Promise<void>;
  /** Clean-up between iterations (delete the downloaded file...). Not timed. */
  afterEach?(): Promise<void>;
  close(): Promise<void>;
}

/** What each case module exports. */
export type CaseFactory<S extends CaseSpec> = (spec: S) => Promise<BenchCase>;

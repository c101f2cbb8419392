/**
 * What a distributed transfer is, as stored in Redis once at submit time: the plan every worker reads (never
 * data, never credentials), and the small, serializable payloads of its tasks. Everything here is plain JSON.
 */
import { createHash, randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

/** Bump when the stored shapes change incompatibly; a worker refuses a job of another version. */
export const SPEC_VERSION = 1;

/**
 * The immutable plan of one distributed transfer.
 *
 * Uploads: the tree under `local` (a file or a directory on a filesystem every worker mounts at the same path)
 * becomes objects `prefix + relative path`. Downloads: objects under `prefix` become `local + name without the
 * prefix`, written by the workers into that shared directory. The submitter applies gcloud's naming rules
 * (a directory or prefix copied with -r keeps its last segment) when it sets `local` and `prefix`.
 */
export interface JobSpec {
  version: typeof SPEC_VERSION;
  name: string;
  direction: 'upload' | 'download';
  /** Absolute local path: the source file or directory (upload), or the destination directory or file (download). */
  local: string;
  bucket: string;
  /**
   * Uploads: the object-name prefix (`''`, or ending in `/`), or the full object name when `single`.
   * Downloads: the listing prefix, or the object name when `single`.
   */
  prefix: string;
  /** One file or object rather than a tree. */
  single: boolean;
  /** Base URL of the GCS APIs; undefined: each worker's default (`STORAGE_EMULATOR_HOST` or production). */
  endpoint?: string;
  /** Range / part size in bytes; objects larger than this are split into a flow of ranges or parts. */
  chunkSize: number;
  /** Requests in flight inside one small-object task (the TransferManager's concurrency). */
  concurrency: number;
  checksum: boolean;
  contentType?: string;
  /** Attempts of each task before it fails its object. */
  attempts: number;
  createdAt: number;
}

/** Task kinds (BullMQ job names). */
export const TASK = {
  listDir: 'list-dir',
  listBucket: 'list-bucket',
  object: 'object',
  part: 'part',
  range: 'range',
  finalizeUpload: 'finalize-upload',
  finalizeDownload: 'finalize-download',
} as const;
export type TaskName = (typeof TASK)[keyof typeof TASK];

/** Every payload names its job; objects are named by their path relative to the transfer's root. */
export interface TaskBase {
  job: string;
}
export interface ListDirTask extends TaskBase {
  /** Directory relative to the spec's `local` ('' for the root). */
  dir: string;
}
export interface ListBucketTask extends TaskBase {
  pageToken?: string;
  /** Page number, for task ids and messages. */
  page: number;
}
export interface ObjectTask extends TaskBase {
  /** Path relative to the root, `/`-separated (the object name minus the prefix). */
  rel: string;
  size: number;
  /** Downloads: the generation listed (every byte is read from it) and its base64 CRC32C. */
  generation?: string;
  crc32c?: string;
}
export interface PartTask extends TaskBase {
  rel: string;
  uploadId: string;
  partNumber: number;
  start: number;
  end: number;
}
export interface RangeTask extends TaskBase {
  rel: string;
  generation: string;
  start: number;
  end: number;
}
export interface FinalizeUploadTask extends TaskBase {
  rel: string;
  uploadId: string;
  size: number;
  parts: number;
}
export interface FinalizeDownloadTask extends TaskBase {
  rel: string;
  size: number;
  generation: string;
  crc32c?: string;
}
export type AnyTask = ListDirTask | ListBucketTask | ObjectTask | PartTask | RangeTask | FinalizeUploadTask | FinalizeDownloadTask;

/** What a part child returns to its parent (BullMQ stores it in the parent's processed values). */
export interface PartValue {
  partNumber: number;
  etag: string;
  crc32c: string;
  size: number;
}
/** What a range child returns: the unsigned CRC32C of `[start, end)`. */
export interface RangeValue {
  start: number;
  end: number;
  crc32c: number;
}

const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Job names become Redis keys and BullMQ job ids: letters, digits, `.`, `_`, `-`, at most 64. */
export function checkJobName(value: unknown, option = '--job'): string {
  if (typeof value !== 'string' || !JOB_NAME.test(value)) {
    throw new InvalidArgumentError(
      `${option}: expected 1-64 characters of letters, digits, '.', '_' and '-' (starting with a letter or digit), got '${String(value)}'`,
    );
  }
  return value;
}

/** A fresh job name: `t-YYYYMMDD-HHMMSS-xxxx`. */
export function newJobName(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `t-${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * A short, fixed-size key for an object (or a listing) of a job: Redis sets stay small whatever the name
 * lengths, and BullMQ job ids stay valid whatever characters a name holds.
 */
export function objectKey(rel: string): string {
  return createHash('sha256').update(rel).digest('hex').slice(0, 24);
}

/** The object a relative path maps to. */
export function objectName(spec: JobSpec, rel: string): string {
  return spec.single ? spec.prefix : `${spec.prefix}${rel}`;
}

/** Deterministic BullMQ job ids, so a re-run listing or object task adds nothing twice while it is queued. */
export const taskId = {
  listDir: (job: string, dir: string) => `${job}.l.${objectKey(`dir:${dir}`)}`,
  listBucket: (job: string, page: number) => `${job}.b.${page}`,
  object: (job: string, rel: string) => `${job}.o.${objectKey(rel)}`,
  finalize: (job: string, rel: string) => `${job}.f.${objectKey(rel)}`,
  child: (job: string, rel: string, n: number) => `${job}.c.${objectKey(rel)}.${n}`,
};

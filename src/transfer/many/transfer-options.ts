/**
 * The per-object transfer options a many-object call passes down to each object's transfer, and the skip
 * options they share.
 */
import { InvalidArgumentError } from '../../errors.js';
import { metadataHeaders, objectFields, resolveTransfer, type TransferDefaults, type TransferOptions, type TransferUploadOptions } from '../options.js';

export interface SkipOptions {
  /**
   * Leave alone any destination that already exists (no-clobber, `cp -n`): the object is reported skipped
   * (`reason: 'exists'`). Checked just before each object is sent; bucket-to-bucket copies make it atomic with
   * `ifGenerationMatch=0`.
   * @default false
   */
  skipExisting?: boolean;
  /**
   * Skip an object whose destination has the same size and CRC32C (a local file is hashed only when the sizes
   * agree), reported skipped with `reason: 'identical'`. A re-run of an interrupted or repeated job with this
   * option sends only what is missing or changed.
   * @default false
   */
  skipIdentical?: boolean;
  /**
   * What "identical" means for `skipIdentical`: `'checksum'` (same size and CRC32C) or `'time'` (same size, and
   * the destination is not older than the source: rsync's quick check, which reads no file).
   * @default 'checksum'
   */
  identicalBy?: 'checksum' | 'time';
  /** Report what would be transferred (outcomes skipped, reason `dry-run`) without transferring. @default false */
  dryRun?: boolean;
}

export function skipChecks(options: SkipOptions): void {
  if (options.identicalBy !== undefined && options.identicalBy !== 'checksum' && options.identicalBy !== 'time') {
    throw new InvalidArgumentError(`Expected \`identicalBy\` to be 'checksum' or 'time', got \`${String(options.identicalBy)}\``);
  }
  for (const name of ['skipExisting', 'skipIdentical', 'dryRun'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') {
      throw new InvalidArgumentError(`Expected \`${name}\` to be a boolean, got \`${String(options[name])}\``);
    }
  }
}

/** The transfer-level options of one object of the job, with its progress wired into the job's. */
export function transferOptions(
  options: Pick<TransferOptions, 'chunkSize' | 'checksum' | 'requireValidation' | 'retry' | 'timeout'>,
  tools: { signal: AbortSignal; progress: (bytes: number) => void },
): TransferOptions {
  return {
    signal: tools.signal,
    onProgress: (snapshot) => tools.progress(snapshot.bytesDone),
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
    ...(options.checksum === undefined ? {} : { checksum: options.checksum }),
    ...(options.requireValidation === undefined ? {} : { requireValidation: options.requireValidation }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  };
}

/**
 * Validates, once before the job starts, the options every object would otherwise refuse one by one (a bad
 * `chunkSize` must be one clear error, not a thousand failed objects).
 */
export function checkPerObjectOptions(
  defaults: TransferDefaults,
  options: Pick<TransferOptions, 'chunkSize' | 'checksum' | 'requireValidation' | 'retry' | 'timeout'>,
  upload?: Pick<TransferUploadOptions, 'contentType' | 'metadata' | 'cacheControl' | 'contentDisposition' | 'contentEncoding'>,
): void {
  const { chunkSize, checksum, requireValidation, retry, timeout } = options;
  resolveTransfer(defaults, {
    ...(chunkSize === undefined ? {} : { chunkSize }),
    ...(checksum === undefined ? {} : { checksum }),
    ...(requireValidation === undefined ? {} : { requireValidation }),
    ...(retry === undefined ? {} : { retry }),
    ...(timeout === undefined ? {} : { timeout }),
  });
  if (!upload) return;
  const { contentType } = upload;
  if (contentType !== undefined && (typeof contentType !== 'string' || contentType === '' || /[\r\n]/.test(contentType))) {
    throw new InvalidArgumentError(`Expected \`contentType\` to be a non-empty single-line string, got \`${String(contentType)}\``);
  }
  metadataHeaders(upload.metadata);
  objectFields(upload);
}

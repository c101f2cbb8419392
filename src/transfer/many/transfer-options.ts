/**
 * The per-object transfer options a many-object call passes down to each object's transfer, and the skip
 * options they share.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { TransferOptions } from '../options.js';

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

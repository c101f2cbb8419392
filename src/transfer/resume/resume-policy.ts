/**
 * What `downloadFile` and `uploadFile` with `resume` share: the option's validation and the rule for when saved
 * state is worth keeping after a failure.
 */
import { AbortError, InvalidArgumentError, MultipartUploadError, isRetryable } from '../../errors.js';
import { defaultStateDir } from './journal-upload.js';
import type { ResumeEvent, ResumeOptions } from '../options.js';

/** The `resume` option after validation. */
export interface ResolvedResume {
  readonly stateDir: string;
  readonly restart: boolean;
  readonly emit: (event: ResumeEvent) => void;
}

/** Validates `resume` (with `resumeFrom`, which it replaces); undefined when it is off. */
export function resolveResume(resume: unknown, resumeFrom: unknown): ResolvedResume | undefined {
  if (resume === undefined || resume === false) return undefined;
  if (resume !== true && (typeof resume !== 'object' || resume === null || Array.isArray(resume))) {
    throw new InvalidArgumentError(`Expected \`resume\` to be a boolean or { stateDir?, restart?, onEvent? }, got \`${String(resume)}\``);
  }
  if (resumeFrom !== undefined) {
    throw new InvalidArgumentError('`resume` and `resumeFrom` exclude each other: `resume` keeps and reads its own journal');
  }
  const options: ResumeOptions = resume === true ? {} : (resume as ResumeOptions);
  if (options.stateDir !== undefined && (typeof options.stateDir !== 'string' || options.stateDir === '')) {
    throw new InvalidArgumentError(`Expected \`resume.stateDir\` to be a non-empty directory path, got \`${String(options.stateDir)}\``);
  }
  if (options.restart !== undefined && typeof options.restart !== 'boolean') {
    throw new InvalidArgumentError(`Expected \`resume.restart\` to be a boolean, got \`${String(options.restart)}\``);
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new InvalidArgumentError(`Expected \`resume.onEvent\` to be a function, got \`${String(options.onEvent)}\``);
  }
  const onEvent = options.onEvent;
  return Object.freeze({
    stateDir: options.stateDir ?? defaultStateDir(),
    restart: options.restart ?? false,
    emit: (event: ResumeEvent) => onEvent?.(event),
  });
}

/**
 * Whether saved state is worth keeping after `error`: the call was aborted, or it failed on something transient
 * (network, timeout, 408/429/5xx) that outlasted the retries, so the same call may well succeed later. After a
 * refusal (403, 404, a changed object, corrupt data) it would fail the same way, and an open multipart upload
 * would only be billed.
 */
export function worthResuming(error: unknown): boolean {
  if (error instanceof AbortError) return true;
  return isRetryable(error instanceof MultipartUploadError ? error.cause : error);
}

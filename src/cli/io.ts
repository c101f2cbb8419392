/**
 * What a command needs from its process, passed in rather than taken from globals so that commands run
 * in-process under test with captured streams, a chosen environment and a signal the test controls.
 */
import type { Readable, Writable } from 'node:stream';
import { serializeError, type SerializedError } from '../errors.js';
import { exitCodeFor, type ExitCode } from './exit-codes.js';

/** An output stream; `isTTY` and `columns` pick the progress style. */
export type OutputStream = Writable & { isTTY?: boolean; columns?: number };

export interface CliIo {
  stdin: Readable;
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  /** Resolves relative paths. */
  cwd: string;
  /**
   * Fires when the user interrupts (SIGINT/SIGTERM). Its `reason` is the signal's name, which picks the exit
   * code (130 or 143).
   */
  signal?: AbortSignal;
}

/** The `--json` form of a failure: the error's public facts, without stack traces. */
export interface JsonFailure {
  ok: false;
  exitCode: ExitCode;
  error: SerializedError;
}

/** The error as JSON-safe data. `serializeError` has already redacted messages, URLs and headers. */
export function jsonFailure(error: unknown, exitCode: ExitCode = exitCodeFor(error)): JsonFailure {
  return { ok: false, exitCode, error: withoutStacks(serializeError(error)) };
}

/**
 * The human form of a failure: `gcs-transfer cp: <message> [CODE]`, then one `  caused by:` line per cause,
 * most specific last. Messages come from our error classes (redacted at construction) or go through
 * `serializeError`, which redacts foreign ones.
 */
export function describeFailure(command: string, error: unknown): string {
  const data = serializeError(error);
  // A usage error is about the command line, not the library: its code would only be noise.
  const code = data.code && data.code !== 'ERR_GCS_INVALID_ARG' ? ` [${data.code}]` : '';
  const lines = [`${command}: ${data.message}${code}`];
  const seen = new Set([data.message]);
  for (let cause = data.cause; cause !== undefined; cause = cause.cause) {
    if (seen.has(cause.message)) continue;
    seen.add(cause.message);
    lines.push(`  caused by: ${cause.message}${cause.code ? ` [${cause.code}]` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function withoutStacks(data: SerializedError): SerializedError {
  const { stack: _stack, cause, ...rest } = data;
  return cause === undefined ? rest : { ...rest, cause: withoutStacks(cause) };
}

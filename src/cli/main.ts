#!/usr/bin/env node
/**
 * The `gcs-transfer` executable: binds the real process (streams, environment, signals, exit code) to
 * `runCli`. The first SIGINT/SIGTERM asks the running command to stop cleanly, keeping resume state; a second
 * one exits at once.
 */
import { runCli } from './run-cli.js';
import { ExitCode } from './exit-codes.js';

// google-auth-library's metadata-server probe warns (MetadataLookupWarning) when it gets an odd answer off
// GCP; the command reports missing credentials itself, once, with the fixes, so the warning is only noise.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type === 'MetadataLookupWarning' || (warning instanceof Error && warning.name === 'MetadataLookupWarning')) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

// A reader that closes stdout early (`| head`) makes later writes fail with EPIPE: the command handles it
// where it writes data; this only keeps a stray late write from crashing the process.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const interrupted = new AbortController();
const onSignal = (signal: NodeJS.Signals): void => {
  if (interrupted.signal.aborted) process.exit(signal === 'SIGTERM' ? ExitCode.Terminated : ExitCode.Interrupted);
  interrupted.abort(signal);
};
const argv = process.argv.slice(2);
// The emulator command installs its own handlers and runs until signalled; do not swallow its signals.
if (argv[0] !== 'emulator') {
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

process.exitCode = await runCli(argv, {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: interrupted.signal,
});
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);

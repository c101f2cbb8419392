#!/usr/bin/env node
/**
 * The `gcs-transfer` executable: binds the real process (streams, environment, signals, exit code) to
 * `runCli`. The first SIGINT/SIGTERM asks the running command to stop cleanly, keeping resume state; a second
 * one exits at once.
 */
import { runCli } from './run-cli.js';
import { ExitCode } from './exit-codes.js';

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

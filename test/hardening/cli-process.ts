/**
 * Runs the real `gcs-transfer` executable in a child process (under tsx, as a user would from a checkout), so
 * tests can kill it with SIGKILL mid-transfer, send it SIGINT, and read what it printed and how it exited.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  child: ChildProcessWithoutNullStreams;
  /** Everything printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the process has exited: its code, or the signal that killed it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `gcs-transfer ...args`. `env` is added to a copy of this process's environment. */
export function startCli(args: string[], options: { env?: Record<string, string>; stdin?: Uint8Array } = {}): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  if (options.stdin) child.stdin.end(options.stdin);
  else child.stdin.end();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
  };
}

/** Runs `gcs-transfer ...args` to completion. */
export async function runCliProcess(
  args: string[],
  options: { env?: Record<string, string>; stdin?: Uint8Array } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return startCli(args, options).exited;
}

/** Polls `predicate` every 10 ms until it is true; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Runs the built `gcs-transfer` executable (`dist/src/cli/main.js`, the package's `bin`) in a child process,
 * as a user does after `npm install`. The build (`src`, `workers`, `bench`) is brought up to date first — once per test run, whichever
 * test file gets there first, the others wait on a lock directory — when any source file is newer than it.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'dist/src/cli/main.js');

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, (await stat(path)).mtimeMs);
  }
  return newest;
}

let built: Promise<void> | undefined;

/** Builds `dist` when it is missing or older than `src`/`workers`. */
export function ensureBuilt(): Promise<void> {
  built ??= (async () => {
    const lock = join(ROOT, '.build-lock');
    for (;;) {
      try {
        await mkdir(lock);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    try {
      let source = 0;
      for (const top of ['src', 'workers', 'bench']) source = Math.max(source, await newestSource(join(ROOT, top)));
      source = Math.max(source, (await stat(join(ROOT, 'tsconfig.build.json'))).mtimeMs);
      const output = await stat(BIN).then((s) => s.mtimeMs, () => 0);
      // A build from before source maps were switched off left maps that would be packed: start clean.
      const stale = await stat(`${BIN}.map`).then(() => true, () => false);
      if (output < source || stale) {
        await rm(join(ROOT, 'dist'), { recursive: true, force: true });
        execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
      }
    } finally {
      await rmdir(lock).catch(() => undefined);
    }
  })();
  return built;
}

export interface BinRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout as bytes (binary data). */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface BinOptions {
  env?: NodeJS.ProcessEnv;
  /** Replaces the environment instead of adding to it. */
  cleanEnv?: boolean;
  cwd?: string;
  stdin?: Uint8Array;
  /** Called with the child once it runs (to signal it, or read its output as it comes). */
  onSpawn?: (child: ReturnType<typeof spawn>, output: { stdout: () => string; stderr: () => string }) => void;
}

/** Runs `node dist/src/cli/main.js ...args` to completion. */
export async function runBin(args: string[], options: BinOptions = {}): Promise<BinRun> {
  await ensureBuilt();
  const env = options.cleanEnv ? { PATH: process.env.PATH, ...options.env } : { ...process.env, ...options.env };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdin.on('error', () => undefined);
  if (options.stdin) child.stdin.end(options.stdin);
  else child.stdin.end();
  options.onSpawn?.(child, { stdout: () => Buffer.concat(out).toString('utf8'), stderr: () => stderr });
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      const bytes = Buffer.concat(out);
      resolve({ code, signal, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr });
    }),
  );
}

/**
 * Starts the emulator in a child process (see `emulator-child.ts` for why) and talks to it over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { WorkerError } from '../src/errors.js';
import { siblingRuntime, type ChildRuntime } from './child-module.js';
import type { NetworkProfile } from './profiles.js';

/** What the child is started with: the subset of `startEmulator` options the bench uses. */
export interface EmulatorChildOptions {
  dir?: string;
  shaping?: NetworkProfile['shaping'];
}

export type EmulatorChildRequest =
  | { type: 'usage'; id: number }
  | { type: 'put'; bucket: string; name: string; file: string }
  | { type: 'close' };
export type EmulatorChildMessage =
  | { type: 'ready'; url: string }
  | ({ type: 'usage'; id: number } & EmulatorUsage)
  | { type: 'put'; size: number; crc32c: string }
  | { type: 'put-failed'; message: string };

/** The emulator's own resource use and traffic so far, for spotting a server-bound measurement. */
export interface EmulatorUsage {
  cpuSec: number;
  /**
   * CPU seconds of the emulator's main thread alone (its event loop; hashing and libuv threads excluded), for
   * spotting a saturated server. From /proc on Linux; elsewhere the event loop's busy wall time.
   */
  loopBusySec: number;
  /** The emulator's monotonic clock, in seconds: deltas are the wall time between two readings. */
  atSec: number;
  maxRssMiB: number;
  /** Request-body bytes received. */
  bytesIn: number;
  /** Response-body bytes sent. */
  bytesOut: number;
}

/**
 * An emulator main thread whose CPU time reached this share of a case's wall time was the bottleneck: a client
 * cannot go faster than a server that never waits for it.
 */
export const SERVER_BOUND_LOOP_BUSY = 0.85;

/** What the emulator spent on a case, from its usage before and after and the bytes the case moved. */
export function serverLoad(before: EmulatorUsage, after: EmulatorUsage, bytesMoved: number): { cpuSecPerGiB: number; loopBusy: number | undefined; serverBound: boolean } {
  const cpuSecPerGiB = (after.cpuSec - before.cpuSec) / (bytesMoved / 1024 ** 3);
  const wallSec = after.atSec - before.atSec;
  const loopBusy = wallSec > 0 ? (after.loopBusySec - before.loopBusySec) / wallSec : undefined;
  return { cpuSecPerGiB, loopBusy, serverBound: loopBusy !== undefined && loopBusy >= SERVER_BOUND_LOOP_BUSY };
}

export class EmulatorProcess {
  readonly url: string;
  readonly profile: NetworkProfile;
  #child: ChildProcess;
  #requests = 0;

  private constructor(child: ChildProcess, url: string, profile: NetworkProfile) {
    this.#child = child;
    this.url = url;
    this.profile = profile;
  }

  /** Forks the emulator shaped to `profile` and resolves once it listens. */
  static async start(
    profile: NetworkProfile,
    options: { dir?: string; startTimeoutMs?: number; runtime?: ChildRuntime } = {},
  ): Promise<EmulatorProcess> {
    const childOptions: EmulatorChildOptions = {};
    if (options.dir) childOptions.dir = options.dir;
    if (profile.shaping) childOptions.shaping = profile.shaping;
    const runtime = options.runtime ?? siblingRuntime();
    const child = fork(runtime.entry('emulator-child'), [JSON.stringify(childOptions)], {
      execArgv: runtime.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timeout = AbortSignal.timeout(options.startTimeoutMs ?? 30_000);
    try {
      const ready = await Promise.race([
        waitFor(child, (m): m is Extract<EmulatorChildMessage, { type: 'ready' }> => m.type === 'ready', timeout),
        once(child, 'exit', { signal: timeout }).then(([code]) => {
          throw new WorkerError(`the emulator process exited with code ${String(code)} before listening`);
        }),
      ]);
      return new EmulatorProcess(child, ready.url, profile);
    } catch (error) {
      child.kill();
      throw error;
    }
  }

  /** The emulator process's CPU seconds, peak RSS and byte counters so far. */
  async usage(): Promise<EmulatorUsage> {
    // Numbered, so that overlapping calls (a progress poll and a measurement) each get their own answer.
    const id = ++this.#requests;
    const reply = waitFor(
      this.#child,
      (m): m is Extract<EmulatorChildMessage, { type: 'usage' }> => m.type === 'usage' && m.id === id,
      AbortSignal.timeout(10_000),
    );
    this.#child.send({ type: 'usage', id } satisfies EmulatorChildRequest);
    const { cpuSec, loopBusySec, atSec, maxRssMiB, bytesIn, bytesOut } = await reply;
    return { cpuSec, loopBusySec, atSec, maxRssMiB, bytesIn, bytesOut };
  }

  /** Stores `file` as `bucket/name` inside the emulator (no HTTP, no shaping); resolves its size and CRC32C. */
  async putObject(bucket: string, name: string, file: string): Promise<{ size: number; crc32c: string }> {
    const reply = waitFor(
      this.#child,
      (m): m is Extract<EmulatorChildMessage, { type: 'put' | 'put-failed' }> => m.type === 'put' || m.type === 'put-failed',
      AbortSignal.timeout(300_000),
    );
    this.#child.send({ type: 'put', bucket, name, file } satisfies EmulatorChildRequest);
    const answer = await reply;
    if (answer.type === 'put-failed') throw new WorkerError(`the emulator could not store ${name}: ${answer.message}`);
    return { size: answer.size, crc32c: answer.crc32c };
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = once(this.#child, 'exit');
    if (this.#child.connected) this.#child.send({ type: 'close' } satisfies EmulatorChildRequest);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Resolves with the first IPC message matching `accept`; removes its listeners either way. */
export function waitFor<T extends M, M = EmulatorChildMessage>(
  child: ChildProcess,
  accept: (message: M) => message is T,
  signal: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      signal.removeEventListener('abort', onAbort);
    };
    const onMessage = (message: M): void => {
      if (!accept(message)) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new WorkerError(`child process exited (code ${String(code)}) before answering`));
    };
    const onAbort = (): void => {
      cleanup();
      reject(new WorkerError('timed out waiting for the child process'));
    };
    if (signal.aborted) return onAbort();
    child.on('message', onMessage);
    child.once('exit', onExit);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

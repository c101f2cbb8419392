/**
 * Shared set-up of the kill-and-rerun tests: a bandwidth-capped emulator (slow enough to kill a transfer in
 * the middle), a scratch directory with a state directory for upload journals, and the kill helper.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { waitFor, type CliRun } from './cli-process.js';

export class ResumeHarness {
  readonly emulator: Emulator;
  /** Scratch directory, removed by `close()`. */
  readonly dir: string;
  /** `GCS_TRANSFER_STATE_DIR` of every child. */
  readonly stateDir: string;

  private constructor(emulator: Emulator, dir: string) {
    this.emulator = emulator;
    this.dir = dir;
    this.stateDir = join(dir, 'state');
  }

  /** `bytesPerSec` caps each connection in each direction. */
  static async start(bytesPerSec: number): Promise<ResumeHarness> {
    const emulator = await startEmulator({ shaping: { perConnectionBytesPerSec: bytesPerSec } });
    return new ResumeHarness(emulator, await mkdtemp(join(tmpdir(), 'gcs-transfer-resume-')));
  }

  async close(): Promise<void> {
    await this.emulator.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** A `cp` command line against the emulator, two requests in flight. */
  cp(args: string[]): string[] {
    return ['cp', '--endpoint', this.emulator.url, '--concurrency', '2', ...args];
  }

  get env(): Record<string, string> {
    return { GCS_TRANSFER_STATE_DIR: this.stateDir };
  }

  /**
   * Kills the child with `signal` once `ready` holds, waits until the emulator has finished with its requests,
   * and zeroes the metrics so that they count the next run only.
   */
  async killWhen(run: CliRun, ready: () => Promise<boolean>, what: string, signal: NodeJS.Signals = 'SIGKILL') {
    await waitFor(async () => (await ready()) || run.child.exitCode !== null, 30_000, what);
    assert.equal(run.child.exitCode, null, `the transfer finished before the kill point (${what}):\n${run.stderr}`);
    run.child.kill(signal);
    const exit = await run.exited;
    await this.#quiescent();
    this.emulator.reset();
    return exit;
  }

  /**
   * Waits until the emulator is done with the killed process: no request in flight, and byte counters that no
   * longer move (a shaped server may still be draining what the dead connection had already buffered).
   */
  async #quiescent(): Promise<void> {
    let last = '';
    let stableSince = Date.now();
    await waitFor(
      () => {
        const { inFlight, bytesIn, bytesOut } = this.emulator.metrics.snapshot();
        const now = `${inFlight}/${bytesIn}/${bytesOut}`;
        if (now !== last) {
          last = now;
          stableSince = Date.now();
        }
        return inFlight === 0 && Date.now() - stableSince >= 200;
      },
      10_000,
      'the killed requests to end',
    );
  }

  /** The object's bytes, read back over the XML API. */
  async objectBytes(bucket: string, name: string): Promise<Buffer> {
    const response = await fetch(`${this.emulator.url}/${bucket}/${encodeURIComponent(name)}`);
    assert.equal(response.status, 200);
    return Buffer.from(await response.arrayBuffer());
  }
}

/** A JSON file's content, or undefined while it does not exist (or is being replaced). */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

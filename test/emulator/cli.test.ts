import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { emulatorOptionsFromArgv } from '../../src/emulator/cli.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { call } from './helpers.js';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

/** Starts `gcs-transfer emulator …` and resolves with its URL once it printed its one line. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'emulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  reader.on('line', (line) => lines.push(line));
  for (let i = 0; i < 200 && lines.length === 0 && child.exitCode === null; i += 1) await new Promise((r) => setTimeout(r, 50));
  const match = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(lines[0] ?? '');
  if (!match) {
    child.kill();
    throw new Error(`unexpected output: ${JSON.stringify(lines)}`);
  }
  return { child, url: match[1] as string, lines };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = await exited;
  return code as number | null;
}

test('`gcs-transfer emulator --port 0` prints one line, serves, and exits 0 on SIGTERM and SIGINT', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const { child, url, lines } = await startCli(['--port', '0']);
    try {
      const put = await call(`${url}/upload/storage/v1/b/bkt/o?uploadType=media&name=cli.txt`, { method: 'POST', body: 'from the cli' });
      assert.equal(put.status, 200);
      assert.equal((await call(`${url}/bkt/cli.txt`)).text, 'from the cli');
    } finally {
      assert.equal(await stop(child, signal), 0);
    }
    assert.equal(lines.length, 1, 'exactly one line on stdout');
  }
});

test('--dir keeps objects across restarts; shaping flags take human sizes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-cli-'));
  try {
    const first = await startCli(['--port', '0', '--dir', dir]);
    await call(`${first.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=kept`, { method: 'POST', body: 'still here' });
    const generation = (await call(`${first.url}/storage/v1/b/bkt/o/kept`)).json().generation;
    assert.equal(await stop(first.child, 'SIGTERM'), 0);
    const second = await startCli(['--port', '0', '--dir', dir, '--per-connection-rate', '40MiB', '--first-byte-delay', '10ms']);
    try {
      assert.equal((await call(`${second.url}/bkt/kept`)).text, 'still here');
      const again = await call(`${second.url}/upload/storage/v1/b/bkt/o?uploadType=media&name=kept`, { method: 'POST', body: 'newer' });
      assert.ok(BigInt(again.json().generation) > BigInt(generation), 'generations keep increasing across restarts');
    } finally {
      await stop(second.child, 'SIGTERM');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad flag exits with the usage code and a message naming it', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'emulator', '--port', 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(stderr, /--port.*eighty/);
});

test('flag parsing: sizes, rates, durations and errors', () => {
  assert.deepEqual(emulatorOptionsFromArgv(['--port', '9023', '--host', '0.0.0.0', '--dir', '/tmp/x']), { port: 9023, host: '0.0.0.0', dir: '/tmp/x' });
  assert.deepEqual(emulatorOptionsFromArgv(['--per-connection-rate', '40MiB', '--aggregate-rate', '1GiB/s', '--first-byte-delay', '1.5s']), {
    shaping: { perConnectionBytesPerSec: 40 * 1024 * 1024, aggregateBytesPerSec: 1024 ** 3, firstByteDelayMs: 1500 },
  });
  assert.deepEqual(emulatorOptionsFromArgv(['--first-byte-delay', '25']), { shaping: { firstByteDelayMs: 25 } });
  assert.equal(emulatorOptionsFromArgv(['--help']), 'help');
  for (const argv of [['--port', '70000'], ['--per-connection-rate', 'fast'], ['--per-connection-rate', '0'], ['--first-byte-delay', 'soon'], ['--bogus'], ['extra']]) {
    assert.throws(() => emulatorOptionsFromArgv(argv), InvalidArgumentError, argv.join(' '));
  }
});

test('SIGTERM closes promptly even while a stall-headers fault timer is pending', async () => {
  const { child, url } = await startCli(['--port', '0']);
  // The request stalls for 60 s before its headers; the emulator must not wait for that timer to exit.
  const stalled = call(`${url}/bkt/any`, { headers: { 'x-emulator-fault': 'stall-headers:60000' } }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  assert.equal(await stop(child, 'SIGTERM'), 0);
  assert.ok(Date.now() - started < 10_000, `exited after ${Date.now() - started} ms`);
  await stalled;
});

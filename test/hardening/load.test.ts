/**
 * Load: 50 transfers at once — small and large, downloads and uploads — through one TransferManager, against
 * an emulator in its own process (so this process's sockets, threads and memory are the client's alone). All
 * must be byte-exact, and the client's resources must stay bounded by its configuration, not by the load.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { DEFAULT_TASKS_PER_THREAD } from '../../src/pool/worker-pool.js';
import { TransferManager } from '../../src/transfer/transfer-manager.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const WORKERS = 2;
const CONCURRENCY = 4;
/** OS threads one worker_threads Worker adds (measured on Node 20: the thread itself and two helpers). */
const OS_THREADS_PER_WORKER = 3;
/** The main thread's undici agent opens at most this many connections to one origin (the transport's default). */
const MAIN_CONNECTIONS = 64;

let emulatorProcess: ChildProcess;
let url: string;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'load-'));
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  emulatorProcess = spawn(process.execPath, ['--import', 'tsx', main, 'emulator', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolve, reject) => {
    let text = '';
    emulatorProcess.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const match = /listening on (\S+)/.exec(text);
      if (match?.[1]) resolve(match[1]);
    });
    emulatorProcess.once('exit', (code) => reject(new Error(`the emulator exited with ${String(code)}`)));
  });
});

after(async () => {
  emulatorProcess.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, data: Buffer): Promise<void> {
  const response = await fetch(`${url}/bkt/${name}`, { method: 'PUT', body: data });
  assert.equal(response.status, 200, await response.text());
}

async function get(name: string): Promise<Buffer> {
  const response = await fetch(`${url}/bkt/${name}`);
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

/** Threads of this process (main, workers, libuv pool, V8 helpers), from the kernel. */
async function threadCount(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]);
}

function clientSockets(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;
}

interface Job {
  kind: 'download' | 'upload';
  name: string;
  data: Buffer;
}

test('50 concurrent transfers, small and large, both directions: byte-exact, with bounded sockets, threads and memory', async () => {
  const jobs: Job[] = [];
  const add = (kind: Job['kind'], count: number, size: (i: number) => number): void => {
    for (let i = 0; i < count; i += 1) jobs.push({ kind, name: `${kind}-${jobs.length}`, data: randomBytes(size(i)) });
  };
  add('download', 20, (i) => (i < 2 ? i : 1 + ((i * 37 * KiB) % (256 * KiB))));
  add('download', 10, (i) => 6 * MiB + i * 1001);
  add('upload', 12, (i) => 1 + ((i * 41 * KiB) % (512 * KiB)));
  add('upload', 8, (i) => 10 * MiB + i * 999);
  assert.equal(jobs.length, 50);
  for (const job of jobs) {
    if (job.kind === 'download') await put(job.name, job.data);
    else await writeFile(join(dir, job.name), job.data);
  }

  const baseline = { threads: await threadCount(), rss: process.memoryUsage.rss() };
  const peak = { threads: baseline.threads, rss: baseline.rss, sockets: 0 };
  const sampler = setInterval(() => {
    peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
    peak.sockets = Math.max(peak.sockets, clientSockets());
    void threadCount().then((threads) => {
      peak.threads = Math.max(peak.threads, threads);
    });
  }, 10);

  const tm = new TransferManager({ endpoint: url, chunkSize: MiB, concurrency: CONCURRENCY, workers: WORKERS });
  let results;
  try {
    // Every transfer is started at once on purpose: the point is to overload one manager.
    results = await Promise.allSettled(
      jobs.map((job) =>
        job.kind === 'download'
          ? tm.downloadFile(`gs://bkt/${job.name}`, join(dir, job.name))
          : tm.uploadFile(join(dir, job.name), `gs://bkt/${job.name}`),
      ),
    );
  } finally {
    clearInterval(sampler);
    await tm.close();
  }
  const failed = results.flatMap((result, i) => (result.status === 'rejected' ? [`${jobs[i]?.name}: ${String(result.reason)}`] : []));
  assert.deepEqual(failed, []);

  for (const job of jobs) {
    const actual = job.kind === 'download' ? await readFile(join(dir, job.name)) : await get(job.name);
    assert.ok(actual.equals(job.data), `${job.name} is byte-exact`);
  }

  const metrics = (await (await fetch(`${url}/_emulator/metrics`)).json()) as { peakConcurrent: number; requests: Record<string, number> };
  const requestBound = MAIN_CONNECTIONS + WORKERS * DEFAULT_TASKS_PER_THREAD;
  const growthMiB = Math.round((peak.rss - baseline.rss) / MiB);
  console.log(
    `load: ${jobs.length} transfers; server peak ${metrics.peakConcurrent} requests in flight (bound ${requestBound}); ` +
      `client peak ${peak.sockets} main-thread sockets, threads ${baseline.threads} → ${peak.threads}, RSS +${growthMiB} MiB`,
  );
  // 50 transfers × 4 would be 200 requests: the transport's connection cap and the pool's task slots bound it.
  assert.ok(metrics.peakConcurrent <= requestBound, `peak ${metrics.peakConcurrent} requests in flight`);
  assert.ok(metrics.peakConcurrent >= 16, 'the transfers really ran concurrently');
  assert.ok(peak.sockets <= MAIN_CONNECTIONS + 2, `peak ${peak.sockets} sockets on the main thread`);
  // Measured on Node 20: each worker thread costs three OS threads; nothing else may grow with the load.
  assert.ok(peak.threads - baseline.threads <= WORKERS * OS_THREADS_PER_WORKER + 1, `threads grew from ${baseline.threads} to ${peak.threads}`);
  assert.equal(await threadCount(), baseline.threads, 'every thread is gone after close()');
  // Two worker threads (~50 MiB each under tsx) and per-transfer buffers; the data moved is ~150 MiB.
  assert.ok(growthMiB < 400, `RSS grew by ${growthMiB} MiB`);
});

/**
 * Peak memory of the engine: the resident set of a whole client process (main thread and worker threads)
 * uploading and downloading one large object with the TransferManager's defaults, against the emulator running
 * in its own process. Not a test and not timed: it proves the memory bound stated in the README and shows it
 * does not grow with the object's size (a small object and a large one are measured the same way).
 *
 *   node --import tsx bench/memory.ts [--size 4GiB] [--small 512MiB] [--dir DIR] [--no-streams] [--json]
 *
 * Each transfer runs in a fresh child process (transpiled JavaScript, plain `node`, as the package ships), so the
 * kernel's peak-RSS counter (`getrusage`) covers exactly that transfer. Files are created under DIR (default: the
 * system temp directory) and removed at the end; about 3 × size of free disk is needed.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compiledTree } from './compiled-tree.js';
import { writeSeededFile } from './data.js';
import { EmulatorProcess } from './emulator-process.js';
import { maxRssMiB, RssSampler } from './measure.js';
import { PROFILES } from './profiles.js';
import { formatSize, MiB, parseSize } from './units.js';

/** The bound the README promises for file transfers with default options. */
const FILE_BOUND_MIB = 300;

type Mode = 'baseline' | 'upload-file' | 'download-file' | 'upload-stream' | 'download-stream';

interface ClientTask {
  mode: Mode;
  endpoint: string;
  object: string;
  file: string;
}

interface ClientReport {
  mode: Mode;
  bytes: number;
  /** Undefined for the stream download, which has no result object. */
  validated: boolean | undefined;
  elapsedMs: number;
  /** Kernel peak RSS of the whole client process, MiB. */
  maxRssMiB: number;
  /** Peak of RSS samples taken during the transfer only, MiB. */
  sampledMiB: number;
}

const isClient = process.argv[2] === '--client';
if (isClient) await runClient(JSON.parse(process.argv[3] as string) as ClientTask);
else await main();

/** One transfer with a default TransferManager; reports to the parent over IPC. */
async function runClient(task: ClientTask): Promise<void> {
  // Imported here so that the parent never loads the engine (its RSS is not measured anyway).
  const { TransferManager } = await import('../src/transfer/transfer-manager.js');
  const tm = new TransferManager({ endpoint: task.endpoint, auth: 'none' });
  const sampler = new RssSampler(10).start();
  const started = performance.now();
  let bytes = 0;
  let validated: boolean | undefined = false;
  try {
    switch (task.mode) {
      case 'baseline':
        break;
      case 'upload-file':
        ({ bytes, validated } = await tm.uploadFile(task.file, task.object));
        break;
      case 'download-file':
        ({ bytes, validated } = await tm.downloadFile(task.object, task.file));
        break;
      case 'upload-stream':
        ({ bytes, validated } = await tm.uploadStream(createReadStream(task.file, { highWaterMark: MiB }), task.object));
        break;
      case 'download-stream': {
        const stream = tm.downloadToStream(task.object);
        await pipeline(stream, createWriteStream(task.file));
        bytes = (await stat(task.file)).size;
        // The stream reports no result object: it ends only if the combined CRC32C matched (or no hash came).
        validated = undefined;
        break;
      }
    }
  } finally {
    await tm.close();
  }
  const report: ClientReport = {
    mode: task.mode,
    bytes,
    validated,
    elapsedMs: Math.round(performance.now() - started),
    maxRssMiB: maxRssMiB(),
    sampledMiB: sampler.stop(),
  };
  process.send?.(report);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '4GiB' },
      small: { type: 'string', default: '512MiB' },
      dir: { type: 'string' },
      'no-streams': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const sizes = [parseSize(values.small, '--small'), parseSize(values.size, '--size')];
  const modes: Mode[] = ['upload-file', 'download-file', ...(values['no-streams'] ? [] : (['upload-stream', 'download-stream'] as Mode[]))];
  const root = fileURLToPath(new URL('..', import.meta.url));
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fromSource ? join(await compiledTree(root), 'bench', 'memory.js') : fileURLToPath(import.meta.url);
  const work = await mkdtemp(join(values.dir ?? tmpdir(), 'gcs-transfer-memory-'));
  const log = (line: string): void => {
    if (!values.json) console.error(line);
  };
  const emulator = await EmulatorProcess.start(PROFILES.loopback, { dir: join(work, 'emulator') });
  const reports: (ClientReport & { size: number })[] = [];
  try {
    const client = async (task: Omit<ClientTask, 'endpoint'>, size: number): Promise<void> => {
      log(`  ${task.mode} ${formatSize(size)} ...`);
      const child = fork(entry, ['--client', JSON.stringify({ ...task, endpoint: emulator.url })], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const [report] = (await Promise.race([
        once(child, 'message'),
        once(child, 'exit').then(([code]) => Promise.reject(new Error(`${task.mode} client exited with code ${String(code)}`))),
      ])) as [ClientReport];
      await once(child, 'exit');
      reports.push({ ...report, size });
    };
    log(`memory bench: client runs ${fromSource ? 'transpiled JavaScript (plain node)' : 'compiled JavaScript'}; emulator in its own process`);
    await client({ mode: 'baseline', object: '', file: '' }, 0);
    for (const size of sizes) {
      const source = join(work, `source-${size}`);
      const copy = join(work, `copy-${size}`);
      log(`generating ${formatSize(size)} of seeded data ...`);
      await writeSeededFile(source, size, `memory-${size}`);
      const object = `gs://memory-bench/object-${size}`;
      for (const mode of modes) {
        const file = mode.startsWith('upload') ? source : copy;
        await client({ mode, object: mode === 'upload-stream' ? `${object}-stream` : object, file }, size);
        if (mode.startsWith('download')) await unlink(copy);
      }
      await unlink(source);
    }
  } finally {
    await emulator.close();
    await rm(work, { recursive: true, force: true });
  }
  const parentPeak = maxRssMiB();
  if (values.json) {
    console.log(JSON.stringify({ boundMiB: FILE_BOUND_MIB, node: process.version, reports, parentPeakMiB: parentPeak }, null, 2));
    return;
  }
  console.log('\ncase              size        peak RSS   sampled   MiB/s   validated');
  for (const r of reports) {
    const rate = r.bytes > 0 ? (r.bytes / MiB / (r.elapsedMs / 1000)).toFixed(0) : '-';
    const verdict = r.mode.endsWith('file') ? (r.maxRssMiB < FILE_BOUND_MIB ? '  (< 300 MiB)' : '  OVER 300 MiB') : '';
    console.log(
      `${r.mode.padEnd(17)} ${formatSize(r.size).padEnd(10)} ${r.maxRssMiB.toFixed(0).padStart(6)} MiB ${r.sampledMiB
        .toFixed(0)
        .padStart(6)} MiB ${rate.padStart(7)}   ${(r.validated === undefined ? '-' : String(r.validated)).padEnd(5)}${verdict}`,
    );
  }
}

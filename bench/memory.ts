/**
 * Peak memory of the engine: the resident set of a whole client process (main thread and worker threads)
 * uploading and downloading one large object with the TransferManager's defaults, against the emulator running
 * in its own process. Not a test and not timed: it proves the memory bound stated in the README and shows it
 * does not grow with the object's size (a small object and a large one are measured the same way).
 *
 *   node --import tsx bench/memory.ts [--size 4GiB] [--small 512MiB] [--dir DIR] [--no-streams] [--json]
 *   node --import tsx bench/memory.ts --many 1000 [--dir DIR] [--json]
 *
 * `--many N` measures the many-object calls instead: uploadMany of a directory of N 1 KiB files and downloadMany
 * of their prefix, then the same with 10 × N, to show that peak memory does not grow with the number of objects
 * (listings are read a page at a time, and only the objects in flight are held).
 *
 * Each transfer runs in a fresh child process (transpiled JavaScript, plain `node`, as the package ships), so the
 * kernel's peak-RSS counter (`getrusage`) covers exactly that transfer. Files are created under DIR (default: the
 * system temp directory) and removed at the end; about 3 × size of free disk is needed.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compiledTree } from './compiled-tree.js';
import { seededBlocks, writeSeededFile } from './data.js';
import { EmulatorProcess } from './emulator-process.js';
import { maxRssMiB, RssSampler } from './measure.js';
import { PROFILES } from './profiles.js';
import { formatSize, MiB, parseSize } from './units.js';

/** The bound the README promises for file transfers with default options. */
const FILE_BOUND_MIB = 300;

type Mode = 'baseline' | 'upload-file' | 'download-file' | 'upload-stream' | 'download-stream' | 'upload-many' | 'download-many';

/** Size of each file of `--many`: small, so the count, not the bytes, is what varies. */
const MANY_FILE_BYTES = 1024;

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
      case 'upload-many':
      case 'download-many': {
        const summary = task.mode === 'upload-many' ? await tm.uploadMany(task.file, task.object) : await tm.downloadMany(task.object, task.file);
        if (summary.failed > 0) throw new Error(`${task.mode}: ${summary.failed} objects failed`);
        ({ bytes } = summary);
        validated = true;
        break;
      }
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
      many: { type: 'string' },
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
      log(`  ${task.mode} ${task.mode.endsWith('-many') ? `${size} objects` : formatSize(size)} ...`);
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
    if (values.many !== undefined) {
      const count = Number(values.many);
      if (!Number.isSafeInteger(count) || count < 1 || count > 100_000) throw new Error(`--many: expected a number of objects from 1 to 100000, got ${values.many}`);
      for (const objects of [count, 10 * count]) {
        const source = join(work, `many-${objects}`);
        log(`writing ${objects} files of ${MANY_FILE_BYTES} bytes ...`);
        await writeManyFiles(source, objects);
        const prefix = `gs://memory-bench/many-${objects}/`;
        await client({ mode: 'upload-many', object: prefix, file: source }, objects);
        await client({ mode: 'download-many', object: prefix, file: join(work, `many-copy-${objects}`) }, objects);
        await rm(source, { recursive: true, force: true });
        await rm(join(work, `many-copy-${objects}`), { recursive: true, force: true });
      }
    }
    for (const size of values.many === undefined ? sizes : []) {
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
  if (values.many !== undefined) {
    console.log('\ncase              objects     peak RSS   sampled   objects/s');
    for (const r of reports) {
      const rate = r.size > 0 ? (r.size / (r.elapsedMs / 1000)).toFixed(0) : '-';
      console.log(`${r.mode.padEnd(17)} ${String(r.size).padEnd(10)} ${r.maxRssMiB.toFixed(0).padStart(6)} MiB ${r.sampledMiB.toFixed(0).padStart(6)} MiB ${rate.padStart(10)}`);
    }
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

/** `count` files of MANY_FILE_BYTES seeded bytes each, 1,000 to a subdirectory (as a dataset would be laid out). */
async function writeManyFiles(root: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const dir = join(root, `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${i}.bin`), Buffer.concat([...seededBlocks(MANY_FILE_BYTES, `many-${i}`)]));
  }
}

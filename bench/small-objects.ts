/**
 * Where a small-object download's CPU goes: our `downloadMany` taken apart into its two halves, each measured
 * alone beside the whole and beside the peer, alternated in one warm process against the emulator in its own
 * (loopback, unshaped), so the ratios between rows mean something on a noisy machine.
 *
 *   node --import tsx bench/small-objects.ts [--objects 300] [--size 16KiB] [--concurrency 64] [--rounds 10] [--json]
 *
 * Rows (CPU of this whole process, main thread and libuv/worker threads, per object; objects/s):
 * - `bare GETs`: undici requests of each object's bytes, read and dropped: the floor of the network half.
 * - `bare GETs + writeFile`: the same, each written with one `writeFile` — what a minimal client does (no lock,
 *   no private partial file, no fsync, no rename; a crash can leave a half-written file under the real name).
 * - `destination protocol`: our file half alone, no network: for each file the destination lock, the private
 *   partial file, one write, fsync, the final mode, the atomic rename and the shared directory sync
 *   (`inspectDestination` + `FileSink`, the code `downloadFile` runs).
 * - `downloadMany`: the whole call (listing, scheduler, the protocol classes, CRC32C checks, the file half).
 * - `@google-cloud/storage downloadManyFiles` at the same concurrency.
 * The first two rounds are a warm-up and are not counted; medians with min–max over the remaining rounds.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import { FileSink, inspectDestination } from '../src/transfer/destination/file-sink.js';
import { TransferManager } from '../src/index.js';
import { parseSize } from '../src/cli/sizes.js';
import { peerTransferManager } from './cases/peer-storage.js';
import { writeSeededFile } from './data.js';
import { EmulatorProcess } from './emulator-process.js';
import { PROFILES } from './profiles.js';

/** A usage error: the message alone on stderr and exit code 2, as the CLI does (no stack trace). */
function usage(message: string): never {
  process.stderr.write(`small-objects: ${message}\n`);
  process.exit(2);
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usage(`${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      objects: { type: 'string', default: '300' },
      size: { type: 'string', default: '16KiB' },
      concurrency: { type: 'string', default: '64' },
      rounds: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
    },
  });
} catch (error) {
  usage((error as Error).message);
}
const { values } = parsed;
const objects = positive('--objects', values.objects);
const concurrency = positive('--concurrency', values.concurrency);
const rounds = positive('--rounds', values.rounds);
let size = 0;
try {
  size = parseSize(values.size, '--size');
} catch (error) {
  usage((error as Error).message);
}
const WARM_UP = 2;
if (rounds <= WARM_UP) usage(`--rounds must be more than the ${WARM_UP} warm-up rounds, got ${rounds}`);

const BUCKET = 'small';
const PREFIX = 'objects/';
const names = Array.from({ length: objects }, (_, i) => `${PREFIX}o${String(i).padStart(6, '0')}.bin`);
const work = await mkdtemp(join(tmpdir(), 'gcs-small-'));
const emulator = await EmulatorProcess.start(PROFILES.loopback);
const agent = new Agent({ connections: concurrency });
const ours = new TransferManager({ endpoint: emulator.url, auth: 'none' });
try {
  const source = join(work, 'source.bin');
  await writeSeededFile(source, size, 'small-objects');
  for (const name of names) await emulator.putObject(BUCKET, name, source);
  const { tm: peer } = await peerTransferManager({ endpoint: emulator.url, auth: 'none', bucket: BUCKET });
  const payload = Buffer.alloc(size, 7);
  const media = (name: string): string => `${emulator.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}?alt=media`;
  const out = (label: string): string => join(work, label);
  const each = async (task: (name: string, i: number) => Promise<void>): Promise<void> => {
    const limit = pLimit(concurrency);
    await Promise.all(names.map((name, i) => limit(() => task(name, i))));
  };
  const fetchBytes = async (name: string): Promise<Buffer> => {
    const response = await request(media(name), { dispatcher: agent });
    if (response.statusCode !== 200) throw new Error(`GET ${name}: ${response.statusCode}`);
    return Buffer.from(await response.body.arrayBuffer());
  };

  const cases: Record<string, (dir: string) => Promise<void>> = {
    'bare GETs': () => each(async (name) => void (await fetchBytes(name))),
    'bare GETs + writeFile': (dir) => each(async (name, i) => writeFile(join(dir, `f${i}`), await fetchBytes(name))),
    'destination protocol': (dir) =>
      each(async (_name, i) => {
        const { path, finalMode } = await inspectDestination(join(dir, `f${i}`));
        const sink = await FileSink.open(path, { finalMode });
        try {
          await sink.writev([payload], 0, payload.byteLength);
          await sink.commit();
        } catch (error) {
          await sink.discard();
          throw error;
        }
      }),
    downloadMany: async (dir) => {
      const summary = await ours.downloadMany(`gs://${BUCKET}/${PREFIX}`, dir, { concurrency });
      if (summary.objects !== objects) throw new Error(`downloadMany moved ${summary.objects} of ${objects} objects`);
    },
    '@google-cloud/storage downloadManyFiles': (dir) =>
      peer.downloadManyFiles(PREFIX, { concurrencyLimit: concurrency, passthroughOptions: { destination: dir } } as never).then(() => undefined),
  };

  const labels = Object.keys(cases);
  const samples = new Map(labels.map((label) => [label, { cpuMs: [] as number[], rate: [] as number[] }]));
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so no case always runs right after the same neighbour.
    for (const label of round % 2 === 0 ? labels : [...labels].reverse()) {
      const dir = out(`r${round}-${labels.indexOf(label)}`);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      await cases[label]!(dir);
      const wall = performance.now() - t0;
      const used = process.cpuUsage(cpu);
      await rm(dir, { recursive: true, force: true });
      if (round < WARM_UP) continue;
      const sample = samples.get(label)!;
      sample.cpuMs.push((used.user + used.system) / 1000 / objects);
      sample.rate.push(objects / (wall / 1000));
    }
  }

  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows = labels.map((label) => {
    const { cpuMs, rate } = samples.get(label)!;
    return { case: label, cpuMsPerObject: median(cpuMs), cpuMin: Math.min(...cpuMs), cpuMax: Math.max(...cpuMs), objectsPerSec: median(rate) };
  });
  if (values.json) {
    console.log(JSON.stringify({ objects, size, concurrency, rounds: rounds - WARM_UP, rows }, null, 2));
  } else {
    console.log(`${objects} objects of ${values.size}, ${concurrency} at once, loopback emulator; median of ${rounds - WARM_UP} rounds (min–max)`);
    for (const row of rows) {
      console.log(
        `${row.case.padEnd(40)} ${row.cpuMsPerObject.toFixed(2)} ms CPU/object (${row.cpuMin.toFixed(2)}–${row.cpuMax.toFixed(2)})  ${row.objectsPerSec.toFixed(0).padStart(5)} objects/s`,
      );
    }
  }
} finally {
  await ours.close();
  await agent.close();
  await emulator.close();
  await rm(work, { recursive: true, force: true });
}

/**
 * The emulator's own CPU seconds per GiB received, for each upload kind: XML multipart upload (parts, then
 * complete), resumable (chunk PUTs) and JSON multipart (`uploadType=multipart`). The emulator runs in its own
 * process (as in the bench); the client sends the same in-memory buffer again and again, so its cost is small
 * and off the emulator's books. Short on purpose: a shared machine.
 *
 * Usage: node --import tsx bench/emulator-upload-cost.ts [MiB per kind, default 256]
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { randomBytes } from 'node:crypto';
import { EmulatorProcess } from './emulator-process.js';
import { PROFILES } from './profiles.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const total = Number(process.argv[2] ?? 256) * MiB;
const piece = 16 * MiB;
const concurrency = 4;
const body = randomBytes(piece);

async function ok(response: Promise<Awaited<ReturnType<typeof request>>>, what: string): Promise<string> {
  const r = await response;
  const text = await r.body.text();
  if (r.statusCode >= 300 && r.statusCode !== 308) throw new Error(`${what}: ${r.statusCode} ${text.slice(0, 300)}`);
  return text;
}

/** Runs `count` tasks, `concurrency` at a time. */
async function window(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++);
  }));
}

const kinds: Record<string, (url: string, total: number) => Promise<void>> = {
  async 'xml-mpu'(url, total) {
    const pieces = total / piece;
    const object = `${url}/cost/mpu.bin`;
    const init = await ok(request(`${object}?uploads`, { method: 'POST' }), 'initiate');
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(init)?.[1] ?? '';
    const etags: string[] = [];
    await window(pieces, async (i) => {
      const r = await request(`${object}?partNumber=${i + 1}&uploadId=${id}`, { method: 'PUT', body });
      await r.body.text();
      etags[i] = String(r.headers.etag);
    });
    const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    await ok(request(`${object}?uploadId=${id}`, { method: 'POST', body: xml }), 'complete');
  },
  async resumable(url, total) {
    // `concurrency` sessions at once, each sending its share in 16 MiB chunks.
    const perSession = total / concurrency;
    await window(concurrency, async (s) => {
      const init = await request(`${url}/upload/storage/v1/b/cost/o?uploadType=resumable&name=r${s}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      await init.body.text();
      const session = String(init.headers.location);
      for (let offset = 0; offset < perSession; offset += piece) {
        const end = offset + piece - 1;
        await ok(request(session, { method: 'PUT', body, headers: { 'content-range': `bytes ${offset}-${end}/${perSession}` } }), 'chunk');
      }
    });
  },
  async multipart(url, total) {
    const pieces = total / piece;
    const boundary = 'cost-boundary';
    const head = Buffer.from(`--${boundary}\r\ncontent-type: application/json\r\n\r\n{}\r\n--${boundary}\r\ncontent-type: application/octet-stream\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    await window(pieces, async (i) => {
      await ok(
        request(`${url}/upload/storage/v1/b/cost/o?uploadType=multipart&name=m${i}`, {
          method: 'POST',
          body: Readable.from([head, body, tail]),
          headers: { 'content-type': `multipart/related; boundary=${boundary}` },
        }),
        'multipart',
      );
    });
  },
};

const emulator = await EmulatorProcess.start(PROFILES.loopback);
try {
  console.log(`emulator CPU per GiB received (${total / MiB} MiB per kind, ${piece / MiB} MiB pieces, ${concurrency} at once)`);
  // Warm-up: code loading and compilation (the hashing threads' included) are not per-GiB costs.
  for (const run of Object.values(kinds)) await run(emulator.url, concurrency * piece);
  for (const [kind, run] of Object.entries(kinds)) {
    const before = await emulator.usage();
    const t0 = performance.now();
    await run(emulator.url, total);
    const wallSec = (performance.now() - t0) / 1000;
    const after = await emulator.usage();
    const received = after.bytesIn - before.bytesIn;
    const cpu = after.cpuSec - before.cpuSec;
    const loop = (after.loopBusySec ?? 0) - (before.loopBusySec ?? 0);
    const perGiB = (seconds: number): string => (seconds / (received / GiB)).toFixed(2);
    console.log(
      `${kind.padEnd(10)} ${perGiB(cpu)} CPU s/GiB, main thread ${perGiB(loop)} CPU s/GiB  (${cpu.toFixed(2)} s CPU over ${wallSec.toFixed(2)} s wall, ${(received / MiB / wallSec).toFixed(0)} MiB/s)`,
    );
  }
} finally {
  await emulator.close();
}

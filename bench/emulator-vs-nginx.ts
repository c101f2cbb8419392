/**
 * Is the emulator fast enough not to be the bottleneck? Serves one object (1 GiB by
 * default) from the emulator and the same file from Debian's nginx (sendfile on), downloads each with curl
 * several times, alternating, and prints the median MiB/s of both and their ratio (target ≥ 80 %).
 *
 *   node --import tsx bench/emulator-vs-nginx.ts [--size 1GiB] [--runs 5] [--json]
 *
 * nginx is optional (`apt-get install -y nginx`): without it only the emulator is measured. The emulator runs
 * in this process; curl, in its own, is the client for both, so the two servers face the same client cost.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { promisify, parseArgs } from 'node:util';
import { randomFillSync } from 'node:crypto';
import { startEmulator } from '../src/emulator/index.js';
import { GiB, MiB, parseSize } from './units.js';

const run = promisify(execFile);

const { values } = parseArgs({
  options: { size: { type: 'string', default: '1GiB' }, runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
});
const size = parseSize(values.size ?? '1GiB', '--size');
const runs = Number(values.runs);

const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

async function writeSample(path: string, bytes: number): Promise<void> {
  // A random MiB repeated: incompressible enough for loopback, cheap to make.
  const block = randomFillSync(Buffer.alloc(MiB));
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += block.byteLength) {
    const piece = block.subarray(0, Math.min(block.byteLength, bytes - written));
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** One download with curl; returns MiB/s as curl measured it (whole transfer, first byte to last). */
async function curlMiBps(url: string): Promise<number> {
  const { stdout } = await run('curl', ['--silent', '--show-error', '--fail', '--output', '/dev/null', '--write-out', '%{size_download} %{time_total}', url]);
  const [bytes, seconds] = stdout.trim().split(' ').map(Number);
  if (bytes !== size) throw new Error(`curl got ${String(bytes)} bytes from ${url}, expected ${size}`);
  return (bytes as number) / MiB / (seconds as number);
}

async function startNginx(work: string, root: string): Promise<{ url: string; child: ChildProcess } | undefined> {
  const binary = NGINX_CANDIDATES.find((path) => existsSync(path));
  if (!binary) return undefined;
  const port = await freePort();
  const conf = join(work, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${join(work, 'nginx.pid')};
error_log ${join(work, 'nginx-error.log')};
events { worker_connections 64; }
http {
  sendfile on;
  tcp_nopush on;
  access_log off;
  client_body_temp_path ${work}; proxy_temp_path ${work}; fastcgi_temp_path ${work}; uwsgi_temp_path ${work}; scgi_temp_path ${work};
  server { listen 127.0.0.1:${port}; root ${root}; }
}
`,
  );
  const child = spawn(binary, ['-c', conf, '-p', work, '-g', 'daemon off;'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/sample.bin`;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const ok = await run('curl', ['--silent', '--fail', '--head', url]).then(() => true, () => false);
    if (ok) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`nginx did not start (see ${join(work, 'nginx-error.log')})`);
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const work = mkdtempSync(join(tmpdir(), 'emulator-vs-nginx-'));
const root = join(work, 'root');
const emulator = await startEmulator({ dir: join(work, 'emulator') });
let nginx: { url: string; child: ChildProcess } | undefined;
try {
  await run('mkdir', ['-p', root]);
  const sample = join(root, 'sample.bin');
  await writeSample(sample, size);
  await emulator.putObject('bench', 'sample.bin', createReadStream(sample, { highWaterMark: MiB }));
  // Flush the 2 GiB just written, so that background writeback does not steal CPU from the measurement.
  await run('sync');
  nginx = await startNginx(work, root);
  const emulatorUrl = `${emulator.url}/download/storage/v1/b/bench/o/sample.bin?alt=media`;
  // Warm-up: both files in the page cache, both servers past their first request.
  await curlMiBps(emulatorUrl);
  if (nginx) await curlMiBps(nginx.url);
  const results = { emulator: [] as number[], nginx: [] as number[] };
  for (let i = 0; i < runs; i += 1) {
    results.emulator.push(await curlMiBps(emulatorUrl));
    if (nginx) results.nginx.push(await curlMiBps(nginx.url));
  }
  const emu = median(results.emulator);
  const ngx = nginx ? median(results.nginx) : undefined;
  const report = {
    sizeBytes: size,
    runs,
    node: process.version,
    cores: cpus().length,
    emulatorMiBps: Math.round(emu),
    nginxMiBps: ngx === undefined ? null : Math.round(ngx),
    ratio: ngx === undefined ? null : Number((emu / ngx).toFixed(3)),
    samples: results,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    process.stdout.write(`object ${(size / GiB).toFixed(2)} GiB, ${runs} runs each, curl client, median:\n`);
    process.stdout.write(`  emulator  ${report.emulatorMiBps} MiB/s\n`);
    if (ngx === undefined) process.stdout.write('  nginx     not installed (apt-get install -y nginx), skipped\n');
    else process.stdout.write(`  nginx     ${report.nginxMiBps} MiB/s (sendfile on)\n  ratio     ${(100 * (report.ratio ?? 0)).toFixed(1)} % (target ≥ 80 %)\n`);
  }
} finally {
  nginx?.child.kill();
  await emulator.close();
  rmSync(work, { recursive: true, force: true });
}

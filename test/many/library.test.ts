/**
 * The many-object library calls against the emulator: uploadMany / downloadMany with naming, content types and
 * metadata, re-runs that transfer nothing, hostile object names, a 10,000-object prefix listed in pages,
 * throttling the scheduler backs off from, deletes.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { harness, objectBytes, seededBytes, type Harness, KiB } from '../transfer/helpers.js';
import type { ObjectOutcome } from '../../src/transfer/many/outcomes.js';
import { createTransport } from '../../src/transport/create-transport.js';
import type { Transport } from '../../src/transport/transport.js';

const BUCKET = 'many-bucket';

async function makeTree(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const entries: [string, number][] = [
    ['a.txt', 10],
    ['data/b.json', 2 * KiB],
    ['data/deep/c.parquet', 40 * KiB],
    ['data/deep/empty.bin', 0],
    ['logs/2026-01/x.log', 300],
    ['logs/2026-02/y.log', 301],
  ];
  let seed = 1;
  for (const [name, size] of entries) {
    const data = seededBytes(size, seed++);
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), data);
    files.set(name, data);
  }
  return files;
}

async function walk(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...(await walk(join(root, entry.name), `${prefix}${entry.name}/`)));
    else out.push(`${prefix}${entry.name}`);
  }
  return out.sort();
}

describe('many objects: library', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h.close();
  });

  it('uploads a directory under a prefix, downloads it back, and a re-run with skipIdentical transfers nothing', async () => {
    const src = join(h.dir, 'tree');
    const files = await makeTree(src);
    const tm = h.manager({ chunkSize: 16 * KiB });
    const outcomes: ObjectOutcome[] = [];
    const up = await tm.uploadMany(src, `gs://${BUCKET}/up/`, {
      metadata: { team: 'data' },
      cacheControl: 'no-cache',
      onObject: (o) => outcomes.push(o),
    });
    assert.deepEqual({ objects: up.objects, failed: up.failed, skipped: up.skipped }, { objects: files.size, failed: 0, skipped: 0 });
    assert.equal(up.bytes, [...files.values()].reduce((n, b) => n + b.length, 0));
    assert.equal(outcomes.length, files.size);
    // Larger first: the 40 KiB parquet file started (and, at concurrency 1, finished) first.
    const json = await tm.stat(`gs://${BUCKET}/up/data/b.json`);
    assert.equal(json.contentType, 'application/json');
    assert.equal(json.cacheControl, 'no-cache');
    assert.deepEqual(json.metadata, { team: 'data' });
    assert.equal((await tm.stat(`gs://${BUCKET}/up/a.txt`)).contentType, 'text/plain');

    const dest = join(h.dir, 'down');
    const down = await tm.downloadMany(`gs://${BUCKET}/up/`, dest);
    assert.equal(down.objects, files.size);
    assert.deepEqual(await walk(dest), [...files.keys()].sort());
    for (const [name, data] of files) assert.ok((await readFile(join(dest, name))).equals(data), name);

    h.emulator.metrics.reset();
    const again = await tm.uploadMany(src, `gs://${BUCKET}/up/`, { skipIdentical: true });
    assert.deepEqual({ objects: again.objects, skipped: again.skipped }, { objects: 0, skipped: files.size });
    const redown = await tm.downloadMany(`gs://${BUCKET}/up/`, dest, { skipIdentical: true });
    assert.deepEqual({ objects: redown.objects, skipped: redown.skipped }, { objects: 0, skipped: files.size });
    const requests = h.emulator.metrics.snapshot().requests;
    assert.equal(requests['upload-multipart'] + requests['mpu-initiate'] + requests.media, 0);

    // One changed file: only it is sent again.
    await writeFile(join(src, 'a.txt'), 'changed!!!');
    const third = await tm.uploadMany(src, `gs://${BUCKET}/up/`, { skipIdentical: true });
    assert.deepEqual({ objects: third.objects, skipped: third.skipped }, { objects: 1, skipped: files.size - 1 });
  });

  it('objects a listing shows to be small are fetched on the main thread; larger ones, and unlisted refs, in the worker pool', async () => {
    const small = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) {
      const data = seededBytes(i === 0 ? 256 * KiB : 1 + i * 997, 400 + i);
      small.set(`s${i}.bin`, data);
      await h.emulator.putObject(BUCKET, `inline/s${i}.bin`, data);
    }
    // A manager of its own: its threads have not started yet.
    const tm = h.manager({ chunkSize: 64 * KiB });
    const dest = join(h.dir, 'inline');
    const summary = await tm.downloadMany(`gs://${BUCKET}/inline/`, dest);
    assert.deepEqual([summary.objects, summary.failed], [12, 0]);
    for (const [name, data] of small) assert.ok((await readFile(join(dest, name))).equals(data), name);
    assert.equal(tm.schedulerStats.workerThreads, 0, 'no worker thread started for small listed objects');

    // Listed but over the threshold: its ranges go to the pool (and it is split: 300 KiB in 64 KiB ranges).
    const big = seededBytes(300 * KiB, 499);
    await h.emulator.putObject(BUCKET, 'pooled/big.bin', big);
    await tm.downloadMany(`gs://${BUCKET}/pooled/`, join(h.dir, 'pooled'));
    assert.ok((await readFile(join(h.dir, 'pooled', 'big.bin'))).equals(big));
    assert.ok(tm.schedulerStats.workerThreads > 0, 'the larger object started the pool');

    // Refs without a listing: the size is unknown, so they take the pool's path (and still arrive whole).
    const viaPool = h.manager({ chunkSize: 64 * KiB });
    await viaPool.downloadMany([`gs://${BUCKET}/inline/s3.bin`], join(h.dir, 'refs'));
    assert.ok((await readFile(join(h.dir, 'refs', 's3.bin'))).equals(small.get('s3.bin') as Buffer));
    assert.ok(viaPool.schedulerStats.workerThreads > 0);
  });

  it('downloads a wildcard relative to the directory holding the first wildcard', async () => {
    const tm = h.manager();
    const dest = join(h.dir, 'wild');
    const summary = await tm.downloadMany(`gs://${BUCKET}/up/logs/2026-*/*.log`, dest);
    assert.equal(summary.objects, 2);
    assert.deepEqual(await walk(dest), ['2026-01/x.log', '2026-02/y.log']);
    const deep = join(h.dir, 'wild2');
    assert.equal((await tm.downloadMany(`gs://${BUCKET}/up/**.parquet`, deep)).objects, 1);
    assert.deepEqual(await walk(deep), ['data/deep/c.parquet']);
  });

  it('skipExisting leaves existing objects and files alone', async () => {
    const tm = h.manager();
    const dir = join(h.dir, 'noclobber');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.txt'), 'local');
    const summary = await tm.downloadMany([`gs://${BUCKET}/up/a.txt`, `gs://${BUCKET}/up/data/b.json`], dir, { skipExisting: true });
    assert.deepEqual({ objects: summary.objects, skipped: summary.skipped }, { objects: 1, skipped: 1 });
    assert.equal(await readFile(join(dir, 'a.txt'), 'utf8'), 'local');
    // b.json lands at up/b.json (new); a.txt at up/a.txt (exists).
    const up = await tm.uploadMany(dir, `gs://${BUCKET}/up/`, { skipExisting: true });
    assert.deepEqual({ objects: up.objects, skipped: up.skipped }, { objects: 1, skipped: 1 });
    assert.notEqual((await tm.stat(`gs://${BUCKET}/up/a.txt`)).size, 5);
  });

  it('fails hostile object names alone and writes nothing outside the destination', async () => {
    const bucket = 'hostile-names';
    const names = ['../escape.txt', '/abs.txt', 'nul\0byte', 'a/../../up.txt', 'dot/./x', 'ok/file.txt', 'a/b', 'a/b/c'];
    for (const name of names) await h.emulator.putObject(bucket, name, `data of ${name}`);
    const tm = h.manager();
    const root = join(h.dir, 'hostile', 'dest');
    const outcomes: ObjectOutcome[] = [];
    const summary = await tm.downloadMany(`gs://${bucket}/`, root, { onObject: (o) => outcomes.push(o), concurrency: 1 });
    // Both of a/b and a/b/c cannot exist as a file and a directory: exactly one of them fails.
    assert.equal(summary.objects, 2);
    assert.equal(summary.failed, 6);
    const failed = outcomes.filter((o) => o.status === 'failed').map((o) => o.error?.message ?? '');
    for (const message of failed) assert.match(message, /Refusing to write|a file in the destination is in the way|is a directory in the destination/);
    assert.deepEqual(await readdir(join(h.dir, 'hostile')), ['dest']);
    assert.equal(await readFile(join(root, 'ok/file.txt'), 'utf8'), 'data of ok/file.txt');
  });

  it('lists a prefix of 10,000 objects in pages and downloads a wildcard of it', async () => {
    const bucket = 'ten-thousand';
    // Stored straight through the emulator's API, 100 at a time: the listing, not the setup, is under test.
    for (let i = 0; i < 10_000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => h.emulator.putObject(bucket, `p/${String(i + j).padStart(5, '0')}`, 'x')));
    }
    const tm = h.manager();
    let pages = 0;
    let objects = 0;
    let largestPage = 0;
    for await (const page of tm.list(`gs://${bucket}/p/`)) {
      pages++;
      objects += page.objects.length;
      largestPage = Math.max(largestPage, page.objects.length);
    }
    assert.deepEqual({ pages, objects, largestPage }, { pages: 10, objects: 10_000, largestPage: 1000 });
    const rolled = [];
    for await (const page of tm.list(`gs://${bucket}/`, { delimiter: '/' })) rolled.push(...page.prefixes);
    assert.deepEqual(rolled, ['p/']);
    const summary = await tm.downloadMany(`gs://${bucket}/p/0999*`, join(h.dir, 'tenk'), { lookahead: 16 });
    assert.equal(summary.objects, 10);
    // Listing and transferring overlap, lazily: the first object finishes after one page has been listed, and
    // stopping there leaves the other nine pages unrequested (nothing holds the 10,000 entries).
    h.emulator.metrics.reset();
    const controller = new AbortController();
    let pagesAtFirstObject = -1;
    await assert.rejects(
      tm.downloadMany(`gs://${bucket}/p/`, join(h.dir, 'tenk-lazy'), {
        lookahead: 16,
        concurrency: 2,
        signal: controller.signal,
        onObject: () => {
          if (pagesAtFirstObject < 0) pagesAtFirstObject = h.emulator.metrics.snapshot().requests['object-list'];
          controller.abort();
        },
      }),
      { name: 'AbortError' },
    );
    assert.equal(pagesAtFirstObject, 1);
    assert.ok(h.emulator.metrics.snapshot().requests['object-list'] <= 2);
  });

  it('backs off when the service throttles (429) and still moves every object', async () => {
    const tm = h.manager({ maxConnections: 16 });
    const src = join(h.dir, 'throttle');
    await mkdir(src, { recursive: true });
    for (let i = 0; i < 40; i++) await writeFile(join(src, `f${i}`), seededBytes(512, i));
    h.emulator.faults.add({ match: { op: 'upload-multipart' }, fault: 'status:429', times: 12 });
    const summary = await tm.uploadMany(src, `gs://${BUCKET}/throttled/`, { concurrency: 32 });
    assert.deepEqual({ objects: summary.objects, failed: summary.failed }, { objects: 40, failed: 0 });
    const stats = tm.schedulerStats.requests;
    assert.ok(stats.throttled >= 12, `throttled ${stats.throttled}`);
    assert.ok(stats.decreases >= 1 && stats.lowest < 16, `decreases ${stats.decreases}, lowest ${stats.lowest}`);
    assert.equal(stats.active, 0);
  });

  it('one scheduler: concurrent many-object and single calls never exceed maxConnections together', async () => {
    // Counts requests from the moment they are sent until their response body is done (what a slot covers):
    // the emulator's own counter runs a little behind the client's (same event loop), so it cannot be exact.
    const inner = createTransport({ endpoint: h.emulator.url, auth: 'none' });
    let inFlight = 0;
    let peak = 0;
    const counting: Transport = {
      async request(request, options) {
        peak = Math.max(peak, ++inFlight);
        let done = false;
        const end = (): void => {
          if (!done) inFlight--;
          done = true;
        };
        try {
          const response = await inner.request(request, options);
          response.body.once('end', end).once('close', end).once('error', end);
          return response;
        } catch (error) {
          end();
          throw error;
        }
      },
      close: () => inner.close(),
    };
    const tm = h.manager({ maxConnections: 3, transport: counting });
    const src = join(h.dir, 'shared-budget');
    await mkdir(src, { recursive: true });
    for (let i = 0; i < 30; i++) await writeFile(join(src, `f${i}`), seededBytes(2 * KiB, 100 + i));
    const [up, down, single] = await Promise.all([
      tm.uploadMany(src, `gs://${BUCKET}/shared/`, { concurrency: 32 }),
      tm.downloadMany(`gs://${BUCKET}/up/`, join(h.dir, 'shared-down'), { concurrency: 32 }),
      tm.downloadFile(`gs://${BUCKET}/up/data/deep/c.parquet`, join(h.dir, 'shared-single.bin'), { chunkSize: 4 * KiB, concurrency: 16 }),
    ]);
    assert.deepEqual([up.objects, up.failed, down.failed, single.bytes], [30, 0, 0, 40 * KiB]);
    assert.ok(peak <= 3 && peak >= 2, `peak ${peak} requests in flight`);
    await inner.close();
    assert.equal(tm.schedulerStats.requests.active, 0);
  });

  it('continues past failures by default, and stops at the first with continueOnError: false', async () => {
    const tm = h.manager();
    const refs = [`gs://${BUCKET}/up/a.txt`, `gs://${BUCKET}/missing-1`, `gs://${BUCKET}/up/data/b.json`];
    const outcomes: ObjectOutcome[] = [];
    const down = await tm.downloadMany(refs, join(h.dir, 'cont'), { onObject: (o) => outcomes.push(o) });
    assert.deepEqual({ objects: down.objects, failed: down.failed }, { objects: 2, failed: 1 });
    assert.equal(down.failures[0]?.source, `gs://${BUCKET}/missing-1`);
    assert.equal(down.failures[0]?.error?.name, 'NotFound');
    assert.equal(outcomes.length, 3);
    await assert.rejects(tm.downloadMany(refs, join(h.dir, 'cont2'), { continueOnError: false, concurrency: 1 }), { code: 'ERR_GCS_NOT_FOUND' });
    const paths = [join(h.dir, 'up-missing', 'nope.bin')];
    const summary = await tm.uploadMany(paths, `gs://${BUCKET}/x/`);
    assert.equal(summary.failed, 1);
    assert.match(summary.failures[0]?.error?.message ?? '', /nope\.bin/);
    await assert.rejects(tm.uploadMany(paths, `gs://${BUCKET}/x/`, { continueOnError: false }));
    // Options every object would refuse are one clear error before anything starts.
    await assert.rejects(tm.uploadMany(paths, `gs://${BUCKET}/x/`, { chunkSize: 0 }), { code: 'ERR_GCS_INVALID_ARG', message: /chunkSize/ });
    await assert.rejects(tm.uploadMany(paths, `gs://${BUCKET}/x/`, { metadata: { 'bad key': 'v' } }), /metadata/);
    await assert.rejects(tm.downloadMany(`gs://${BUCKET}/up/`, join(h.dir, 'x'), { concurrency: 0 }), /concurrency/);
    await assert.rejects(tm.uploadMany(paths, 'not-a-url'), /gs:\/\/bucket/);
  });

  it('copies inside GCS: one object in several rewrite calls, a prefix with no-clobber, nothing through the client', async () => {
    const tm = h.manager();
    const big = seededBytes(3 * 1024 * KiB, 77);
    await h.emulator.putObject('copy-src', 'in/big.bin', big);
    await h.emulator.putObject('copy-src', 'in/sub/small.txt', 'small');
    h.emulator.metrics.reset();
    const one = await tm.copy('gs://copy-src/in/big.bin', 'gs://copy-dst/out/big.bin', { maxBytesRewrittenPerCall: 1024 * KiB });
    assert.deepEqual([one.bytes, one.calls], [big.length, 3]);
    assert.ok(h.emulator.metrics.snapshot().bytesOut < 16 * KiB, 'no object bytes went to the client (only JSON answers)');
    assert.ok((await objectBytes(h.emulator, 'copy-dst', 'out/big.bin')).equals(big));
    const many = await tm.copyMany('gs://copy-src/in/', 'gs://copy-dst/out/', { skipExisting: true });
    assert.deepEqual({ objects: many.objects, skipped: many.skipped, failed: many.failed }, { objects: 1, skipped: 1, failed: 0 });
    assert.equal((await objectBytes(h.emulator, 'copy-dst', 'out/sub/small.txt')).toString(), 'small');
    const same = await tm.copyMany('gs://copy-src/in/', 'gs://copy-dst/out/', { skipIdentical: true });
    assert.deepEqual({ objects: same.objects, skipped: same.skipped }, { objects: 0, skipped: 2 });
    await assert.rejects(tm.copy('gs://copy-src/in/big.bin', 'gs://copy-dst/x', { maxBytesRewrittenPerCall: 1000 }), /multiple of 1048576/);
  });

  it('deletes a prefix (dry run first) and single objects', async () => {
    const tm = h.manager();
    const dry = await tm.deleteMany(`gs://${BUCKET}/throttled/`, { dryRun: true });
    assert.deepEqual({ objects: dry.objects, skipped: dry.skipped }, { objects: 0, skipped: 40 });
    const done = await tm.deleteMany(`gs://${BUCKET}/throttled/`);
    assert.equal(done.objects, 40);
    let left = 0;
    for await (const page of tm.list(`gs://${BUCKET}/throttled/`)) left += page.objects.length;
    assert.equal(left, 0);
    await tm.delete(`gs://${BUCKET}/up/a.txt`);
    await assert.rejects(tm.stat(`gs://${BUCKET}/up/a.txt`), { code: 'ERR_GCS_NOT_FOUND' });
    const refs = await tm.deleteMany([`gs://${BUCKET}/up/data/b.json`, `gs://${BUCKET}/never`]);
    assert.deepEqual({ objects: refs.objects, failed: refs.failed }, { objects: 1, failed: 1 });
    void stat;
  });
});

/**
 * An endpoint that refuses connections, through the built bin: the retries are shown as they happen (what
 * failed, the attempt, the next try), not minutes of silence.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runBin } from './bin.js';

let dir: string;
let endpoint: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-retry-'));
  await writeFile(join(dir, 'up.bin'), 'hello');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  endpoint = `http://127.0.0.1:${port}`;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

for (const [direction, args] of [
  ['download', ['gs://some-bucket/o.bin', 'out.bin']],
  ['upload', ['up.bin', 'gs://some-bucket/o.bin']],
] as const) {
  test(`${direction}: refused connections are reported while they are retried`, async () => {
    const run = await runBin(['cp', '--endpoint', endpoint, '--max-retry-time', '2500ms', ...args], {
      cwd: dir,
      env: { GCS_TRANSFER_STATE_DIR: join(dir, 'state') },
    });
    assert.equal(run.code, 3, run.stderr);
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('retrying: '));
    assert.ok(lines.length >= 1, run.stderr);
    assert.match(lines[0] ?? '', /ECONNREFUSED.*; attempt 2 in \d+\.\ds$/);
    assert.match(run.stderr, /gcs-transfer cp: .*ECONNREFUSED/);
  });
}

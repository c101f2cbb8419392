/**
 * No credentials anywhere, through the built bin: one message naming the fixes, the same exit code in both
 * directions, and no Node warning from google-auth-library's metadata-server probe leaking through.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runBin } from './bin.js';

let dir: string;
let metadata: Server;
let env: NodeJS.ProcessEnv;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-nocreds-'));
  // A "metadata server" on loopback that answers 500: the probe's odd answer is what makes
  // google-auth-library emit MetadataLookupWarning.
  metadata = createServer((_req, res) => res.writeHead(500).end('no'));
  await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
  env = {
    HOME: dir,
    GCE_METADATA_HOST: `127.0.0.1:${(metadata.address() as AddressInfo).port}`,
    GCS_TRANSFER_STATE_DIR: join(dir, 'state'),
  };
  await writeFile(join(dir, 'up.bin'), 'hello');
});

after(async () => {
  metadata.close();
  await rm(dir, { recursive: true, force: true });
});

for (const [direction, args] of [
  ['download', ['gs://some-bucket/o.bin', 'out.bin']],
  ['upload', ['up.bin', 'gs://some-bucket/o.bin']],
] as const) {
  test(`${direction}: one clear message, exit 3, no warnings`, async () => {
    // An https endpoint on a closed loopback port: credentials are needed before any connection is made.
    const run = await runBin(['cp', '--endpoint', 'https://127.0.0.1:9', ...args], { env, cleanEnv: true, cwd: dir });
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stderr.match(/no Google credentials found/g)?.length, 1, run.stderr);
    assert.match(run.stderr, /--no-auth/);
    assert.match(run.stderr, /gcloud auth application-default login/);
    assert.match(run.stderr, /\[ERR_GCS_NO_CREDENTIALS\]/);
    assert.doesNotMatch(run.stderr, /Warning|caused by/, run.stderr);
  });
}

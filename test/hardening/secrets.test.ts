/**
 * Secrets never reach the user's screen or logs: failing runs of `gcs-transfer cp` against servers that echo
 * the Authorization header and signed-URL signatures back (in error bodies, custom headers and redirect
 * locations) print neither, in human form, in `--json` form, or in progress output.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { runCli } from '../../src/cli/run-cli.js';
import { runCliProcess } from './cli-process.js';
import { startHostileServer, type HostileServer } from './hostile-server.js';

const TOKEN = 'ya29.a0AfB_secret-access-token-0123456789';
const SIGNATURE = '7b1c0ffee5ca1ab1edeadbeef0123456789abcdef';
/** Forms a leak could take: the token itself, without its well-known prefix, and the signature. */
const NEEDLES = [TOKEN, TOKEN.slice('ya29.'.length), SIGNATURE];

let dir: string;
let server: HostileServer;

/** Echoes every credential it received: in the error body, a custom header, and a signed redirect. */
function echoingHandler(req: IncomingMessage, res: ServerResponse): void {
  const authorization = req.headers.authorization ?? '';
  const signedUrl = `https://storage.googleapis.com/bkt/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=${SIGNATURE}`;
  if (req.url?.includes('redirect')) {
    res.writeHead(302, { location: signedUrl, 'x-echo-authorization': authorization });
    res.end();
    return;
  }
  const body =
    `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Denied for ${authorization}; ` +
    `try ${signedUrl}&access_token=${TOKEN}</Message></Error>`;
  res.writeHead(403, { 'content-type': 'application/xml', 'x-echo-authorization': authorization, 'x-echo-url': signedUrl });
  res.end(body);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secrets-'));
  await writeFile(join(dir, 'token.txt'), `${TOKEN}\n`);
  await writeFile(join(dir, 'upload.bin'), randomBytes(6 * 1024 * 1024));
  server = await startHostileServer(echoingHandler);
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function assertNoSecrets(output: string, what: string): void {
  for (const needle of NEEDLES) assert.ok(!output.includes(needle), `${what} leaks ${needle.slice(0, 12)}…:\n${output}`);
}

async function inProcess(args: string[]): Promise<{ code: number; output: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  stderr.on('data', (c: Buffer) => chunks.push(c));
  const code = await runCli(args, {
    stdin: Readable.from([]),
    stdout,
    stderr,
    env: { GCS_TRANSFER_STATE_DIR: join(dir, 'state'), SECRET_TOKEN: TOKEN },
    cwd: dir,
  });
  return { code, output: Buffer.concat(chunks).toString('utf8') };
}

const common = (): string[] => ['cp', '--endpoint', server.url, '--max-retry-time', '0'];

test('failing downloads and uploads, human and --json, token from a file or the environment: no secret printed', async () => {
  const runs: [string, string[]][] = [
    ['download, --token-env', [...common(), '--token-env', 'SECRET_TOKEN', 'gs://bkt/object.bin', 'out.bin']],
    ['download, --token-file, --json', [...common(), '--json', '--token-file', 'token.txt', 'gs://bkt/object.bin', 'out.bin']],
    ['download to stdout, --json', [...common(), '--json', '--token-env', 'SECRET_TOKEN', 'gs://bkt/object.bin', '-']],
    ['download, redirect', [...common(), '--json', '--token-env', 'SECRET_TOKEN', 'gs://bkt/redirect.bin', 'out.bin']],
    ['upload, multipart', [...common(), '--token-env', 'SECRET_TOKEN', '--chunk-size', '5MiB', 'upload.bin', 'gs://bkt/up.bin']],
    ['upload, --json', [...common(), '--json', '--token-env', 'SECRET_TOKEN', '--chunk-size', '5MiB', 'upload.bin', 'gs://bkt/up.bin']],
    ['upload, single request', [...common(), '--json', '--token-env', 'SECRET_TOKEN', 'upload.bin', 'gs://bkt/up.bin']],
  ];
  for (const [what, args] of runs) {
    const before = server.requests.length;
    const { code, output } = await inProcess(args);
    assert.equal(code, 3, `${what}: ${output}`);
    assert.ok(server.requests.length > before, `${what}: the server was reached`);
    assert.equal(server.requests.at(-1)?.headers.authorization, `Bearer ${TOKEN}`, `${what}: the token was sent`);
    assert.match(output, /403|302/, `${what}: the failure is described`);
    assertNoSecrets(output, what);
  }
});

test('the real executable: progress, failure message and JSON carry no secret', async () => {
  const run = await runCliProcess([...common(), '--token-env', 'SECRET_TOKEN', 'gs://bkt/object.bin', join(dir, 'p.bin')], {
    env: { SECRET_TOKEN: TOKEN, GCS_TRANSFER_STATE_DIR: join(dir, 'state') },
  });
  assert.equal(run.code, 3, run.stderr);
  assertNoSecrets(run.stdout + run.stderr, 'the process output');
  const json = await runCliProcess([...common(), '--json', '--token-env', 'SECRET_TOKEN', 'gs://bkt/object.bin', join(dir, 'p.bin')], {
    env: { SECRET_TOKEN: TOKEN, GCS_TRANSFER_STATE_DIR: join(dir, 'state') },
  });
  assert.equal(json.code, 3);
  assert.equal((JSON.parse(json.stdout) as { ok: boolean }).ok, false);
  assertNoSecrets(json.stdout + json.stderr, 'the JSON output');
});

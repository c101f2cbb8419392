/**
 * The object commands in-process against the emulator: cp with several sources, -r, wildcards, -n and gs:// to
 * gs:// naming; ls, stat, rm and rsync (re-run sends nothing, --delete, --dry-run); exit code 3 when any object
 * fails; hostile names from the command line.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/run-cli.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';

let emulator: Emulator;
let dir: string;

before(async () => {
  emulator = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'cli-many-'));
});

after(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const [command = '', ...rest] = args;
  const code = await runCli([command, '--endpoint', emulator.url, ...rest], {
    stdin: Readable.from([]),
    stdout,
    stderr,
    env: { GCS_TRANSFER_STATE_DIR: join(dir, 'state') },
    cwd: dir,
  });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

async function tree(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...(await tree(join(root, entry.name), `${prefix}${entry.name}/`)));
    else out.push(`${prefix}${entry.name}`);
  }
  return out.sort();
}

async function names(prefix: string): Promise<string[]> {
  const { stdout } = await cli('ls', '-r', prefix);
  return stdout.split('\n').filter((line) => line !== '').sort();
}

const B = 'gs://cli-many';

describe('many objects: CLI', () => {
  before(async () => {
    await mkdir(join(dir, 'site/css'), { recursive: true });
    await mkdir(join(dir, 'site/img/icons'), { recursive: true });
    await writeFile(join(dir, 'site/index.html'), '<html></html>');
    await writeFile(join(dir, 'site/css/a.css'), 'body{}');
    await writeFile(join(dir, 'site/img/icons/i.png'), Buffer.alloc(3000, 7));
    await writeFile(join(dir, 'notes.txt'), 'notes');
    await writeFile(join(dir, 'data.json'), '{}');
  });

  it('cp -r DIR keeps the directory name; ls rolls up at / and -l totals', async () => {
    const run = await cli('cp', '-r', 'site', `${B}/web/`);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /Copied 3 objects/);
    assert.deepEqual(await names(`${B}/web/`), [`${B}/web/site/css/a.css`, `${B}/web/site/img/icons/i.png`, `${B}/web/site/index.html`]);
    const top = await cli('ls', `${B}/web/site`);
    assert.equal(top.code, 0, top.stderr);
    assert.deepEqual(top.stdout.trim().split('\n').sort(), [`${B}/web/site/css/`, `${B}/web/site/img/`, `${B}/web/site/index.html`]);
    const wild = await cli('ls', `${B}/web/**.{css,png}`);
    assert.deepEqual(wild.stdout.trim().split('\n').sort(), [`${B}/web/site/css/a.css`, `${B}/web/site/img/icons/i.png`]);
    const long = await cli('ls', '-l', '-r', `${B}/web/`);
    assert.match(long.stdout, /TOTAL: 3 objects, 3019 bytes/);
    const css = await cli('stat', `${B}/web/site/css/a.css`);
    assert.equal(css.code, 0, css.stderr);
    assert.match(css.stdout, /Content-Type:\s+text\/css/);
  });

  it('cp of several files with metadata; -n skips what exists; a missing source fails with exit 3', async () => {
    const run = await cli('cp', '--metadata', 'team=ml,run=7', '--cache-control', 'no-store', 'notes.txt', 'data.json', `${B}/flat`);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await names(`${B}/flat/`), [`${B}/flat/data.json`, `${B}/flat/notes.txt`]);
    const info = await cli('stat', '--json', `${B}/flat/data.json`);
    const parsed = JSON.parse(info.stdout) as { contentType: string; cacheControl: string; metadata: Record<string, string> };
    assert.deepEqual([parsed.contentType, parsed.cacheControl, parsed.metadata], ['application/json', 'no-store', { team: 'ml', run: '7' }]);
    const again = await cli('cp', '-n', 'notes.txt', 'data.json', `${B}/flat/`);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Copied 0 objects .*2 skipped/);
    const missing = await cli('cp', 'notes.txt', 'nope.txt', `${B}/flat2/`);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /FAILED .*nope\.txt/);
    assert.match(missing.stderr, /Copied 1 object .*1 failed/);
  });

  it('downloads a prefix with -r (keeping its last segment) and a wildcard (from its directory)', async () => {
    const out = join(dir, 'out1');
    const run = await cli('cp', '-r', `${B}/web/site`, out);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await tree(out), ['site/css/a.css', 'site/img/icons/i.png', 'site/index.html']);
    assert.equal(await readFile(join(out, 'site/index.html'), 'utf8'), '<html></html>');
    const wild = join(dir, 'out2');
    const w = await cli('cp', `${B}/web/site/**.png`, `${B}/web/site/*.html`, `${wild}/`);
    assert.equal(w.code, 0, w.stderr);
    assert.deepEqual(await tree(wild), ['img/icons/i.png', 'index.html']);
    const one = await cli('cp', `${B}/flat/notes.txt`, join(dir, 'renamed.txt'));
    assert.equal(one.code, 0, one.stderr);
    assert.equal(await readFile(join(dir, 'renamed.txt'), 'utf8'), 'notes');
  });

  it('cp gs:// to gs:// copies inside GCS, with the same naming rules', async () => {
    const run = await cli('cp', '-r', `${B}/web/site`, 'gs://cli-many-backup/');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /Copied 3 objects/);
    const { stdout } = await cli('ls', '-r', 'gs://cli-many-backup/');
    assert.deepEqual(stdout.trim().split('\n').sort(), ['gs://cli-many-backup/site/css/a.css', 'gs://cli-many-backup/site/img/icons/i.png', 'gs://cli-many-backup/site/index.html']);
    const one = await cli('cp', `${B}/web/site/index.html`, 'gs://cli-many-backup/home.html');
    assert.equal(one.code, 0, one.stderr);
    const info = await cli('stat', 'gs://cli-many-backup/home.html');
    assert.match(info.stdout, /Size:\s+13 bytes/);
  });

  it('rm: a prefix needs -r; --dry-run deletes nothing; rm -r deletes the tree', async () => {
    const refused = await cli('rm', `${B}/flat/`);
    assert.equal(refused.code, 2);
    const dry = await cli('rm', '-r', '--dry-run', `${B}/flat/`);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Would remove gs:\/\/cli-many\/flat\/notes\.txt/);
    assert.equal((await names(`${B}/flat/`)).length, 2);
    const gone = await cli('rm', '-r', `${B}/flat`);
    assert.equal(gone.code, 0, gone.stderr);
    assert.deepEqual(await names(`${B}/flat/`), []);
    const missing = await cli('rm', `${B}/flat/never`);
    assert.equal(missing.code, 3);
    const stat = await cli('stat', `${B}/flat/never`);
    assert.equal(stat.code, 3);
  });

  it('rsync: a re-run sends nothing, a change sends one, --delete removes extras (after a dry run)', async () => {
    const src = join(dir, 'sync-src');
    await mkdir(join(src, 'sub'), { recursive: true });
    for (let i = 0; i < 5; i++) await writeFile(join(src, `sub/f${i}.bin`), Buffer.alloc(100 + i, i));
    const first = await cli('rsync', '-r', src, `${B}/mirror`);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Copied 5 objects/);
    emulator.metrics.reset();
    const second = await cli('rsync', '-r', src, `${B}/mirror`);
    assert.match(second.stderr, /Copied 0 objects .*5 skipped/);
    const requests = emulator.metrics.snapshot().requests;
    assert.equal(requests['upload-multipart'] + requests['mpu-initiate'], 0);
    await writeFile(join(src, 'sub/f0.bin'), 'changed');
    await rm(join(src, 'sub/f4.bin'));
    const third = await cli('rsync', '-r', '--checksum', '--delete', '--dry-run', src, `${B}/mirror`);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /Would delete 1 object/);
    assert.equal((await names(`${B}/mirror/`)).length, 5);
    const fourth = await cli('rsync', '-r', '--checksum', '--delete', src, `${B}/mirror`);
    assert.equal(fourth.code, 0, fourth.stderr);
    assert.match(fourth.stderr, /Copied 1 object .*3 skipped/);
    assert.match(fourth.stderr, /Deleted 1 object/);
    assert.deepEqual(await names(`${B}/mirror/`), [0, 1, 2, 3].map((i) => `${B}/mirror/sub/f${i}.bin`));
    const back = join(dir, 'sync-back');
    const down = await cli('rsync', '-r', `${B}/mirror`, back);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await tree(back), [0, 1, 2, 3].map((i) => `sub/f${i}.bin`));
    assert.equal(await readFile(join(back, 'sub/f0.bin'), 'utf8'), 'changed');
    const downAgain = await cli('rsync', '-r', `${B}/mirror`, back);
    assert.match(downAgain.stderr, /Copied 0 objects .*4 skipped/);
    // Without -r: refused (exit 2) before anything moves or is deleted, since gcloud would sync the top level only.
    emulator.metrics.reset();
    const flat = await cli('rsync', '--delete', src, `${B}/mirror`);
    assert.equal(flat.code, 2, flat.stderr);
    assert.match(flat.stderr, /rsync needs -r/);
    assert.equal(Object.values(emulator.metrics.snapshot().requests).reduce((a, b) => a + b, 0), 0);
  });

  it('hostile object names fail alone, listed, with exit code 3', async () => {
    await emulator.putObject('cli-hostile', 'ok.txt', 'fine');
    await emulator.putObject('cli-hostile', '../outside.txt', 'evil');
    const dest = join(dir, 'hostile', 'in');
    const run = await cli('cp', '-r', 'gs://cli-hostile', dest);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /FAILED gs:\/\/cli-hostile\/\.\.\/outside\.txt .*Refusing to write/);
    assert.deepEqual(await tree(join(dir, 'hostile')), ['in/ok.txt']);
  });

  it('local wildcards upload what they match, named from the directory holding the first wildcard', async () => {
    const run = await cli('cp', 'site/**.css', 'site/*.html', `${B}/glob/`);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await names(`${B}/glob/`), [`${B}/glob/css/a.css`, `${B}/glob/index.html`]);
  });

  it('every new command has --help, and the top level lists them', async () => {
    for (const command of ['ls', 'stat', 'rm', 'rsync']) {
      const help = await cli(command, '--help');
      assert.equal(help.code, 0, command);
      assert.match(help.stdout, new RegExp(`Usage: gcs-transfer ${command}`));
      assert.match(help.stdout, /Exit codes:/);
    }
    const cpHelp = await cli('cp', '--help');
    assert.match(cpHelp.stdout, /--endpoint/);
    const stdout = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => out.push(chunk));
    await runCli(['--help'], { stdin: Readable.from([]), stdout, stderr: new PassThrough(), env: {}, cwd: dir });
    for (const command of ['ls', 'stat', 'rm', 'rsync']) assert.match(Buffer.concat(out).toString(), new RegExp(`^  ${command} `, 'm'));
  });

  it('usage errors: a directory without -r, local-to-local, bad --objects', async () => {
    assert.equal((await cli('cp', 'site', `${B}/x/`, 'notes.txt')).code, 2);
    const noR = await cli('cp', 'site', 'notes.txt', `${B}/x/`);
    assert.equal(noR.code, 2);
    assert.match(noR.stderr, /is a directory; copy it with -r/);
    assert.equal((await cli('cp', '-r', 'site', 'elsewhere')).code, 2);
    const bad = await cli('cp', '--objects', '0', 'notes.txt', 'data.json', `${B}/x/`);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--objects/);
  });
});

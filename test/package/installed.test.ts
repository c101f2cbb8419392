/**
 * The package as a user installs it: `npm pack`, unpacked into a fresh directory whose node_modules holds
 * only the production dependencies (no dev dependencies, no sources), then the installed CLI is run. Checks
 * what the tarball holds (a LICENSE matching package.json, no source maps pointing at files that are not
 * shipped, every runtime dependency used by shipped code) and that `npx gcs-transfer bench --endpoint URL
 * --bucket B` works from it, as the README's "tune chunk sizes" use needs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { ROOT, ensureBuilt } from '../cli/bin.js';

const run = promisify(execFile);
let dir: string;
let files: string[];
let manifest: { license: string; dependencies: Record<string, string>; name: string; version: string };
let emulator: Emulator;

before(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'pkg-'));
  manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as typeof manifest;
  // --ignore-scripts: the build is already fresh (ensureBuilt), and rebuilding here would pull dist out from
  // under the CLI tests running in parallel.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
  const packed = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  files = packed[0]?.files.map((f) => f.path) ?? [];
  const app = join(dir, 'app');
  await mkdir(join(app, 'node_modules', 'gcs-transfer'), { recursive: true });
  await run('tar', ['xzf', join(dir, packed[0]?.filename ?? ''), '-C', join(app, 'node_modules', 'gcs-transfer'), '--strip-components=1']);
  // The production dependency tree, as `npm install` would lay it out: linked from this checkout.
  const { stdout: tree } = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT });
  const tops = new Set<string>();
  for (const line of tree.split('\n')) {
    const rel = line.startsWith(ROOT) ? line.slice(ROOT.length).replace(/^\//, '') : '';
    const parts = rel.split('/');
    if (parts[0] !== 'node_modules' || parts.length < 2) continue;
    tops.add(parts[1]?.startsWith('@') ? `${parts[1]}/${parts[2]}` : (parts[1] as string));
  }
  for (const name of tops) {
    await mkdir(dirname(join(app, 'node_modules', name)), { recursive: true });
    await symlink(join(ROOT, 'node_modules', name), join(app, 'node_modules', name));
  }
  await mkdir(join(app, 'node_modules', '.bin'));
  await symlink('../gcs-transfer/dist/src/cli/main.js', join(app, 'node_modules', '.bin', 'gcs-transfer'));
  // npm makes a bin executable when it installs it.
  await chmod(join(app, 'node_modules', 'gcs-transfer', 'dist', 'src', 'cli', 'main.js'), 0o755);
  emulator = await startEmulator();
});

after(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

test('the tarball: LICENSE matching package.json, no dangling source maps, every dependency used', async () => {
  assert.ok(files.includes('LICENSE'), 'LICENSE is packed');
  assert.equal(manifest.license, 'Apache-2.0');
  const license = await readFile(join(ROOT, 'LICENSE'), 'utf8');
  assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
  const maps = files.filter((f) => f.endsWith('.map'));
  for (const map of maps) {
    const { sources } = JSON.parse(await readFile(join(ROOT, map), 'utf8')) as { sources: string[] };
    for (const source of sources) assert.ok(files.includes(join(dirname(map), source)), `${map} points at ${source}, which is not shipped`);
  }
  assert.ok(files.includes('dist/bench/cli.js'), 'the bench is shipped');
  const shipped = files.filter((f) => f.endsWith('.js'));
  const code = (await Promise.all(shipped.map((f) => readFile(join(ROOT, f), 'utf8')))).join('\n');
  for (const dependency of Object.keys(manifest.dependencies)) {
    if (dependency === 'bullmq') continue; // the scale-out entry point is another engineer's, not in this tree yet
    const escaped = dependency.replace(/[/.]/g, '\\$&');
    assert.match(code, new RegExp(`from '${escaped}(/[^']*)?'|import\\('${escaped}'\\)`), `${dependency} is imported by shipped code`);
  }
});

test('npx gcs-transfer bench --endpoint URL --bucket B runs from the installed package', async () => {
  const { stdout, stderr } = await run(
    'npx',
    ['--no-install', 'gcs-transfer', 'bench', '--quick', '--suite', 'download', '--size', '4MiB', '--iterations', '1', '--endpoint', emulator.url, '--bucket', 'bench-installed', '--auth', 'none', '--out', join(dir, 'out')],
    { cwd: join(dir, 'app'), env: { ...process.env, npm_config_offline: 'true' }, timeout: 240_000 },
  );
  assert.match(stdout + stderr, /TransferManager\.downloadFile/);
  assert.doesNotMatch(stdout + stderr, /FAILED|not part of the installed package/);
  assert.ok((await readdir(join(dir, 'out'))).some((f) => f.endsWith('.json')), 'results written where asked');
});

test("the README's quick start works as written from the installed package", async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Benchmarks'));
  const shell = /```sh\n([\s\S]*?)```/.exec(quick)?.[1] ?? '';
  const library = /```js\n([\s\S]*?)```/.exec(quick)?.[1] ?? '';
  const port = new URL(emulator.url).port;
  const app = join(dir, 'app');
  // Every command but the install (done above, offline) and the emulator start (the test's own emulator).
  const commands = shell
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('npm install') && !line.includes('gcs-transfer emulator'))
    .map((line) => line.replace(/ +#.*$/, '').replaceAll('9023', port).replace('head -c 100M', 'head -c 20M'));
  assert.equal(commands.length, 4, commands.join('\n'));
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', commands.join('\n')], { cwd: app, timeout: 120_000 });
  assert.match(stdout, /identical/);
  await writeFile(join(app, 'quick.mjs'), library.replaceAll('9023', port));
  const lib = await run(process.execPath, ['quick.mjs'], { cwd: app, timeout: 120_000 });
  assert.equal(lib.stdout.trim(), 'true true');
});

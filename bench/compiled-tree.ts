/**
 * Runs the measured code as JavaScript, the way `npm run build` ships it, instead of under tsx.
 *
 * tsx is a development convenience with a real cost in exactly what the bench reports: it adds ~40 MiB of
 * resident memory to every process *and every worker thread* that loads it, and compiles modules on the fly.
 * Measuring the engine under tsx would charge those to our side of the peer comparison (the peer is plain
 * JavaScript). So before the first case, the sources (`src`, `workers`, `bench`) are transpiled, type
 * annotations stripped and nothing else changed, into a cache directory keyed by their content hash; the
 * children then run from there with plain `node`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

const SOURCE_DIRS = ['src', 'workers', 'bench'];

async function sourceFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  for (const top of SOURCE_DIRS) {
    const dir = join(root, top);
    if (!existsSync(dir)) continue;
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.(ts|mjs|js|json)$/.test(entry.name) || entry.name.endsWith('.d.ts')) continue;
      const path = join(entry.parentPath, entry.name);
      if (relative(root, path).startsWith(join('bench', 'results'))) continue;
      files.push(path);
    }
  }
  return files.sort();
}

/**
 * Returns a directory holding the transpiled tree of `root` (with `src/`, `workers/`, `bench/` inside and a
 * `package.json` marking it ESM), building it unless an identical one is cached. Bare imports resolve from
 * `root/node_modules`, because the cache lives under it.
 */
export async function compiledTree(root: string): Promise<string> {
  const files = await sourceFiles(root);
  const hash = createHash('sha256');
  for (const file of files) hash.update(relative(root, file)).update('\0').update(await readFile(file)).update('\0');
  const cacheRoot = join(root, 'node_modules', '.cache', 'gcs-transfer-bench');
  const target = join(cacheRoot, hash.digest('hex').slice(0, 16));
  if (existsSync(join(target, 'package.json'))) {
    // Mark it in use, so another bench's pruning leaves it alone.
    const now = new Date();
    await utimes(target, now, now);
    return target;
  }

  // Loaded only on a cache miss: TypeScript takes about a second to import.
  const { default: ts } = await import('typescript');
  const staging = `${target}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  for (const file of files) {
    const rel = relative(root, file);
    const dest = join(staging, rel.replace(/\.ts$/, '.js'));
    await mkdir(dirname(dest), { recursive: true });
    if (!file.endsWith('.ts')) {
      await cp(file, dest);
      continue;
    }
    const output = ts.transpileModule(await readFile(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    await writeFile(dest, output.outputText);
  }
  await writeFile(join(staging, 'package.json'), '{ "type": "module" }\n');
  // Publish atomically: a concurrent bench either sees the whole tree or builds its own.
  await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(target, 'package.json'))) throw error;
  });
  await pruneOld(cacheRoot, target);
  return target;
}

/**
 * A tree may still be in use by another bench started before the sources changed (the test suite runs one),
 * so only trees untouched for this long are removed.
 */
const STALE_MS = 6 * 60 * 60 * 1000;

/** Removes stale trees (every source edit makes a new one; each is ~2 MB). */
async function pruneOld(cacheRoot: string, keep: string): Promise<void> {
  const now = Date.now();
  for (const entry of await readdir(cacheRoot, { withFileTypes: true })) {
    const path = join(cacheRoot, entry.name);
    if (path === keep || !entry.isDirectory()) continue;
    const { mtimeMs } = await stat(path);
    if (now - mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true });
  }
}

/**
 * How the bench starts its child processes (case runners, the emulator). Three situations:
 *
 * - from source (`node --import tsx bench/run.ts`): children run from the transpiled tree of
 *   `compiled-tree.ts`, with plain `node`, so tsx's memory and compile time never land in a measurement;
 * - from source, without TypeScript installed to transpile: children run the `.ts` files under tsx (the
 *   report says so, since RSS then includes tsx);
 * - from already-compiled JavaScript: children are the sibling `.js` files.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledTree } from './compiled-tree.js';

export type ChildName = 'case-runner' | 'emulator-child';

export interface ChildRuntime {
  /** What the report says about how the measured code ran. */
  readonly description: string;
  /** Absolute path of the child's entry module. */
  entry(name: ChildName): string;
  /** Node flags for the child. */
  readonly execArgv: string[];
}

const fromSource = import.meta.url.endsWith('.ts');

/** Children are the sibling modules of this one, run the same way as this process. */
export function siblingRuntime(): ChildRuntime {
  const tsx = fromSource ? pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href : undefined;
  return {
    description: fromSource ? 'under tsx (RSS includes ~40 MiB of tsx per process and worker)' : 'compiled JavaScript',
    entry: (name) => fileURLToPath(new URL(`./${name}${fromSource ? '.ts' : '.js'}`, import.meta.url)),
    execArgv: tsx ? ['--import', tsx] : [],
  };
}

/** The runtime for measured children: the transpiled tree when running from source (see the file comment). */
export async function measuredRuntime(): Promise<ChildRuntime> {
  if (!fromSource) return siblingRuntime();
  const root = fileURLToPath(new URL('..', import.meta.url));
  let tree: string;
  try {
    tree = await compiledTree(root);
  } catch {
    return siblingRuntime();
  }
  return {
    description: 'transpiled JavaScript, plain node (as `npm run build` ships it)',
    entry: (name) => join(tree, 'bench', `${name}.js`),
    execArgv: [],
  };
}

/** The URL of `specifier` (no extension) next to `base`, with the same extension as `base`. */
export function siblingModule(base: string, specifier: string): URL {
  return new URL(`${specifier}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

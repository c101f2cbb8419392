/**
 * Child processes run the bench's own modules. From source (`node --import tsx bench/run.ts`) those are `.ts`
 * files and the child needs tsx too; from a compiled build they are `.js` and need nothing. Both helpers look at
 * the caller's own URL to tell which.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The URL of `specifier` (no extension) next to `base`, with the same extension as `base`. */
export function siblingModule(base: string, specifier: string): URL {
  const extension = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${specifier}${extension}`, base);
}

/**
 * Node flags for a child running modules next to `base`: the tsx loader, by absolute URL so the child does not
 * depend on its working directory, when `base` is TypeScript.
 */
export function childExecArgv(base: string): string[] {
  if (!base.endsWith('.ts')) return [];
  const tsx = createRequire(base).resolve('tsx');
  return ['--import', pathToFileURL(tsx).href];
}

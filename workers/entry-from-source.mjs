// The worker file when the engine runs from its TypeScript sources (under tsx). Node 20 does not apply the
// parent's `--import tsx` loader hooks to worker threads, so this plain-JS module registers tsx in the worker
// and re-exports the handlers of entry.ts. The built package never uses it: there the worker file is entry.js.
import { register } from 'tsx/esm/api';

register();

export const { uploadPart, hashRange, downloadRange } = await import('./entry.ts');

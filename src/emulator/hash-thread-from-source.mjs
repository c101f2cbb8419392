// The hashing thread when the emulator runs from its TypeScript sources (under tsx): Node 20 does not apply the
// parent's `--import tsx` hooks to worker threads, so this plain-JS module registers tsx first. The built
// package starts hash-thread.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./hash-thread.ts');

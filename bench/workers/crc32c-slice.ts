/**
 * Piscina task for the CRC32C suite: hashes `[start, end)` of a SharedArrayBuffer with the native or the
 * pure-JS implementation. Sharing the buffer keeps the measurement about hashing, not about copying bytes
 * between threads (the engine's workers read their ranges from the file, which also involves no copy).
 */
import { crc32c } from '../../src/checksum/crc32c.js';
import { crc32cJs } from '../crc32c-js.js';

export interface Crc32cSliceTask {
  buffer: SharedArrayBuffer;
  start: number;
  end: number;
  impl: 'native' | 'js';
}

export default function hashSlice(task: Crc32cSliceTask): number {
  const bytes = new Uint8Array(task.buffer, task.start, task.end - task.start);
  return task.impl === 'native' ? crc32c(bytes) : crc32cJs(bytes);
}

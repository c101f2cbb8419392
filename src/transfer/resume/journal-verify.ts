/**
 * Checking what a journal claims against the bytes on disk. A journal records CRC32Cs; before they are trusted
 * (to skip a range, or to declare an object identical to a file) the bytes they describe are hashed again.
 * Local reads at disk speed are cheap next to re-transferring the data, and they catch writes that never
 * reached the disk and files changed behind our back.
 */
import { Crc32cHasher } from '../../checksum/crc32c.js';
import { visitFileRange } from '../../media/file-range.js';
import { throwIfAborted } from '../../util/abort.js';

/**
 * CRC32C of `[start, end)` of the file at `path`, or undefined when the file is missing, unreadable, or ends
 * before `end`. Rejects only with an AbortError.
 */
export async function fileRangeCrc32c(
  path: string,
  start: number,
  end: number,
  options: { signal?: AbortSignal } = {},
): Promise<number | undefined> {
  const hasher = new Crc32cHasher();
  try {
    await visitFileRange(path, start, end, (block) => hasher.update(block), options.signal);
  } catch {
    throwIfAborted(options.signal);
    return undefined;
  }
  return hasher.length === end - start ? hasher.value : undefined;
}

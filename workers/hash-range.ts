/**
 * Worker handler: CRC32C of a file range or of a transferred buffer, off the main thread. Used to verify parts
 * of a resumed upload against the local file, and by the bench to measure hashing in the pool.
 */
import { Crc32cHasher } from '../src/checksum/crc32c.js';
import { SourceChangedError } from '../src/errors.js';
import { visitFileRange } from '../src/media/file-range.js';
import type { HashRangeTask, HashRangeValue } from '../src/pool/protocol.js';
import { TaskChannel, cancelledReply, claimTask, replyTo } from './worker-context.js';

export async function hashRange(task: HashRangeTask): Promise<unknown> {
  if (!claimTask(task.state)) {
    task.port.close();
    return cancelledReply();
  }
  const channel = new TaskChannel(task.port);
  try {
    return await replyTo(task.source, async (): Promise<HashRangeValue> => {
      const { source } = task;
      const hasher = new Crc32cHasher();
      if (source.kind === 'buffer') {
        hasher.update(new Uint8Array(source.buffer, 0, source.length));
        return { crc32c: hasher.value, size: hasher.length };
      }
      await visitFileRange(source.path, source.start, source.end, (block) => hasher.update(block), channel.signal);
      if (hasher.length !== source.end - source.start) {
        throw new SourceChangedError(
          `The file ${source.path} ends at byte ${source.start + hasher.length}, before the end of range [${source.start}, ${source.end})`,
        );
      }
      return { crc32c: hasher.value, size: hasher.length };
    });
  } finally {
    channel.close();
  }
}

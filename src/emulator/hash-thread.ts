/**
 * The body of a hashing thread (see hash-pool.ts): it owns the files being written by the streams assigned to
 * it, writes each batch it is sent and feeds it to that stream's MD5 and CRC32C. Writing here as well as
 * hashing means each batch crosses threads once, as a transferred buffer, and the event loop never waits on
 * either.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { crc32c, crc32cToBase64 } from '../checksum/crc32c.js';

export type HashRequest =
  | { op: 'open'; seq: number; id: number; path: string; flags: 'w' | 'a'; md5: boolean }
  | { op: 'write'; seq: number; id: number; buffer: SharedArrayBuffer; length: number }
  | { op: 'digest'; seq: number; id: number }
  | { op: 'close'; seq: number; id: number };

export type HashReply = { seq: number; error?: string; crc32c?: string; md5?: string };

interface OpenStream {
  fd: number;
  crc: number;
  md5: Hash | undefined;
}

const streams = new Map<number, OpenStream>();

function handle(request: HashRequest): HashReply {
  const { seq } = request;
  if (request.op === 'open') {
    streams.set(request.id, { fd: openSync(request.path, request.flags), crc: 0, md5: request.md5 ? createHash('md5') : undefined });
    return { seq };
  }
  const stream = streams.get(request.id);
  if (!stream) return { seq, error: `hash stream ${request.id} is not open` };
  switch (request.op) {
    case 'write': {
      const bytes = new Uint8Array(request.buffer, 0, request.length);
      for (let offset = 0; offset < bytes.byteLength; ) offset += writeSync(stream.fd, bytes, offset);
      stream.crc = crc32c(bytes, stream.crc);
      stream.md5?.update(bytes);
      return { seq };
    }
    case 'digest': {
      const reply: HashReply = { seq, crc32c: crc32cToBase64(stream.crc) };
      if (stream.md5) reply.md5 = stream.md5.digest('base64');
      return reply;
    }
    case 'close':
      streams.delete(request.id);
      closeSync(stream.fd);
      return { seq };
  }
}

parentPort?.on('message', (request: HashRequest) => {
  let reply: HashReply;
  try {
    reply = handle(request);
  } catch (error) {
    reply = { seq: request.seq, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});

/**
 * Read-backs that prove a measured transfer moved the right bytes. They run outside the timed window, once
 * per case: a harness that reports speed for wrong bytes is worse than none.
 */
import { createReadStream } from 'node:fs';
import { crc32c, crc32cFromBase64 } from '../src/checksum/crc32c.js';
import { DataCorruption, InvalidResponse } from '../src/errors.js';
import { GcsEndpoint } from '../src/transport/endpoint.js';
import { dumpBody, readBodyText, type Transport } from '../src/transport/transport.js';
import type { TargetSpec } from './cases/case.js';
import { MiB } from './units.js';

/** CRC32C of a whole file, streamed. */
export async function fileCrc32c(path: string): Promise<{ crc: number; size: number }> {
  let crc = 0;
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) {
    crc = crc32c(chunk as Buffer, crc);
    size += (chunk as Buffer).byteLength;
  }
  return { crc, size };
}

/** Throws DataCorruption unless `path` holds exactly `size` bytes with CRC32C `expected`. */
export async function assertFile(path: string, size: number, expected: number): Promise<void> {
  const actual = await fileCrc32c(path);
  if (actual.size !== size || actual.crc !== expected) {
    throw new DataCorruption(`bench: ${path} holds ${actual.size} bytes with CRC32C ${hex(actual.crc)}, expected ${size} bytes, ${hex(expected)}`, {
      algorithm: 'crc32c',
      expected: hex(expected),
      actual: hex(actual.crc),
    });
  }
}

export interface ObjectInfo {
  size: number;
  crc32c: number | undefined;
}

/** The object's size and CRC32C from its JSON metadata, or undefined when it does not exist. */
export async function fetchObjectInfo(transport: Transport, target: TargetSpec, name: string): Promise<ObjectInfo | undefined> {
  const url = new GcsEndpoint(target.endpoint).objectMetadataUrl(target.bucket, name);
  const response = await transport.request({ method: 'GET', url, headers: {} });
  if (response.status === 404) {
    await dumpBody(response.body);
    return undefined;
  }
  const text = await readBodyText(response.body);
  if (response.status !== 200) {
    throw new InvalidResponse(`bench: metadata of ${name} answered ${response.status}`, { response: { status: response.status, headers: response.headers, body: text } });
  }
  const resource = JSON.parse(text) as { size?: string; crc32c?: string };
  return { size: Number(resource.size), crc32c: resource.crc32c ? crc32cFromBase64(resource.crc32c) : undefined };
}

/** Throws DataCorruption unless the stored object has `size` bytes and CRC32C `expected`. */
export async function assertObject(transport: Transport, target: TargetSpec, name: string, size: number, expected: number): Promise<void> {
  const info = await fetchObjectInfo(transport, target, name);
  if (!info || info.size !== size || info.crc32c !== expected) {
    const got = info ? `${info.size} bytes, CRC32C ${info.crc32c === undefined ? 'none' : hex(info.crc32c)}` : 'no object';
    throw new DataCorruption(`bench: uploaded ${name} is ${got}, expected ${size} bytes, ${hex(expected)}`, {
      algorithm: 'crc32c',
      expected: hex(expected),
      actual: info?.crc32c === undefined ? 'none' : hex(info.crc32c),
    });
  }
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}

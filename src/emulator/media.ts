/**
 * Serving an object's bytes: JSON `alt=media` (both URL forms) and XML GET/HEAD share this. It applies the
 * Range header, the generation selectors, GCS's decompressive transcoding of gzip-stored objects, and sends
 * the headers GCS sends (`x-goog-hash` of the whole object, stored length and encoding, generations, ETag).
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { OutgoingHttpHeaders } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { noSuchObject, rangeNotSatisfiable } from './errors.js';
import type { Exchange } from './exchange.js';
import { formatGoogHash } from './hashes.js';
import { jsonEtag, xmlObjectHeaders } from './object-resource.js';
import { checkRead, type Preconditions } from './preconditions.js';
import { contentRange, resolveRange } from './range.js';
import type { ObjectStore, StoredObject } from './store.js';

/** Large reads keep the per-chunk cost (syscalls, event-loop turns) negligible next to copying bytes. */
const READ_HIGH_WATER_MARK = 4 * 1024 * 1024;

/**
 * The live object named by the route, checked against a requested `generation` (404 when it is not the live
 * one: buckets here are not versioned) and the preconditions (412).
 */
export function selectObject(store: ObjectStore, bucket: string, name: string, generation: string | null, p: Preconditions): StoredObject {
  const object = store.require(bucket, name);
  if (generation !== null && generation !== String(object.generation)) throw noSuchObject(bucket, name);
  checkRead(object, p);
  return object;
}

function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((item) => {
    const [coding = '', ...params] = item.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}

export async function serveMedia(x: Exchange, store: ObjectStore, object: StoredObject): Promise<void> {
  const headers: OutgoingHttpHeaders = {
    'content-type': object.contentType,
    'x-goog-hash': formatGoogHash(object),
    'x-goog-generation': String(object.generation),
    'x-goog-metageneration': String(object.metageneration),
    'x-goog-stored-content-length': String(object.size),
    'x-goog-stored-content-encoding': object.contentEncoding ?? 'identity',
    'x-goog-storage-class': 'STANDARD',
    etag: x.api === 'xml' ? object.xmlEtag : jsonEtag(object.generation, object.metageneration),
    'last-modified': new Date(object.updated).toUTCString(),
    'accept-ranges': 'bytes',
    ...(x.api === 'xml' ? xmlObjectHeaders(object) : {}),
  };
  const head = x.req.method === 'HEAD';

  if (object.contentEncoding === 'gzip' && !acceptsGzip(x.header('accept-encoding'))) {
    // Decompressive transcoding: GCS serves the inflated bytes, ignores Range and cannot know the length.
    headers.warning = '214 UploadServer gzip transformation';
    if (head) return x.respond(200, headers);
    const inflated = pipeline(openRange(store, object), createGunzip(), () => undefined);
    return x.respond(200, headers, inflated);
  }
  if (object.contentEncoding !== undefined) headers['content-encoding'] = object.contentEncoding;

  const decision = x.plan.ignoreRange ? ({ kind: 'full' } as const) : resolveRange(x.header('range'), object.size);
  if (decision.kind === 'unsatisfiable') throw rangeNotSatisfiable(object.size);
  if (decision.kind === 'partial') {
    const { start, end } = decision.range;
    headers['content-range'] = contentRange(decision.range, object.size);
    headers['content-length'] = end - start + 1;
    return x.respond(206, headers, head ? undefined : openRange(store, object, start, end));
  }
  headers['content-length'] = object.size;
  return x.respond(200, headers, head || object.size === 0 ? undefined : openRange(store, object));
}

/** A stream over `[start, end]` (inclusive) of the object's data, whose files are retained right now. */
function openRange(store: ObjectStore, object: StoredObject, start = 0, end = object.size - 1): Readable {
  return new SegmentReader(store, object, start, end);
}

/**
 * Reads a byte range across an object's segments, opening each file only when the range reaches it. The
 * object's files are retained from construction to destroy (which the end of the stream and the exchange
 * both trigger), so an overwrite during the read cannot remove them.
 */
class SegmentReader extends Readable {
  readonly #store: ObjectStore;
  readonly #object: StoredObject;
  /** Absolute offset of the next byte to read, and of the last byte wanted (inclusive). */
  #position: number;
  readonly #end: number;
  #segment = 0;
  /** Absolute offset where `#segment` starts. */
  #segmentStart = 0;
  #handle: FileHandle | undefined;
  #released = false;

  constructor(store: ObjectStore, object: StoredObject, start: number, end: number) {
    super({ highWaterMark: READ_HIGH_WATER_MARK });
    this.#store = store;
    this.#object = object;
    this.#position = start;
    this.#end = end;
    store.retain(object);
  }

  override _read(): void {
    this.#next().then(
      (chunk) => this.push(chunk),
      (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  }

  async #next(): Promise<Buffer | null> {
    const segments = this.#object.segments;
    for (;;) {
      if (this.#position > this.#end) return null;
      const segment = segments[this.#segment];
      if (!segment) return null;
      const segmentEnd = this.#segmentStart + segment.size;
      if (this.#position >= segmentEnd) {
        await this.#closeHandle();
        this.#segmentStart = segmentEnd;
        this.#segment += 1;
        continue;
      }
      this.#handle ??= await open(this.#store.segmentPath(segment), 'r');
      const length = Math.min(READ_HIGH_WATER_MARK, segmentEnd - this.#position, this.#end - this.#position + 1);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await this.#handle.read(buffer, 0, length, this.#position - this.#segmentStart);
      if (bytesRead === 0) throw new Error(`The data file of ${this.#object.bucket}/${this.#object.name} is shorter than recorded.`);
      this.#position += bytesRead;
      return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
    }
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#released) {
      this.#released = true;
      this.#store.release(this.#object);
    }
    this.#closeHandle().then(
      () => callback(error),
      () => callback(error),
    );
  }
}

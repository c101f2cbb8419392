/**
 * XML multipart uploads: the uploads in progress, their parts on disk, and assembly. Completion follows GCS
 * (and S3): every listed part must exist with the listed ETag, in ascending order, every part but the last at
 * least 5 MiB; the object gets no MD5. Completing copies nothing: the part files become the object's segments
 * and its CRC32C is combined from the parts' CRC32Cs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { combineCrc32c } from '../checksum/combine.js';
import { crc32cFromBase64, crc32cToBase64 } from '../checksum/crc32c.js';
import { GcsErrorReply, noSuchUpload } from './errors.js';
import type { Digests } from './hashes.js';
import type { Preconditions } from './preconditions.js';
import type { ObjectMeta, ObjectStore, StoredObject } from './store.js';

/** GCS's (and S3's) minimum size of every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** Part numbers run from 1 to this. */
export const MAX_PART_NUMBER = 10_000;

export interface UploadedPart {
  partNumber: number;
  path: string;
  size: number;
  /** Quoted hex MD5 of the part, as sent in the ETag header. */
  etag: string;
  digests: Digests;
  lastModified: string;
}

export interface MultipartUpload {
  readonly id: string;
  readonly bucket: string;
  readonly name: string;
  readonly meta: ObjectMeta;
  readonly initiated: string;
  readonly parts: Map<number, UploadedPart>;
}

/** A part as listed in `CompleteMultipartUpload`. */
export interface RequestedPart {
  partNumber: number;
  etag: string;
}

function unquote(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/s, '$1');
}

export class MultipartUploads {
  readonly #store: ObjectStore;
  readonly #uploads = new Map<string, MultipartUpload>();

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  create(bucket: string, name: string, meta: ObjectMeta): MultipartUpload {
    const id = randomBytes(24).toString('base64url');
    const upload: MultipartUpload = { id, bucket, name, meta, initiated: new Date().toISOString(), parts: new Map() };
    this.#uploads.set(id, upload);
    return upload;
  }

  /** The upload `id` for this bucket and object, or a 404 `NoSuchUpload`. */
  require(id: string, bucket: string, name: string): MultipartUpload {
    const upload = this.#uploads.get(id);
    if (!upload || upload.bucket !== bucket || upload.name !== name) throw noSuchUpload(id);
    return upload;
  }

  /**
   * Stores one part from `body`, replacing an earlier part with the same number. Checks the hashes the client
   * sent (400 `BadDigest`) before the part becomes visible.
   */
  async putPart(upload: MultipartUpload, partNumber: number, body: AsyncIterable<Buffer>, claimed: Partial<Digests>): Promise<UploadedPart> {
    const staged = await this.#store.stage(body, { expect: [claimed] });
    if (this.#uploads.get(upload.id) !== upload) {
      // Aborted or completed while this part was arriving.
      this.#store.discard(staged);
      throw noSuchUpload(upload.id);
    }
    const part: UploadedPart = {
      partNumber,
      path: staged.path,
      size: staged.size,
      etag: `"${Buffer.from(staged.digests.md5 ?? '', 'base64').toString('hex')}"`,
      digests: staged.digests,
      lastModified: new Date().toISOString(),
    };
    const previous = upload.parts.get(partNumber);
    upload.parts.set(partNumber, part);
    if (previous) this.#store.discard(previous.path);
    return part;
  }

  /** Drops the upload and its parts. */
  abort(upload: MultipartUpload): void {
    this.#uploads.delete(upload.id);
    for (const part of upload.parts.values()) this.#store.discard(part.path);
  }

  /** Validates the part list and commits the parts, as they are, as the object. The upload ends on success. */
  complete(upload: MultipartUpload, requested: RequestedPart[], preconditions: Preconditions): StoredObject {
    const chosen = validateParts(upload, requested);
    const partMd5s = createHash('md5');
    for (const part of chosen) partMd5s.update(Buffer.from(part.digests.md5 ?? '', 'base64'));
    const crc32c = crc32cToBase64(combineCrc32c(chosen.map((part) => ({ crc32c: crc32cFromBase64(part.digests.crc32c) ?? 0, length: part.size }))));
    const object = this.#store.assemble(
      { files: chosen.map((part) => ({ path: part.path, size: part.size })), digests: { crc32c }, how: 'move' },
      { bucket: upload.bucket, name: upload.name, meta: upload.meta, preconditions, xmlEtag: `"${partMd5s.digest('hex')}-${chosen.length}"` },
    );
    // The chosen parts now belong to the object; parts uploaded but not listed are dropped with the upload.
    for (const part of chosen) upload.parts.delete(part.partNumber);
    this.abort(upload);
    return object;
  }

  /** Uploads in progress in `bucket`, ordered by object name then initiation time (ListMultipartUploads). */
  list(bucket: string): MultipartUpload[] {
    return [...this.#uploads.values()]
      .filter((upload) => upload.bucket === bucket)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.initiated < b.initiated ? -1 : a.initiated > b.initiated ? 1 : 0));
  }

  /** Forgets every upload and removes its parts (emulator shutdown). */
  clear(): void {
    for (const upload of [...this.#uploads.values()]) this.abort(upload);
  }
}

function partError(code: string, message: string): GcsErrorReply {
  return new GcsErrorReply(400, 'invalid', code, message);
}

function validateParts(upload: MultipartUpload, requested: RequestedPart[]): UploadedPart[] {
  if (requested.length === 0) {
    throw partError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  }
  const chosen: UploadedPart[] = [];
  let previous = 0;
  for (const { partNumber, etag } of requested) {
    if (partNumber <= previous) throw partError('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
    previous = partNumber;
    const part = upload.parts.get(partNumber);
    if (!part || unquote(part.etag) !== unquote(etag)) {
      throw partError('InvalidPart', `One or more of the specified parts could not be found, or its entity tag did not match (part ${partNumber}).`);
    }
    chosen.push(part);
  }
  chosen.forEach((part, index) => {
    if (index < chosen.length - 1 && part.size < MIN_PART_SIZE) {
      throw partError('EntityTooSmall', `Your proposed upload is smaller than the minimum allowed object size: part ${part.partNumber} is ${part.size} bytes; every part but the last must be at least ${MIN_PART_SIZE} bytes.`);
    }
  });
  return chosen;
}


/**
 * Listings as async iterators: page by page (one page of at most 1,000 entries in memory at a time, the next
 * asked for only when the consumer wants it), so listing overlaps transferring and a prefix of 100,000 objects
 * never sits in memory. Cloud sources (`gs://b/prefix/`, `gs://b/logs/2026-*\/**.parquet`) expand into objects,
 * each with the relative name its destination is built from.
 */
import { InvalidArgumentError } from '../../errors.js';
import { parseObjectRef } from '../object-ref.js';
import type { ManyContext } from './context.js';
import { getObjectInfo, listPage, type CallOptions, type ListPage, type ObjectInfo } from '../object-api.js';
import { hasWildcard, literalPrefix, wildcardRegExp } from './wildcard.js';

/** `gs://bucket`, `gs://bucket/` or `gs://bucket/path`: a bucket and a (possibly empty) name or prefix. */
export interface CloudLocation {
  bucket: string;
  path: string;
}

export function parseCloudUrl(url: unknown, option = 'source'): CloudLocation {
  if (typeof url !== 'string') {
    throw new InvalidArgumentError(`Expected \`${option}\` to be a gs://bucket[/prefix] string, got \`${String(url)}\` (${typeof url})`);
  }
  const match = /^gs:\/\/([^/]+)(?:\/(.*))?$/s.exec(url);
  if (!match) throw new InvalidArgumentError(`Expected \`${option}\` to look like gs://bucket[/prefix], got \`${url}\``);
  const bucket = match[1] as string;
  const path = match[2] ?? '';
  // Validates the bucket name with the same rules as object references.
  parseObjectRef({ bucket, name: path === '' ? 'x' : path }, option);
  return { bucket, path };
}

export interface ListOptions extends CallOptions {
  /** Only objects whose names start with this. @default '' (the whole bucket) */
  prefix?: string;
  /**
   * Roll names up at this delimiter: objects "inside" a prefix come back once, as an entry of `prefixes`
   * (`ls` without `-r` uses `'/'`). @default undefined (every object, flat)
   */
  delimiter?: string;
  /** Objects per page, 1–1000. @default 1000 */
  pageSize?: number;
  /**
   * Only names matching this glob, filtered by the service (GCS's `matchGlob`: `*` within a segment, `**`
   * across segments, `?`, `[…]`, `{a,b}`). @default undefined
   */
  matchGlob?: string;
}

/** Pages of a listing, asked for one at a time. */
export async function* listPages(context: ManyContext, bucket: string, options: ListOptions = {}): AsyncGenerator<ListPage> {
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new InvalidArgumentError(`Expected \`pageSize\` to be an integer from 1 to 1000, got \`${String(options.pageSize)}\``);
  }
  let pageToken: string | undefined;
  do {
    const page = await listPage(
      context,
      bucket,
      {
        ...(options.prefix ? { prefix: options.prefix } : {}),
        ...(options.delimiter ? { delimiter: options.delimiter } : {}),
        ...(options.matchGlob ? { matchGlob: options.matchGlob } : {}),
        ...(pageToken ? { pageToken } : {}),
        maxResults: pageSize,
      },
      options,
    );
    yield page;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
}

/** Every object under `prefix`, in name order, a page at a time. */
export async function* listObjects(context: ManyContext, bucket: string, options: ListOptions = {}): AsyncGenerator<ObjectInfo> {
  for await (const page of listPages(context, bucket, options)) yield* page.objects;
}

/** An object a cloud source matched, and its name relative to the source's base (destination naming). */
export interface CloudMatch {
  object: ObjectInfo;
  relative: string;
  /**
   * True for an object named by the caller and not looked up yet (its size is unknown and shown as 0): the
   * transfer itself finds out whether it exists, so a missing one fails alone.
   */
  unresolved?: boolean;
}

export interface ExpandOptions extends CallOptions {
  /** Take prefixes (and `gs://bucket`) as a whole tree. A plain name without it is one object. */
  recursive: boolean;
  /**
   * `'prefix'`: names relative to the prefix itself (`gs://b/data/` → `x/y.bin`), as rsync and the library's
   * `downloadMany` do. `'parent'`: relative to the prefix's parent, keeping its last segment (`data/x/y.bin`),
   * as `gcloud storage cp -r` does.
   */
  base: 'prefix' | 'parent';
}

/**
 * The objects a cloud source names:
 * - with wildcards, the objects matching the pattern, relative to the directory that holds the first wildcard;
 * - with `recursive`, the objects under the prefix (and an object named exactly so);
 * - otherwise the one object (NotFound when it does not exist).
 * Placeholder objects whose names end in `/` (console "folders") are left out.
 */
export async function* expandCloudSource(context: ManyContext, location: CloudLocation, options: ExpandOptions): AsyncGenerator<CloudMatch> {
  const { bucket, path } = location;
  if (hasWildcard(path)) {
    const literal = literalPrefix(path);
    const baseDir = literal.slice(0, literal.lastIndexOf('/') + 1);
    const pattern = wildcardRegExp(path);
    const recursiveSuffix = options.recursive && !path.includes('**');
    for await (const object of listObjects(context, bucket, { ...options, prefix: literal })) {
      if (object.name.endsWith('/')) continue;
      const matched = pattern.test(object.name) || (recursiveSuffix && matchesDirectory(pattern, object.name, literal.length));
      if (matched) yield { object, relative: object.name.slice(baseDir.length) };
    }
    return;
  }
  if (!options.recursive && path !== '' && !path.endsWith('/')) {
    const object = await getObjectInfo(context, { bucket, name: path }, options);
    yield { object, relative: path.slice(path.lastIndexOf('/') + 1) };
    return;
  }
  if (!options.recursive) {
    throw new InvalidArgumentError(`gs://${bucket}/${path} is a prefix: copy it with the recursive option (-r)`);
  }
  const trimmed = path.replace(/\/+$/, '');
  const parent = options.base === 'parent' ? trimmed.slice(0, trimmed.lastIndexOf('/') + 1) : trimmed === '' ? '' : `${trimmed}/`;
  for await (const object of listObjects(context, bucket, { ...options, prefix: trimmed })) {
    if (object.name.endsWith('/')) continue;
    if (trimmed !== '' && object.name !== trimmed && !object.name.startsWith(`${trimmed}/`)) continue;
    const relative = object.name === trimmed ? trimmed.slice(trimmed.lastIndexOf('/') + 1) : object.name.slice(parent.length);
    yield { object, relative };
  }
}

/** Whether some directory prefix of `name` (ending before a `/`) matches `pattern` (recursive `dir/*`). */
function matchesDirectory(pattern: RegExp, name: string, from: number): boolean {
  for (let slash = name.indexOf('/', from); slash >= 0; slash = name.indexOf('/', slash + 1)) {
    if (pattern.test(name.slice(0, slash))) return true;
  }
  return false;
}

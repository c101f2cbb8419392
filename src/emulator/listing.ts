/**
 * Object listing, shared by the JSON API (`objects.list`) and the XML API (`GET /{bucket}`): names in
 * code-unit order, filtered by prefix, name range and glob, rolled up at a delimiter into prefixes, and paged.
 * A page resumes after the last entry it returned, an object name or a rolled-up prefix; resuming after a
 * prefix skips every object under it, so a prefix never appears on two pages.
 */
import { badRequest } from './errors.js';
import type { StoredObject } from './store.js';

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  /** Resume after this entry (exclusive): the last object name or prefix of the previous page. */
  after?: string;
  /** Only names ≥ this (JSON `startOffset`). */
  startOffset?: string;
  /** Only names < this (JSON `endOffset`). */
  endOffset?: string;
  /** GCS `matchGlob` syntax: `*`, `**`, `?`, `[…]`, `{a,b}`. */
  matchGlob?: string;
  /** Also list objects whose name ends in the delimiter as items, not only as prefixes. */
  includeTrailingDelimiter?: boolean;
  /** Items plus prefixes per page. */
  max: number;
}

export interface ListPage {
  items: StoredObject[];
  prefixes: string[];
  /** Where the next page resumes (`after`), when there is one. */
  next?: string;
}

export function listPage(sorted: Iterable<StoredObject>, options: ListOptions): ListPage {
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter ?? '';
  const glob = options.matchGlob === undefined || options.matchGlob === '' ? undefined : globToRegExp(options.matchGlob);
  const items: StoredObject[] = [];
  const prefixes: string[] = [];
  let last: string | undefined;
  let lastPrefix: string | undefined;
  for (const object of sorted) {
    const name = object.name;
    if (!name.startsWith(prefix)) continue;
    if (options.startOffset !== undefined && name < options.startOffset) continue;
    if (options.endOffset !== undefined && options.endOffset !== '' && name >= options.endOffset) continue;
    if (glob && !glob.test(name)) continue;
    const cut = delimiter === '' ? -1 : name.indexOf(delimiter, prefix.length);
    const rolledUp = cut >= 0 ? name.slice(0, cut + delimiter.length) : undefined;
    const after = options.after;
    if (after !== undefined && (name <= after || rolledUp === after)) continue;
    if (rolledUp !== undefined && rolledUp === lastPrefix) {
      // Only the object named exactly like its prefix is listed as an item too (includeTrailingDelimiter).
      if (options.includeTrailingDelimiter && name === rolledUp) items.push(object);
      continue;
    }
    if (items.length + prefixes.length >= options.max) return { items, prefixes, ...(last === undefined ? {} : { next: last }) };
    if (rolledUp !== undefined) {
      prefixes.push(rolledUp);
      lastPrefix = rolledUp;
      last = rolledUp;
      if (options.includeTrailingDelimiter && name === rolledUp) items.push(object);
    } else {
      items.push(object);
      last = name;
    }
  }
  return { items, prefixes };
}

/**
 * GCS's `matchGlob` as a regular expression over the whole name: `*` any run without `/`, `**` any run,
 * `**​/` zero or more whole directories, `?` one character but `/`, `[…]` a class (`[!…]` negated), `{a,b}`
 * alternatives. A 400 for an unbalanced pattern.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i += 1;
        if (glob[i + 1] === '/') {
          i += 1;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) throw badRequest(`Invalid matchGlob "${glob}": unterminated "[".`);
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '{') {
      braces += 1;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces -= 1;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^$()|\\{}\]\[]/g, '\\$&');
  }
  if (braces !== 0) throw badRequest(`Invalid matchGlob "${glob}": unbalanced "{".`);
  try {
    return new RegExp(`^${out}$`, 's');
  } catch {
    throw badRequest(`Invalid matchGlob "${glob}".`);
  }
}

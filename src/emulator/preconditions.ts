/**
 * Generation and metageneration preconditions, from JSON query parameters (`ifGenerationMatch`, …) or XML
 * headers (`x-goog-if-generation-match`, …), checked the way GCS checks them: a read of a missing object is a
 * 404 whatever the precondition, a write with `ifGenerationMatch=0` requires that the object not exist.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest, notModified, preconditionFailed } from './errors.js';
import { jsonEtag } from './object-resource.js';

export interface Preconditions {
  ifGenerationMatch?: number;
  ifGenerationNotMatch?: number;
  ifMetagenerationMatch?: number;
  ifMetagenerationNotMatch?: number;
  /** `If-Match`: the object's ETag must be one of these (`*`: it must exist). */
  ifEtagMatch?: string[];
  /** `If-None-Match`: the object's ETag must be none of these (`*`: it must not exist). */
  ifEtagNoneMatch?: string[];
  /** Which API's ETag the ETag conditions compare with. @default 'json' */
  etagApi?: 'json' | 'xml';
}

/** The part of an object the checks look at. */
export interface Versioned {
  generation: number;
  metageneration: number;
  /** The XML API's ETag (quoted); the JSON one is derived from the generations. */
  xmlEtag?: string;
}

/** The object's ETag as the API of `p` shows it, without quotes. */
function etagOf(current: Versioned, p: Preconditions): string {
  return p.etagApi === 'xml' ? bareEtag(current.xmlEtag ?? '') : jsonEtag(current.generation, current.metageneration);
}

const JSON_NAMES = ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch'] as const;

const XML_HEADERS: Record<string, (typeof JSON_NAMES)[number]> = {
  'x-goog-if-generation-match': 'ifGenerationMatch',
  'x-goog-if-metageneration-match': 'ifMetagenerationMatch',
};

function parseGeneration(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw badRequest(`Invalid argument: ${name} must be a non-negative integer, got "${value}".`);
  }
  return n;
}

/** JSON API preconditions: the query parameters, plus the `If-Match` / `If-None-Match` headers when given. */
export function preconditionsFromQuery(query: URLSearchParams, headers?: IncomingHttpHeaders): Preconditions {
  const out: Preconditions = headers ? { ...etagPreconditions(headers), etagApi: 'json' } : {};
  for (const name of JSON_NAMES) {
    const value = query.get(name);
    if (value !== null) out[name] = parseGeneration(name, value);
  }
  return out;
}

export function preconditionsFromHeaders(headers: IncomingHttpHeaders): Preconditions {
  const out: Preconditions = { ...etagPreconditions(headers), etagApi: 'xml' };
  for (const [header, name] of Object.entries(XML_HEADERS)) {
    const value = headers[header];
    if (typeof value === 'string') out[name] = parseGeneration(header, value);
  }
  return out;
}

/** `If-Match` / `If-None-Match` as lists of bare ETags (quotes and weak prefixes removed). */
function etagPreconditions(headers: IncomingHttpHeaders): Preconditions {
  const out: Preconditions = {};
  const list = (value: string | string[] | undefined): string[] | undefined =>
    value === undefined ? undefined : (Array.isArray(value) ? value.join(',') : value).split(',').map(bareEtag).filter((e) => e !== '');
  const match = list(headers['if-match']);
  const noneMatch = list(headers['if-none-match']);
  if (match) out.ifEtagMatch = match;
  if (noneMatch) out.ifEtagNoneMatch = noneMatch;
  return out;
}

/** An ETag without `W/` and quotes, so `"abc"`, `W/"abc"` and `abc` compare equal. */
export function bareEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"(.*)"$/s, '$1');
}

/**
 * Checks preconditions for a read of an object that exists (a missing object is the caller's 404). As GCS
 * answers: a failed match condition is a 412, a failed not-match condition (`ifGenerationNotMatch`,
 * `ifMetagenerationNotMatch`, `If-None-Match`) a 304 Not Modified.
 */
export function checkRead(current: Versioned, p: Preconditions): void {
  if (!matchHolds(current, p)) throw preconditionFailed();
  if (!notMatchHolds(current, p)) throw notModified({ etag: p.etagApi === 'xml' ? (current.xmlEtag ?? '') : etagOf(current, p) });
}

/** Checks preconditions for a write that would replace `current` (undefined when the object does not exist). */
export function checkWrite(current: Versioned | undefined, p: Preconditions): void {
  if (current === undefined) {
    // Only "must not exist" can hold for a missing object; every other comparison needs a live generation.
    const needsObject =
      (p.ifGenerationMatch !== undefined && p.ifGenerationMatch !== 0) ||
      p.ifMetagenerationMatch !== undefined ||
      p.ifEtagMatch !== undefined;
    if (needsObject) throw preconditionFailed();
    return;
  }
  if (!holds(current, p)) throw preconditionFailed();
}

function holds(current: Versioned, p: Preconditions): boolean {
  return matchHolds(current, p) && notMatchHolds(current, p);
}

function matchHolds(current: Versioned, p: Preconditions): boolean {
  if (p.ifGenerationMatch !== undefined && p.ifGenerationMatch !== current.generation) return false;
  if (p.ifMetagenerationMatch !== undefined && p.ifMetagenerationMatch !== current.metageneration) return false;
  if (p.ifEtagMatch !== undefined && !p.ifEtagMatch.some((e) => e === '*' || e === etagOf(current, p))) return false;
  return true;
}

function notMatchHolds(current: Versioned, p: Preconditions): boolean {
  if (p.ifGenerationNotMatch !== undefined && p.ifGenerationNotMatch === current.generation) return false;
  if (p.ifMetagenerationNotMatch !== undefined && p.ifMetagenerationNotMatch === current.metageneration) return false;
  if (p.ifEtagNoneMatch !== undefined && p.ifEtagNoneMatch.some((e) => e === '*' || e === etagOf(current, p))) return false;
  return true;
}

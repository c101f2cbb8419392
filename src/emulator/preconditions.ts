/**
 * Generation and metageneration preconditions, from JSON query parameters (`ifGenerationMatch`, …) or XML
 * headers (`x-goog-if-generation-match`, …), checked the way GCS checks them: a read of a missing object is a
 * 404 whatever the precondition, a write with `ifGenerationMatch=0` requires that the object not exist.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest, preconditionFailed } from './errors.js';

export interface Preconditions {
  ifGenerationMatch?: number;
  ifGenerationNotMatch?: number;
  ifMetagenerationMatch?: number;
  ifMetagenerationNotMatch?: number;
}

/** The part of an object the checks look at. */
export interface Versioned {
  generation: number;
  metageneration: number;
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

export function preconditionsFromQuery(query: URLSearchParams): Preconditions {
  const out: Preconditions = {};
  for (const name of JSON_NAMES) {
    const value = query.get(name);
    if (value !== null) out[name] = parseGeneration(name, value);
  }
  return out;
}

export function preconditionsFromHeaders(headers: IncomingHttpHeaders): Preconditions {
  const out: Preconditions = {};
  for (const [header, name] of Object.entries(XML_HEADERS)) {
    const value = headers[header];
    if (typeof value === 'string') out[name] = parseGeneration(header, value);
  }
  return out;
}

/** Checks preconditions for a read of an object that exists (a missing object is the caller's 404). */
export function checkRead(current: Versioned, p: Preconditions): void {
  if (!holds(current, p)) throw preconditionFailed();
}

/** Checks preconditions for a write that would replace `current` (undefined when the object does not exist). */
export function checkWrite(current: Versioned | undefined, p: Preconditions): void {
  if (current === undefined) {
    // Only "must not exist" can hold for a missing object; every other comparison needs a live generation.
    const needsObject =
      (p.ifGenerationMatch !== undefined && p.ifGenerationMatch !== 0) ||
      p.ifMetagenerationMatch !== undefined;
    if (needsObject) throw preconditionFailed();
    return;
  }
  if (!holds(current, p)) throw preconditionFailed();
}

function holds(current: Versioned, p: Preconditions): boolean {
  if (p.ifGenerationMatch !== undefined && p.ifGenerationMatch !== current.generation) return false;
  if (p.ifGenerationNotMatch !== undefined && p.ifGenerationNotMatch === current.generation) return false;
  if (p.ifMetagenerationMatch !== undefined && p.ifMetagenerationMatch !== current.metageneration) return false;
  if (p.ifMetagenerationNotMatch !== undefined && p.ifMetagenerationNotMatch === current.metageneration) return false;
  return true;
}

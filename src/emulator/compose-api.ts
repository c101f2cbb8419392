/**
 * objects.compose (`POST /storage/v1/b/{bucket}/o/{destination}/compose`): up to 32 source objects of the
 * bucket, concatenated into the destination without copying a byte (their files are hard-linked as the
 * destination's segments). The CRC32C is combined from the sources' CRC32Cs; a composite object has no MD5
 * and reports `componentCount` (the sum of its sources' counts, at most 1024), as on GCS.
 */
import { combineCrc32c } from '../checksum/combine.js';
import { crc32cFromBase64, crc32cToBase64 } from '../checksum/crc32c.js';
import { badRequest, noSuchObject } from './errors.js';
import type { Exchange } from './exchange.js';
import { sendJson, SMALL_BODY_LIMIT, target } from './json-api.js';
import { applyMetaPatch, objectResource, parseJsonBody } from './object-resource.js';
import { checkWrite, preconditionsFromQuery } from './preconditions.js';
import type { EmulatorState } from './state.js';
import type { StoredObject } from './store.js';

export const MAX_COMPOSE_SOURCES = 32;
export const MAX_COMPONENT_COUNT = 1024;

interface SourceSpec {
  name: string;
  generation?: number;
  ifGenerationMatch?: number;
}

function generationField(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw badRequest(`Invalid value for ${what}: "${text}".`);
  return Number(text);
}

function parseSources(body: Record<string, unknown>): SourceSpec[] {
  const list = body.sourceObjects;
  if (!Array.isArray(list) || list.length === 0) throw badRequest('Required field "sourceObjects" is missing or empty.', 'InvalidArgument', 'required');
  if (list.length > MAX_COMPOSE_SOURCES) {
    throw badRequest(`The number of source components provided (${list.length}) exceeds the maximum (${MAX_COMPOSE_SOURCES}).`);
  }
  return list.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw badRequest(`sourceObjects[${i}] must be an object.`);
    const { name, generation, objectPreconditions } = item as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') throw badRequest(`sourceObjects[${i}].name is required.`, 'InvalidArgument', 'required');
    const spec: SourceSpec = { name };
    const gen = generationField(generation, `sourceObjects[${i}].generation`);
    if (gen !== undefined) spec.generation = gen;
    if (objectPreconditions !== undefined && objectPreconditions !== null) {
      const match = generationField((objectPreconditions as Record<string, unknown>).ifGenerationMatch, `sourceObjects[${i}].objectPreconditions.ifGenerationMatch`);
      if (match !== undefined) spec.ifGenerationMatch = match;
    }
    return spec;
  });
}

export async function composeObject(x: Exchange, { store }: EmulatorState): Promise<void> {
  const { bucket, object: name } = target(x);
  const body = parseJsonBody((await x.bodyBuffer(SMALL_BODY_LIMIT)).toString('utf8'));
  const specs = parseSources(body);
  const destination = body.destination === undefined || body.destination === null ? {} : body.destination;
  if (typeof destination !== 'object' || Array.isArray(destination)) throw badRequest('Invalid value for "destination": expected an object.');
  const meta = applyMetaPatch({ contentType: 'application/octet-stream' }, destination as Record<string, unknown>);

  const sources: StoredObject[] = specs.map((spec) => {
    const source = store.get(bucket, spec.name);
    if (!source || (spec.generation !== undefined && spec.generation !== source.generation)) throw noSuchObject(bucket, spec.name);
    if (spec.ifGenerationMatch !== undefined) checkWrite(source, { ifGenerationMatch: spec.ifGenerationMatch });
    return source;
  });
  const componentCount = sources.reduce((sum, source) => sum + (source.componentCount ?? 1), 0);
  if (componentCount > MAX_COMPONENT_COUNT) {
    throw badRequest(`The composite object would have ${componentCount} components; the maximum is ${MAX_COMPONENT_COUNT}.`);
  }
  const crc32c = crc32cToBase64(combineCrc32c(sources.map((source) => ({ crc32c: crc32cFromBase64(source.crc32c) ?? 0, length: source.size }))));
  const composed = store.assemble(
    { files: sources.flatMap((source) => store.dataFiles(source)), digests: { crc32c }, how: 'link' },
    {
      bucket,
      name,
      meta,
      preconditions: preconditionsFromQuery(x.query),
      xmlEtag: `"${Buffer.from(crc32c, 'base64').toString('hex')}-${componentCount}"`,
      componentCount,
    },
  );
  await sendJson(x, 200, objectResource(composed, x.baseUrl));
}

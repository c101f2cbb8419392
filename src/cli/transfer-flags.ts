/**
 * Flags of the commands that move many objects (cp with several sources or -r, rsync): per-object transfer
 * settings, the upload fields, and how many objects run at once; translated into library options here, once.
 */
import { InvalidArgumentError } from '../errors.js';
import { MAX_CONCURRENCY, type TransferManagerOptions } from '../transfer/options.js';
import { booleanFlag, parseInteger, stringFlag, type FlagSpec, type ParsedCommandLine } from './args.js';
import { parseDuration, parseSize } from './sizes.js';

export const MANY_FLAGS: Record<string, FlagSpec> = {
  objects: { type: 'string', value: 'N', description: 'Objects in flight at once (1-1024)', default: '64' },
  'continue-on-error': { type: 'boolean', short: 'c', description: 'Keep going after an object fails (the default; failures are listed, exit 3)' },
  'fail-fast': { type: 'boolean', description: 'Stop at the first object that fails' },
  metadata: { type: 'string', value: 'K=V[,K=V…]', description: 'Custom metadata of uploaded objects' },
  'cache-control': { type: 'string', value: 'VALUE', description: 'Cache-Control of uploaded objects' },
  'content-disposition': { type: 'string', value: 'VALUE', description: 'Content-Disposition of uploaded objects' },
  'content-encoding': { type: 'string', value: 'VALUE', description: 'Content-Encoding of uploaded objects (bytes sent as they are)' },
};

/** Library options (per-object settings, upload fields, job settings) from the flags. */
export function manyOptionsFrom(parsed: ParsedCommandLine): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const objects = stringFlag(parsed, 'objects');
  if (objects !== undefined) options.concurrency = parseInteger(objects, '--objects', { min: 1, max: 1024 });
  if (booleanFlag(parsed, 'fail-fast')) {
    if (booleanFlag(parsed, 'continue-on-error')) throw new InvalidArgumentError('--fail-fast and --continue-on-error contradict each other');
    options.continueOnError = false;
  }
  const chunk = stringFlag(parsed, 'chunk-size');
  if (chunk !== undefined) {
    options.chunkSize = parseSize(chunk, '--chunk-size');
    if ((options.chunkSize as number) < 1) throw new InvalidArgumentError(`--chunk-size: expected at least 1 byte, got '${chunk}'`);
  }
  if (booleanFlag(parsed, 'no-checksum')) options.checksum = false;
  if (booleanFlag(parsed, 'require-checksum')) {
    if (options.checksum === false) throw new InvalidArgumentError('--no-checksum and --require-checksum contradict each other');
    options.requireValidation = true;
  }
  const readTimeout = stringFlag(parsed, 'read-timeout');
  if (readTimeout !== undefined) options.timeout = { readMs: parseDuration(readTimeout, '--read-timeout') };
  const contentType = stringFlag(parsed, 'content-type');
  if (contentType !== undefined) options.contentType = contentType;
  const metadata = stringFlag(parsed, 'metadata');
  if (metadata !== undefined) options.metadata = parseMetadata(metadata);
  for (const [flag, key] of [['cache-control', 'cacheControl'], ['content-disposition', 'contentDisposition'], ['content-encoding', 'contentEncoding']] as const) {
    const value = stringFlag(parsed, flag);
    if (value !== undefined) options[key] = value;
  }
  return options;
}

/** Per-object requests in flight (`-j`) as a manager option. */
export function perObjectConcurrency(parsed: ParsedCommandLine): TransferManagerOptions {
  const value = stringFlag(parsed, 'concurrency');
  return value === undefined ? {} : { concurrency: parseInteger(value, '--concurrency', { min: 1, max: MAX_CONCURRENCY }) };
}

/** `k=v,k2=v2` (a value may not contain a comma; give the flag the pairs in one argument). */
export function parseMetadata(text: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--metadata: expected KEY=VALUE pairs separated by commas, got '${pair}'`);
    metadata[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return metadata;
}

/**
 * The flags every object command shares (where to connect, how to authenticate, how hard to push, what to
 * print), and the TransferManager they configure, so ls, stat, rm, rsync and many-object cp read them alike.
 */
import { InvalidArgumentError } from '../errors.js';
import type { TransferManagerOptions } from '../transfer/options.js';
import { RetryStrategy } from '../transport/retry.js';
import { booleanFlag, parseInteger, stringFlag, type FlagSpec, type ParsedCommandLine } from './args.js';
import { authFrom, CP_SPEC } from './cp-options.js';
import type { CliIo } from './io.js';
import { parseDuration } from './sizes.js';

/** The cp flags of the same name, so every command describes them alike. */
function cpFlag(name: string): FlagSpec {
  const flag = CP_SPEC.flags[name];
  if (flag === undefined) throw new Error(`cp has no --${name} flag`);
  return flag;
}

export const CONNECTION_FLAGS: Record<string, FlagSpec> = {
  endpoint: cpFlag('endpoint'),
  'no-auth': cpFlag('no-auth'),
  'token-file': cpFlag('token-file'),
  'token-env': cpFlag('token-env'),
  'max-connections': { type: 'string', value: 'N', description: 'Requests in flight across the whole job (1-1024)', default: '64' },
  'max-retry-time': {
    type: 'string',
    value: 'DURATION',
    description: 'Retry budget of each object (all its requests together)',
    default: '10m',
  },
};

export const OUTPUT_FLAGS: Record<string, FlagSpec> = {
  quiet: { type: 'boolean', short: 'q', description: 'Print nothing but errors' },
  json: { type: 'boolean', description: 'Print results as JSON lines on stdout' },
};

/** Manager options from the shared flags. */
export async function managerOptionsFrom(parsed: ParsedCommandLine, io: CliIo): Promise<TransferManagerOptions> {
  const options: TransferManagerOptions = {};
  const endpoint = stringFlag(parsed, 'endpoint');
  if (endpoint !== undefined) options.endpoint = endpoint;
  const auth = await authFrom(parsed.values, io);
  if (auth !== undefined) options.auth = auth;
  const connections = stringFlag(parsed, 'max-connections');
  if (connections !== undefined) options.maxConnections = parseInteger(connections, '--max-connections', { min: 1, max: 1024 });
  const retry = stringFlag(parsed, 'max-retry-time');
  if (retry !== undefined) options.retry = new RetryStrategy({ maxCumulativeRetryMs: parseDuration(retry, '--max-retry-time') });
  return options;
}

/** `--quiet` and `--json`. */
export function outputMode(parsed: ParsedCommandLine): { quiet: boolean; json: boolean } {
  return { quiet: booleanFlag(parsed, 'quiet'), json: booleanFlag(parsed, 'json') };
}

/** A gs:// argument, checked for form. */
export function requireCloudUrl(value: string, what: string): string {
  if (!/^gs:\/\/[^/]+/.test(value)) throw new InvalidArgumentError(`${what}: expected gs://BUCKET[/NAME], got '${value}'`);
  return value;
}

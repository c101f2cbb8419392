/**
 * `gcs-transfer rm [-r] gs://BUCKET/OBJECT|PREFIX|WILDCARD…`: deletes objects. A prefix needs `-r`; wildcards
 * delete what they match; `--dry-run` lists what would go. Listed objects are deleted at the generation that was
 * listed, so one rewritten meanwhile survives. Failures are listed and make the exit code 3.
 */
import { InvalidArgumentError } from '../errors.js';
import { booleanFlag, type CommandSpec } from './args.js';
import { CONNECTION_FLAGS, OUTPUT_FLAGS, outputMode, requireCloudUrl } from './cloud-flags.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import type { CliIo } from './io.js';
import { addSummaries, emptySummary, reportMany } from './many-report.js';
import { runObjectCommand } from './object-command.js';

export const RM_SPEC: CommandSpec = {
  command: 'gcs-transfer rm',
  usage: ['gcs-transfer rm [options] gs://BUCKET/OBJECT...', 'gcs-transfer rm -r [options] gs://BUCKET/PREFIX...'],
  summary: 'Deletes objects: named ones, everything a wildcard matches, or (with -r) everything under a prefix.',
  flags: {
    recursive: { type: 'boolean', short: 'r', description: 'Delete everything under each prefix' },
    'dry-run': { type: 'boolean', description: 'List what would be deleted; delete nothing' },
    objects: { type: 'string', value: 'N', description: 'Deletes in flight at once (1-1024)', default: '64' },
    ...CONNECTION_FLAGS,
    ...OUTPUT_FLAGS,
  },
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER },
  epilogue: [
    'Examples:',
    '  gcs-transfer rm gs://my-bucket/tmp/a.bin gs://my-bucket/tmp/b.bin',
    "  gcs-transfer rm 'gs://my-bucket/logs/2025-*'",
    '  gcs-transfer rm -r --dry-run gs://my-bucket/scratch/',
    '',
    EXIT_CODES_HELP,
  ].join('\n'),
};

export function runRm(argv: readonly string[], io: CliIo): Promise<number> {
  return runObjectCommand(RM_SPEC, argv, io, async (tm, parsed) => {
    const recursive = booleanFlag(parsed, 'recursive');
    const dryRun = booleanFlag(parsed, 'dry-run');
    const output = outputMode(parsed);
    const objects = parsed.values.objects;
    const concurrency = typeof objects === 'string' ? Number(objects) : undefined;
    if (concurrency !== undefined && !(Number.isSafeInteger(concurrency) && concurrency >= 1 && concurrency <= 1024)) {
      throw new InvalidArgumentError(`--objects: expected a whole number from 1 to 1024, got '${String(objects)}'`);
    }
    const explicit: string[] = [];
    const trees: string[] = [];
    for (const url of parsed.positionals) {
      requireCloudUrl(url, 'rm');
      const path = url.replace(/^gs:\/\/[^/]+\/?/, '');
      if (/[*?[]/.test(path)) trees.push(url);
      else if (recursive) trees.push(url);
      else if (path === '' || path.endsWith('/')) throw new InvalidArgumentError(`rm: '${url}' is a prefix; delete it with -r`);
      else explicit.push(url);
    }
    const options = {
      dryRun,
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(io.signal ? { signal: io.signal } : {}),
      onObject: (outcome: { status: string; destination: string; reason?: string }) => {
        if (output.quiet || output.json) return;
        if (outcome.status === 'done') io.stdout.write(`Removed ${outcome.destination}\n`);
        else if (outcome.reason === 'dry-run') io.stdout.write(`Would remove ${outcome.destination}\n`);
      },
    };
    let summary = emptySummary();
    if (explicit.length > 0) summary = addSummaries(summary, await tm.deleteMany(explicit, options));
    for (const url of trees) summary = addSummaries(summary, await tm.deleteMany(url, options));
    return reportMany(io, 'gcs-transfer rm', dryRun ? 'Would delete (dry run)' : 'Deleted', summary, output);
  });
}

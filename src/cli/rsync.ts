/**
 * `gcs-transfer rsync -r [--checksum] [--delete] [--dry-run] SRC DST`: one-way sync between a local directory
 * and a gs:// prefix (or two prefixes). Identical objects are skipped — by size and time (rsync's quick check)
 * or, with `--checksum`, by size and CRC32C — so re-running an interrupted sync sends only the rest.
 */
import { InvalidArgumentError } from '../errors.js';
import { booleanFlag, type CommandSpec } from './args.js';
import { CONNECTION_FLAGS, OUTPUT_FLAGS, outputMode } from './cloud-flags.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { ManyProgressRenderer } from './many-progress.js';
import { failureLine, reportMany } from './many-report.js';
import { runObjectCommand } from './object-command.js';
import { CP_SPEC } from './cp-options.js';
import { MANY_FLAGS, manyOptionsFrom, perObjectConcurrency } from './transfer-flags.js';

export const RSYNC_SPEC: CommandSpec = {
  command: 'gcs-transfer rsync',
  usage: ['gcs-transfer rsync -r [options] DIR gs://BUCKET/PREFIX', 'gcs-transfer rsync -r [options] gs://BUCKET/PREFIX DIR|gs://BUCKET/PREFIX'],
  summary: [
    'Makes DST hold what SRC holds, one way, through the whole tree. Objects already identical are skipped: same',
    'size and DST not older than SRC, or with --checksum same size and CRC32C. --delete then removes what SRC lacks',
    '(never after a failed transfer). Re-running an interrupted rsync transfers only what is still missing.',
  ].join('\n'),
  flags: {
    recursive: { type: 'boolean', short: 'r', description: 'Sync the whole tree under SRC and DST (required: see below)' },
    checksum: { type: 'boolean', description: 'Compare size and CRC32C (reads local files) instead of size and time' },
    delete: { type: 'boolean', description: 'Delete what DST has and SRC lacks' },
    'dry-run': { type: 'boolean', short: 'n', description: 'Report what would be copied or deleted; change nothing' },
    'chunk-size': CP_SPEC.flags['chunk-size'] as NonNullable<(typeof CP_SPEC.flags)['chunk-size']>,
    concurrency: CP_SPEC.flags.concurrency as NonNullable<(typeof CP_SPEC.flags)['concurrency']>,
    'no-checksum': CP_SPEC.flags['no-checksum'] as NonNullable<(typeof CP_SPEC.flags)['no-checksum']>,
    'content-type': { type: 'string', value: 'TYPE', description: 'Content-Type of uploaded objects', default: 'from the file extension' },
    ...MANY_FLAGS,
    ...CONNECTION_FLAGS,
    ...OUTPUT_FLAGS,
  },
  positionals: { min: 2, max: 2 },
  epilogue: [
    '-r is required: gcs-transfer always syncs whole trees, while `gcloud storage rsync` without -r syncs only the',
    'top level (and its --delete-unmatched-destination-objects deletes only there), so running without -r is',
    'refused rather than silently doing more than that command line would elsewhere.',
    '',
    'Examples:',
    '  gcs-transfer rsync -r ./site gs://my-bucket/site',
    '  gcs-transfer rsync -r --checksum --delete gs://my-bucket/models/v3 ./models',
    '  gcs-transfer rsync -r --delete --dry-run ./data gs://my-bucket/data',
    '',
    EXIT_CODES_HELP,
  ].join('\n'),
};

export function runRsync(argv: readonly string[], io: CliIo): Promise<number> {
  return runObjectCommand(
    RSYNC_SPEC,
    argv,
    io,
    async (tm, parsed) => {
      if (!booleanFlag(parsed, 'recursive')) {
        throw new InvalidArgumentError(
          'rsync needs -r: gcs-transfer syncs the whole tree under SRC and DST (a top-level-only sync, what `gcloud storage rsync` does without -r, is not supported)',
        );
      }
      const output = outputMode(parsed);
      const dryRun = booleanFlag(parsed, 'dry-run');
      const progress = new ManyProgressRenderer(io.stderr, output.quiet || output.json ? 'none' : undefined);
      const [source = '', destination = ''] = parsed.positionals;
      const result = await tm.sync(source, destination, {
        ...manyOptionsFrom(parsed),
        identicalBy: booleanFlag(parsed, 'checksum') ? 'checksum' : 'time',
        deleteExtra: booleanFlag(parsed, 'delete'),
        dryRun,
        onProgress: progress.update,
        onObject: (outcome) => {
          if (outcome.status === 'failed') progress.note(`gcs-transfer rsync: ${failureLine(outcome)}`);
          else if (outcome.reason === 'dry-run' && !output.json && !output.quiet) {
            progress.note(`Would ${outcome.operation === 'delete' ? 'delete' : 'copy'} ${outcome.operation === 'delete' ? outcome.destination : `${outcome.source} → ${outcome.destination}`}`);
          }
        },
        ...(io.signal ? { signal: io.signal } : {}),
      });
      const code = reportMany(io, 'gcs-transfer rsync', dryRun ? 'Would copy (dry run)' : 'Copied', { ...result.transfer, failures: [...result.transfer.failures, ...(result.deleted?.failures ?? [])] }, output, progress);
      if (result.deleted) {
        const deleted = result.deleted;
        if (!output.quiet && !output.json) {
          io.stderr.write(`${dryRun ? 'Would delete' : 'Deleted'} ${dryRun ? deleted.skipped : deleted.objects} object(s) that ${source} lacks\n`);
        }
        if (deleted.failed > 0) return ExitCode.TransferFailed;
      } else if (booleanFlag(parsed, 'delete') && result.transfer.failed > 0 && !output.quiet) {
        io.stderr.write('gcs-transfer rsync: --delete skipped because some objects failed\n');
      }
      return code;
    },
    perObjectConcurrency,
  );
}

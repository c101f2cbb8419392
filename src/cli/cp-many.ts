/**
 * `gcs-transfer cp` with several sources, `-r`, wildcards, `-n`, or gs:// on both sides: a many-object copy on
 * one TransferManager, with one progress display, a summary, the failures listed and exit code 3 when any object
 * failed. Destination names follow `gcloud storage cp`:
 *
 * - DST is a container (a directory, or a prefix) when it ends in `/`, is a bucket (`gs://b`), is an existing
 *   local directory, or when there are several sources, `-r`, or a wildcard; otherwise it is the new name of the
 *   single source.
 * - A file or object goes to `DST/<its last segment>`.
 * - `-r DIR` and `-r gs://b/PREFIX` keep their last segment: `DST/DIR/…`, `DST/PREFIX-LAST/…` (a whole bucket
 *   `gs://b` goes to `DST/…`).
 * - A wildcard keeps the path from the directory holding the first wildcard: `gs://b/logs/2026-*\/*.log` →
 *   `DST/2026-01/x.log`; `data/**.csv` → `DST/<path under data/>`.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve, sep } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { ManySummary, ObjectOutcome } from '../transfer/many/outcomes.js';
import type { TransferManager } from '../transfer/transfer-manager.js';
import { booleanFlag, parseCommandLine, stringFlag, type CommandSpec, type ParsedCommandLine } from './args.js';
import { CONNECTION_FLAGS, outputMode } from './cloud-flags.js';
import { CP_SPEC } from './cp-options.js';
import type { CliIo } from './io.js';
import { ManyProgressRenderer } from './many-progress.js';
import { addSummaries, emptySummary, failureLine, reportMany } from './many-report.js';
import { runObjectCommand } from './object-command.js';
import { MANY_FLAGS, manyOptionsFrom, perObjectConcurrency } from './transfer-flags.js';

export const CP_MANY_SPEC: CommandSpec = {
  ...CP_SPEC,
  usage: [
    ...CP_SPEC.usage,
    'gcs-transfer cp [-r] [-n] [options] SRC... DST',
  ],
  summary: [
    CP_SPEC.summary,
    '',
    'With several sources, -r, wildcards (* within a segment, ** across segments, ?, [...]), -n or gs:// on both',
    'sides, cp copies many objects on one scheduler: one progress line, failures listed, exit code 3 if any failed.',
    'Names follow gcloud storage cp: into a directory or prefix (DST ending in /, a bucket, an existing directory,',
    'or any many-object copy) a file keeps its name; -r DIR and -r gs://b/PREFIX keep their last segment',
    '(DST/DIR/...); a wildcard keeps the path below the directory holding its first wildcard.',
  ].join('\n'),
  epilogue: [
    'Many-object examples:',
    '  gcs-transfer cp -r ./checkpoint gs://my-bucket/models/     # -> models/checkpoint/...',
    "  gcs-transfer cp 'gs://my-bucket/logs/2026-*/*.log' ./logs/  # -> logs/2026-01/x.log",
    '  gcs-transfer cp -n a.csv b.csv gs://my-bucket/in/           # no-clobber',
    '  gcs-transfer cp -r gs://my-bucket/data gs://backup-bucket/  # copied inside GCS',
    '',
    CP_SPEC.epilogue ?? '',
  ].join('\n'),
  flags: {
    ...CP_SPEC.flags,
    recursive: { type: 'boolean', short: 'r', description: 'Copy directories and prefixes with everything under them' },
    'no-clobber': { type: 'boolean', short: 'n', description: 'Skip every destination that already exists' },
    'skip-identical': { type: 'boolean', description: 'Skip destinations with the same size and CRC32C (re-runs send only what is missing)' },
    ...MANY_FLAGS,
    'max-connections': CONNECTION_FLAGS['max-connections'] as NonNullable<(typeof CONNECTION_FLAGS)['max-connections']>,
  },
  // Counted by isManyCopy, so that too few arguments get the single-object form's message.
  positionals: { min: 0, max: Number.MAX_SAFE_INTEGER },
};

const MANY_ONLY_FLAGS = ['recursive', 'no-clobber', 'skip-identical', 'objects', 'continue-on-error', 'fail-fast', 'metadata', 'cache-control', 'content-disposition', 'content-encoding', 'max-connections'];

/**
 * Whether this `cp` command line is a many-object copy (else the single-object cp, with its resume journals,
 * handles it). Usage errors surface here with the full flag set.
 */
export function isManyCopy(argv: readonly string[]): boolean {
  const parsed = parseCommandLine(CP_MANY_SPEC, argv);
  // The help of the many-object form covers every cp flag.
  if (booleanFlag(parsed, 'help')) return true;
  const { positionals } = parsed;
  // Fewer than two arguments: the single-object form says what is missing.
  if (positionals.length < 2) return false;
  if (positionals.length > 2) return true;
  if (MANY_ONLY_FLAGS.some((flag) => parsed.values[flag] !== undefined)) return true;
  const [source = '', destination = ''] = positionals;
  if (source.startsWith('gs://') && destination.startsWith('gs://')) return true;
  const sourcePath = source.startsWith('gs://') ? source.replace(/^gs:\/\/[^/]*\/?/, '') : source;
  return /[*?[]/.test(sourcePath);
}

type Kind = 'upload' | 'download' | 'copy';

export function runCpMany(argv: readonly string[], io: CliIo): Promise<number> {
  return runObjectCommand(
    CP_MANY_SPEC,
    argv,
    io,
    async (tm, parsed) => {
      const output = outputMode(parsed);
      const progress = new ManyProgressRenderer(io.stderr, output.quiet || output.json ? 'none' : undefined);
      const sources = parsed.positionals.slice(0, -1);
      const destination = parsed.positionals.at(-1) as string;
      const plan = await planCopies(sources, destination, parsed, io);
      const base = {
        ...manyOptionsFrom(parsed),
        ...(booleanFlag(parsed, 'no-clobber') ? { skipExisting: true } : {}),
        ...(booleanFlag(parsed, 'skip-identical') ? { skipIdentical: true } : {}),
        onProgress: progress.update,
        onObject: (outcome: ObjectOutcome) => {
          if (outcome.status === 'failed') progress.note(`gcs-transfer cp: ${failureLine(outcome)}`);
        },
        ...(io.signal ? { signal: io.signal } : {}),
      };
      let summary = emptySummary();
      for (const step of plan) {
        summary = addSummaries(summary, await step(tm, base));
        progress.nextCall();
      }
      return reportMany(io, 'gcs-transfer cp', 'Copied', summary, output, progress);
    },
    perObjectConcurrency,
  );
}

type Step = (tm: TransferManager, options: Record<string, unknown>) => Promise<ManySummary>;

/** Turns the sources into library calls: plain files and objects of one kind go together in one call. */
async function planCopies(sources: string[], destination: string, parsed: ParsedCommandLine, io: CliIo): Promise<Step[]> {
  const recursive = booleanFlag(parsed, 'recursive');
  const remoteDest = destination.startsWith('gs://');
  if (!remoteDest) {
    const uploadOnly = ['content-type', 'metadata', 'cache-control', 'content-disposition', 'content-encoding'].filter((flag) => stringFlag(parsed, flag) !== undefined);
    if (uploadOnly.length > 0) throw new InvalidArgumentError(`--${uploadOnly.join(', --')} ${uploadOnly.length === 1 ? 'applies' : 'apply'} to uploads only`);
  }
  const localDest = remoteDest ? '' : resolve(io.cwd, destination);
  const destIsDir = !remoteDest && (await stat(localDest).then((s) => s.isDirectory(), () => false));
  const wildcard = (s: string): boolean => /[*?[]/.test(s.startsWith('gs://') ? s.replace(/^gs:\/\/[^/]*\/?/, '') : s);
  const container =
    sources.length > 1 ||
    recursive ||
    sources.some(wildcard) ||
    destination.endsWith('/') ||
    (!remoteDest && (destination.endsWith(sep) || destIsDir)) ||
    (remoteDest && /^gs:\/\/[^/]+$/.test(destination));
  const remotePrefix = remoteDest ? (/^gs:\/\/[^/]+$/.test(destination) ? `${destination}/` : destination.endsWith('/') || !container ? destination : `${destination}/`) : '';

  const steps: Step[] = [];
  const files: { path: string; name: string }[] = [];
  const objects: { source: string; name: string }[] = [];
  let single: { source: string; kind: Kind } | undefined;
  for (const source of sources) {
    const remoteSource = source.startsWith('gs://');
    const kind: Kind = remoteSource ? (remoteDest ? 'copy' : 'download') : remoteDest ? 'upload' : invalidLocal(source, destination);
    if (!container) {
      single = { source, kind };
      break;
    }
    if (kind === 'upload') {
      const path = resolve(io.cwd, source);
      const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
      if (wildcard(source) || isDir) {
        if (isDir && !recursive) throw new InvalidArgumentError(`cp: '${source}' is a directory; copy it with -r`);
        steps.push((tm, options) => tm.uploadMany(wildcard(source) ? resolve(io.cwd, source) : path, remotePrefix, { ...options, keepDirName: isDir }));
      } else {
        files.push({ path, name: basename(path) });
      }
    } else {
      const path = source.replace(/^gs:\/\/[^/]*\/?/, '');
      const tree = wildcard(source) || path === '' || path.endsWith('/') || recursive;
      if (!tree) {
        objects.push({ source, name: path.slice(path.lastIndexOf('/') + 1) });
      } else if (!wildcard(source) && !recursive) {
        throw new InvalidArgumentError(`cp: '${source}' is a prefix; copy it with -r`);
      } else if (kind === 'download') {
        steps.push((tm, options) => tm.downloadMany(source, localDest, { ...options, naming: 'parent' }));
      } else {
        steps.push((tm, options) => tm.copyMany(source, remotePrefix, { ...options, naming: 'parent' }));
      }
    }
  }
  if (single) {
    // One source renamed to DST.
    const { source, kind } = single;
    if (kind === 'upload') {
      const name = remotePrefix.replace(/^gs:\/\/[^/]+\//, '');
      const bucketUrl = remotePrefix.slice(0, remotePrefix.length - name.length);
      return [(tm, options) => tm.uploadMany([{ path: resolve(io.cwd, source), name }], bucketUrl, options)];
    }
    if (kind === 'download') {
      return [(tm, options) => tm.downloadMany([{ source, name: basename(localDest) }], dirname(localDest), options)];
    }
    return [
      async (tm, options) => {
        const name = destination.replace(/^gs:\/\/[^/]+\//, '');
        return tm.copyMany([{ source, name }], destination.slice(0, destination.length - name.length), options);
      },
    ];
  }
  if (files.length > 0) steps.unshift((tm, options) => tm.uploadMany(files, remotePrefix, options));
  if (objects.length > 0) {
    steps.unshift((tm, options) => (remoteDest ? tm.copyMany(objects, remotePrefix, options) : tm.downloadMany(objects, localDest, options)));
  }
  return steps;
}

function invalidLocal(source: string, destination: string): never {
  throw new InvalidArgumentError(`cp: one side must be gs://, got '${source}' and '${destination}' (local-to-local copies are not GCS transfers)`);
}

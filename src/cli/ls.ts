/**
 * `gcs-transfer ls [-l] [-r] gs://BUCKET[/PREFIX]…`: lists objects a page at a time (output starts with the
 * first page; memory stays at one page however large the prefix). Without `-r`, names roll up at `/` into
 * "directories" (`gs://b/logs/`); with `-l`, each object shows its size and update time, then a total.
 */
import { booleanFlag, type CommandSpec } from './args.js';
import { CONNECTION_FLAGS, OUTPUT_FLAGS, outputMode, requireCloudUrl } from './cloud-flags.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { runObjectCommand } from './object-command.js';
import { formatSize } from './sizes.js';

export const LS_SPEC: CommandSpec = {
  command: 'gcs-transfer ls',
  usage: ['gcs-transfer ls [options] gs://BUCKET[/PREFIX|/WILDCARD]...'],
  summary: [
    'Lists the objects under each prefix. Without -r, names below the next "/" are shown once, as gs://BUCKET/DIR/.',
    'A wildcard (* within a segment, ** across, ?, [...], {a,b}) lists every object it matches.',
  ].join('\n'),
  flags: {
    long: { type: 'boolean', short: 'l', description: 'Show size, update time and name, then a total' },
    recursive: { type: 'boolean', short: 'r', description: 'List every object under the prefix, however deep' },
    ...CONNECTION_FLAGS,
    ...OUTPUT_FLAGS,
  },
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER },
  epilogue: [
    'Examples:',
    '  gcs-transfer ls gs://my-bucket/logs/',
    '  gcs-transfer ls -l -r gs://my-bucket/data/2026-01',
    "  gcs-transfer ls 'gs://my-bucket/logs/2026-*/**.parquet'",
    '',
    EXIT_CODES_HELP,
  ].join('\n'),
};

export function runLs(argv: readonly string[], io: CliIo): Promise<number> {
  return runObjectCommand(LS_SPEC, argv, io, async (tm, parsed) => {
    const long = booleanFlag(parsed, 'long');
    const recursive = booleanFlag(parsed, 'recursive');
    const { json } = outputMode(parsed);
    const signal = io.signal;
    let objects = 0;
    let bytes = 0;
    for (const url of parsed.positionals) {
      requireCloudUrl(url, 'ls');
      const bucket = /^gs:\/\/([^/]+)/.exec(url)?.[1] ?? '';
      let path = url.slice(`gs://${bucket}/`.length);
      // A wildcard lists what matches it (the service filters: GCS's matchGlob), however deep.
      const wildcard = /[*?[{]/.test(path);
      const glob = wildcard ? { matchGlob: path } : {};
      if (wildcard) path = path.slice(0, path.search(/[*?[{]/));
      // `ls gs://b/dir` shows what is in dir/, as a shell's ls does for a directory.
      else if (!recursive && path !== '' && !path.endsWith('/') && (await onlyADirectory(url))) path += '/';
      const delimiter = recursive || wildcard ? {} : { delimiter: '/' };
      for await (const page of tm.list(`gs://${bucket}/${path}`, { ...delimiter, ...glob, ...(signal ? { signal } : {}) })) {
        const lines: string[] = [];
        for (const prefix of page.prefixes) {
          lines.push(json ? JSON.stringify({ prefix: `gs://${bucket}/${prefix}` }) : long ? `${''.padStart(12)}  ${''.padEnd(24)}  gs://${bucket}/${prefix}` : `gs://${bucket}/${prefix}`);
        }
        for (const object of page.objects) {
          objects++;
          bytes += object.size;
          const name = `gs://${bucket}/${object.name}`;
          if (json) lines.push(JSON.stringify({ name, size: object.size, updated: object.updated, generation: object.generation, crc32c: object.crc32c }));
          else lines.push(long ? `${String(object.size).padStart(12)}  ${(object.updated ?? '').padEnd(24)}  ${name}` : name);
        }
        if (lines.length > 0) io.stdout.write(`${lines.join('\n')}\n`);
      }
    }
    if (long && !json) io.stdout.write(`TOTAL: ${objects} objects, ${bytes} bytes (${formatSize(bytes)})\n`);
    return ExitCode.Ok;

    async function onlyADirectory(url: string): Promise<boolean> {
      const bucket = /^gs:\/\/([^/]+)/.exec(url)?.[1] ?? '';
      const path = url.slice(`gs://${bucket}/`.length);
      for await (const page of tm.list(url, { delimiter: '/', pageSize: 2, ...(signal ? { signal } : {}) })) {
        return page.objects.length === 0 && page.prefixes.length === 1 && page.prefixes[0] === `${path}/`;
      }
      return false;
    }
  });
}

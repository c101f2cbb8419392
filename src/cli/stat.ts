/**
 * `gcs-transfer stat gs://BUCKET/OBJECT…`: each object's metadata. A missing object is reported and makes the
 * exit code 3; the others are still shown.
 */
import pLimit from 'p-limit';
import { serializeError } from '../errors.js';
import type { ObjectInfo } from '../transfer/object-api.js';
import type { CommandSpec } from './args.js';
import { CONNECTION_FLAGS, OUTPUT_FLAGS, outputMode, requireCloudUrl } from './cloud-flags.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { runObjectCommand } from './object-command.js';

export const STAT_SPEC: CommandSpec = {
  command: 'gcs-transfer stat',
  usage: ['gcs-transfer stat [options] gs://BUCKET/OBJECT...'],
  summary: "Shows each object's size, generation, CRC32C, MD5, content type, update time and custom metadata.",
  flags: { ...CONNECTION_FLAGS, ...OUTPUT_FLAGS },
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER },
  epilogue: ['Example:', '  gcs-transfer stat gs://my-bucket/data/part-0001.parquet', '', EXIT_CODES_HELP].join('\n'),
};

/** Objects asked about at once. */
const STAT_CONCURRENCY = 16;

export function runStat(argv: readonly string[], io: CliIo): Promise<number> {
  return runObjectCommand(STAT_SPEC, argv, io, async (tm, parsed) => {
    const { json } = outputMode(parsed);
    for (const url of parsed.positionals) requireCloudUrl(url, 'stat');
    const limit = pLimit(STAT_CONCURRENCY);
    // Asked concurrently, printed in the order given.
    const answers = await Promise.all(
      parsed.positionals.map((url) => limit(() => tm.stat(url, io.signal ? { signal: io.signal } : {}).then((info) => ({ url, info }), (error: unknown) => ({ url, error })))),
    );
    let code: number = ExitCode.Ok;
    for (const answer of answers) {
      if ('error' in answer) {
        code = ExitCode.TransferFailed;
        const message = serializeError(answer.error).message;
        if (json) io.stdout.write(`${JSON.stringify({ name: answer.url, error: message })}\n`);
        else io.stderr.write(`gcs-transfer stat: ${answer.url}: ${message}\n`);
      } else {
        io.stdout.write(json ? `${JSON.stringify(answer.info)}\n` : describe(answer.url, answer.info));
      }
    }
    return code;
  });
}

function describe(url: string, info: ObjectInfo): string {
  const rows: [string, string | undefined][] = [
    ['Size', `${info.size} bytes`],
    ['Generation', info.generation],
    ['Metageneration', info.metageneration],
    ['CRC32C', info.crc32c],
    ['MD5', info.md5Hash],
    ['Content-Type', info.contentType],
    ['Content-Encoding', info.contentEncoding],
    ['Cache-Control', info.cacheControl],
    ['Content-Disposition', info.contentDisposition],
    ['Storage class', info.storageClass],
    ['Updated', info.updated],
    ...Object.entries(info.metadata ?? {}).map(([key, value]): [string, string] => [`Metadata ${key}`, value]),
  ];
  return `${url}:\n${rows.filter((row): row is [string, string] => row[1] !== undefined).map(([k, v]) => `    ${`${k}:`.padEnd(22)}${v}`).join('\n')}\n`;
}

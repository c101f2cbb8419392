/**
 * The skeleton of the object commands (ls, stat, rm, rsync, many-object cp): parse against the spec, answer
 * `--help`, run with one TransferManager built from the shared flags, and close it whatever happens.
 */
import { TransferManager } from '../transfer/transfer-manager.js';
import type { TransferManagerOptions } from '../transfer/options.js';
import { booleanFlag, parseCommandLine, renderHelp, type CommandSpec, type ParsedCommandLine } from './args.js';
import { managerOptionsFrom } from './cloud-flags.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';

export async function runObjectCommand(
  spec: CommandSpec,
  argv: readonly string[],
  io: CliIo,
  run: (tm: TransferManager, parsed: ParsedCommandLine) => Promise<number>,
  extra: (parsed: ParsedCommandLine) => TransferManagerOptions = () => ({}),
): Promise<number> {
  const parsed = parseCommandLine(spec, argv);
  if (booleanFlag(parsed, 'help')) {
    io.stdout.write(renderHelp(spec));
    return ExitCode.Ok;
  }
  const tm = new TransferManager({ ...(await managerOptionsFrom(parsed, io)), ...extra(parsed) });
  try {
    return await run(tm, parsed);
  } finally {
    await tm.close();
  }
}

#!/usr/bin/env node
/**
 * The `gcs-transfer` command: dispatches to a subcommand. Minimal for now: only `emulator` is wired.
 */
import { exitCodeFor } from './exit-codes.js';
import { runEmulatorCli } from '../emulator/cli.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  emulator: runEmulatorCli,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`Usage: gcs-transfer <command> [options]\nCommands: ${Object.keys(COMMANDS).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  await command(rest);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = exitCodeFor(error);
});

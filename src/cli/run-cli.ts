/**
 * The `gcs-transfer` command dispatcher: picks the subcommand, handles `--help` and `--version`, and turns
 * any failure into a message on stderr and an exit code. Everything here runs in-process and returns the exit
 * code instead of exiting, so tests drive it directly; `main.ts` is the thin process wrapper.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../errors.js';
import { EXIT_CODES_HELP, ExitCode, exitCodeFor } from './exit-codes.js';
import { describeFailure, type CliIo } from './io.js';

const COMMANDS_HELP = `Usage: gcs-transfer <command> [options]

Parallel, verified transfers of large objects to and from Google Cloud Storage.

Commands:
  cp        Copy files and objects: one, several, directories (-r), wildcards, gs:// to gs://
  ls        List objects under a prefix
  stat      Show an object's metadata
  rm        Delete objects, prefixes (-r) or wildcards
  rsync     Make a prefix or directory hold what another holds (one way)
  emulator  Run the embedded GCS emulator in the foreground
  bench     Run the benchmark harness (from a source checkout only)

Options:
  -h, --help     Show this help and exit
  -V, --version  Print the version and exit

Run 'gcs-transfer <command> --help' for a command's options.

${EXIT_CODES_HELP}
`;

/** Runs one command line (without `node` and the script) and resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode | number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(COMMANDS_HELP);
        return command === undefined ? ExitCode.Usage : ExitCode.Ok;
      case '-V':
      case '--version':
        io.stdout.write(`gcs-transfer ${await packageVersion()}\n`);
        return ExitCode.Ok;
      case 'cp': {
        const { runCp } = await import('./cp.js');
        return await runCp(rest, io);
      }
      case 'ls':
        return await (await import('./ls.js')).runLs(rest, io);
      case 'stat':
        return await (await import('./stat.js')).runStat(rest, io);
      case 'rm':
        return await (await import('./rm.js')).runRm(rest, io);
      case 'rsync':
        return await (await import('./rsync.js')).runRsync(rest, io);
      case 'emulator': {
        const { runEmulatorCli } = await import('../emulator/cli.js');
        await runEmulatorCli([...rest]);
        return ExitCode.Ok;
      }
      case 'bench':
        return await runBench(rest, io);
      default:
        throw new InvalidArgumentError(
          `unknown command '${command}'. Commands: cp, ls, stat, rm, rsync, emulator, bench. Try 'gcs-transfer --help'.`,
        );
    }
  } catch (error) {
    io.stderr.write(describeFailure(command === undefined ? 'gcs-transfer' : `gcs-transfer ${command}`, error));
    return exitCodeFor(error);
  }
}

/**
 * The bench lives in `bench/`, outside the published build (`tsconfig.build.json` compiles only `src` and
 * `workers`), so it is loaded by a path computed at run time: present in a source checkout (under tsx),
 * absent from an installed package, where we say so instead of crashing.
 */
async function runBench(argv: readonly string[], io: CliIo): Promise<number> {
  const specifier = new URL('../../bench/cli.js', import.meta.url).href;
  let module: { runBenchCli?: (argv: string[]) => Promise<number | void> };
  try {
    module = (await import(specifier)) as typeof module;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' || !String((error as Error).message).includes('bench')) throw error;
    io.stderr.write(
      "gcs-transfer bench: the benchmark harness is not part of the installed package; run it from a source checkout with 'npm run bench'.\n",
    );
    return ExitCode.Usage;
  }
  if (typeof module.runBenchCli !== 'function') throw new Error('bench/cli.js does not export runBenchCli');
  const result = await module.runBenchCli([...argv]);
  return typeof result === 'number' ? result : ExitCode.Ok;
}

/** The version from the package's own package.json (two levels up in the source tree, three in dist). */
async function packageVersion(): Promise<string> {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const data = JSON.parse(await readFile(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (data.name === 'gcs-transfer' && typeof data.version === 'string') return data.version;
    } catch {
      // Try the next layout.
    }
  }
  return 'unknown';
}

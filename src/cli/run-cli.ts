/**
 * The `gcs-transfer` command dispatcher: picks the subcommand, handles `--help` and `--version`, and turns
 * any failure into a message on stderr and an exit code. Everything here runs in-process and returns the exit
 * code instead of exiting, so tests drive it directly; `main.ts` is the thin process wrapper.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../errors.js';
import { EXIT_CODES_HELP, ExitCode, exitCodeFor } from './exit-codes.js';
import { describeFailure, jsonFailure, type CliIo } from './io.js';

const COMMANDS_HELP = `Usage: gcs-transfer <command> [options]

Parallel, verified transfers of large objects to and from Google Cloud Storage.

Commands:
  cp        Copy files and objects: one, several, directories (-r), wildcards, gs:// to gs://
  ls        List objects under a prefix
  stat      Show an object's metadata
  rm        Delete objects, prefixes (-r) or wildcards
  rsync     Make a prefix or directory hold what another holds (one way)
  worker    Run tasks of distributed transfers (cp --queue) on this machine
  status    Show a distributed transfer's progress and failures
  emulator  Run the embedded GCS emulator in the foreground
  bench     Run the benchmark harness (emulator or --endpoint URL --bucket B)

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
      case 'worker':
        return await (await import('./worker.js')).runWorkerCli(rest, io);
      case 'status':
        return await (await import('./status.js')).runStatusCli(rest, io);
      case 'emulator': {
        const { runEmulatorCli } = await import('../emulator/cli.js');
        await runEmulatorCli([...rest]);
        return ExitCode.Ok;
      }
      case 'bench':
        return await runBench(rest);
      default:
        throw new InvalidArgumentError(
          `unknown command '${command}'. Commands: cp, ls, stat, rm, rsync, worker, status, emulator, bench. Try 'gcs-transfer --help'.`,
        );
    }
  } catch (error) {
    // --json is a promise to scripts: a failure before the command ran (a usage error) is JSON too.
    if (wantsJson(rest)) io.stdout.write(`${JSON.stringify({ ...jsonFailure(error), notes: [] })}\n`);
    else io.stderr.write(describeFailure(command === undefined ? 'gcs-transfer' : `gcs-transfer ${command}`, error));
    return exitCodeFor(error);
  }
}

/** Whether `--json` is among the flags (before a `--` that ends them). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * The bench ships in the package (`dist/bench`, compiled with the library) so that an installed CLI can tune
 * chunk sizes against a real endpoint; it is loaded only when asked for.
 */
async function runBench(argv: readonly string[]): Promise<number> {
  const module = (await import(new URL('../../bench/cli.js', import.meta.url).href)) as {
    runBenchCli(argv: string[]): Promise<number | void>;
  };
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

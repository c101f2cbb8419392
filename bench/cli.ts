/**
 * `gcs-transfer bench` / `npm run bench -- …`: parses the flags, runs the bench, prints the report and writes
 * the JSON results and the sweep chart into the results folder.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExitCode } from '../src/cli/exit-codes.js';
import { InvalidArgumentError } from '../src/errors.js';
import { DEFAULT_CHUNK_SIZE, DEFAULT_CONCURRENCY } from '../src/transfer/options.js';
import { runBench } from './bench.js';
import { sweepChartSvg } from './chart.js';
import { buildPlan, type Mode, type PlanOverrides } from './plan.js';
import { parseProfiles, PROFILES } from './profiles.js';
import { formatReport, ProgressReporter } from './report.js';
import { SUITES, writeResultsJson, type SuiteName } from './results.js';
import { formatSize, parseSize } from './units.js';

export const BENCH_HELP = `Usage: gcs-transfer bench [options]     (or: npm run bench -- [options])

Measures single-stream vs parallel transfers, CRC32C placement, a chunk-size × concurrency sweep and
@google-cloud/storage's TransferManager, on the embedded emulator (no cloud account) or any GCS endpoint.
With no options: the default run (256 MiB objects, under 3 minutes on 2 cores).

Options:
  --quick                 tiny sizes, one iteration (a smoke test; what the test suite runs)
  --full                  1 GiB objects, warm-ups, the whole sweep and peers on every profile (~15 minutes)
  --size SIZE             object size, e.g. 512MiB, 1GiB
  --sweep-size SIZE       object size of each sweep cell (default 256MiB; 512MiB with --full)
  --iterations N          measured iterations per case
  --suite LIST            comma-separated: ${SUITES.join(',')}
  --profile LIST          comma-separated: ${Object.keys(PROFILES).join(',')}
  --chunk-size SIZE       engine chunk size for the suites and the peer comparison (default: the engine's)
  --concurrency N         engine concurrency for the suites and the peer comparison (default: the engine's)
  --endpoint URL          measure against this GCS endpoint instead of the emulator (profiles do not apply)
  --bucket NAME           bucket on --endpoint (required with it)
  --auth adc|none         credentials for --endpoint (default adc)
  --out DIR               results folder (default bench/results/ in a checkout, ./gcs-transfer-bench-results when installed)
  --json                  print the results as JSON instead of the report
  --quiet                 no progress lines
  -h, --help              this text

Profiles:
${Object.values(PROFILES)
  .map((p) => `  ${p.name.padEnd(10)} ${p.summary}\n             ${p.rationale}`)
  .join('\n')}
`;

function positiveInteger(option: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`${option} must be a positive integer; got ${JSON.stringify(value)}`);
  }
  return n;
}

function parseSuites(value: string): SuiteName[] {
  const names = value.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(SUITES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`--suite must be a comma-separated list of ${SUITES.join(', ')}; got ${JSON.stringify(value)}`);
    }
  }
  return names as SuiteName[];
}

/** Parsed command line. Exported for tests. */
export function parseBenchArgs(argv: string[]): { help: boolean; mode: Mode; overrides: PlanOverrides; json: boolean; quiet: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean' },
      full: { type: 'boolean' },
      size: { type: 'string' },
      'sweep-size': { type: 'string' },
      iterations: { type: 'string' },
      suite: { type: 'string' },
      profile: { type: 'string' },
      'chunk-size': { type: 'string' },
      concurrency: { type: 'string' },
      endpoint: { type: 'string' },
      bucket: { type: 'string' },
      auth: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.quick && values.full) throw new InvalidArgumentError('--quick and --full cannot be combined');
  const overrides: PlanOverrides = {};
  if (values.size !== undefined) overrides.size = parseSize(values.size, '--size');
  if (values['sweep-size'] !== undefined) overrides.sweepSize = parseSize(values['sweep-size'], '--sweep-size');
  if (values.iterations !== undefined) overrides.iterations = positiveInteger('--iterations', values.iterations);
  if (values.suite !== undefined) overrides.suites = parseSuites(values.suite);
  if (values.profile !== undefined) overrides.profiles = parseProfiles(values.profile);
  if (values['chunk-size'] !== undefined) overrides.chunkSize = parseSize(values['chunk-size'], '--chunk-size');
  if (values.concurrency !== undefined) overrides.concurrency = positiveInteger('--concurrency', values.concurrency);
  if (values.out !== undefined) overrides.outDir = values.out;
  if (values.endpoint !== undefined) {
    if (!values.bucket) throw new InvalidArgumentError('--endpoint needs --bucket NAME (a bucket you can write to)');
    const auth = values.auth ?? 'adc';
    if (auth !== 'adc' && auth !== 'none') throw new InvalidArgumentError(`--auth must be adc or none; got ${JSON.stringify(auth)}`);
    overrides.endpoint = { url: values.endpoint, bucket: values.bucket, auth };
  } else if (values.bucket !== undefined || values.auth !== undefined) {
    throw new InvalidArgumentError('--bucket and --auth only apply with --endpoint');
  }
  const mode: Mode = values.quick ? 'quick' : values.full ? 'full' : 'default';
  return { help: Boolean(values.help), mode, overrides, json: Boolean(values.json), quiet: Boolean(values.quiet) };
}

/** Whether the peer library can be loaded from where the bench runs. */
async function peerInstalled(): Promise<boolean> {
  try {
    await import('@google-cloud/storage');
    return true;
  } catch {
    return false;
  }
}

/** Runs the bench CLI; resolves the process exit code. */
export async function runBenchCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseBenchArgs>;
  let plan: ReturnType<typeof buildPlan>;
  try {
    parsed = parseBenchArgs(argv);
    plan = buildPlan(parsed.mode, parsed.overrides, { chunkSize: DEFAULT_CHUNK_SIZE, concurrency: DEFAULT_CONCURRENCY });
  } catch (error) {
    process.stderr.write(`gcs-transfer bench: ${error instanceof Error ? error.message : String(error)}\nTry 'gcs-transfer bench --help'.\n`);
    return ExitCode.Usage;
  }
  if (parsed.help) {
    process.stdout.write(BENCH_HELP);
    return ExitCode.Ok;
  }
  const progress = new ProgressReporter(process.stderr, !parsed.quiet);
  // An installed package has no dev dependencies: the peer comparison needs @google-cloud/storage.
  if (plan.suites.includes('peers') && !(await peerInstalled())) {
    plan = { ...plan, suites: plan.suites.filter((suite) => suite !== 'peers') };
    process.stderr.write('gcs-transfer bench: skipping the peers suite: @google-cloud/storage is not installed (npm install @google-cloud/storage to compare)\n');
  }
  const run = await runBench(plan, progress);

  const outDir = resolve(plan.outDir);
  const json = await writeResultsJson(run, outDir);
  let chart: string | undefined;
  if (run.sweep.length > 0) {
    await mkdir(outDir, { recursive: true });
    chart = join(outDir, 'sweep.svg');
    const caps = Object.fromEntries(run.settings.profiles.map((p) => [p.name, p.capMiBps]));
    const subtitle = `${formatSize(run.settings.sweepSize ?? run.settings.size)} objects · ${run.machine.cores} × ${run.machine.cpus} · ${run.startedAt.slice(0, 10)}`;
    await writeFile(chart, sweepChartSvg(run.sweep, { title: 'TransferManager throughput by chunk size and concurrency', subtitle, caps }));
  }
  process.stdout.write(parsed.json ? `${JSON.stringify(run, null, 2)}\n` : formatReport(run, { json, ...(chart ? { chart } : {}) }));
  return run.failures.length > 0 ? ExitCode.TransferFailed : ExitCode.Ok;
}

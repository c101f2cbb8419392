/**
 * `npm run bench` entry: `node --import tsx bench/run.ts [options]` (see `--help`).
 */
import { runBenchCli } from './cli.js';

process.exitCode = await runBenchCli(process.argv.slice(2));

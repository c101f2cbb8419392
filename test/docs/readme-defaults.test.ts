/**
 * The README is a contract: the defaults, limits and exit codes it documents must be the code's. Each check
 * reads a table row or sentence of README.md and compares it with the constant the code uses.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CP_SPEC } from '../../src/cli/cp-options.js';
import { EXIT_CODES_HELP, ExitCode } from '../../src/cli/exit-codes.js';
import { formatSize } from '../../src/cli/sizes.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_READ_TIMEOUT_MS, MAX_CUMULATIVE_RETRY_MS } from '../../src/constants.js';
import { DEFAULT_CHUNK_SIZE, DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MIN_DOWNLOAD_RANGE } from '../../src/transfer/options.js';
import { MAX_PART_SIZE, MIN_PART_SIZE } from '../../src/transfer/part-plan.js';
import { availableParallelism } from 'node:os';
import { DEFAULT_MAX_THREADS } from '../../src/pool/worker-pool.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The cells of the table row whose first cell starts with `key`. */
function row(key: string): string[] {
  const line = readme.split('\n').find((l) => l.startsWith(`| ${key}`));
  assert.ok(line, `README has a table row for ${key}`);
  return line.split(' | ').map((cell) => cell.replace(/^\| |\|$/g, '').trim());
}

const compact = (bytes: number): string => formatSize(bytes).replace('.0 ', '').replace(' ', '');

test('CLI flag table: chunk size, concurrency, timeouts and limits are the code defaults', () => {
  const chunk = row('`--chunk-size SIZE`');
  assert.equal(chunk.at(-1), compact(DEFAULT_CHUNK_SIZE));
  assert.match(chunk[1] ?? '', new RegExp(`up to ${compact(MAX_PART_SIZE)}; downloads use at least ${compact(MIN_DOWNLOAD_RANGE)}, uploads at least ${compact(MIN_PART_SIZE)}`));
  const concurrency = row('`-j, --concurrency N`');
  assert.equal(concurrency.at(-1), String(DEFAULT_CONCURRENCY));
  assert.match(concurrency[1] ?? '', new RegExp(`1–${MAX_CONCURRENCY}`));
  assert.equal(row('`--read-timeout D`').at(-1), `${DEFAULT_READ_TIMEOUT_MS / 1000}s, ${MAX_CUMULATIVE_RETRY_MS / 60_000}m`);
  // --help shows the same defaults.
  assert.equal(CP_SPEC.flags['chunk-size']?.default, compact(DEFAULT_CHUNK_SIZE));
  assert.equal(CP_SPEC.flags.concurrency?.default, String(DEFAULT_CONCURRENCY));
});

test('library options table and memory section: the code defaults', () => {
  assert.equal(row('`chunkSize`')[1], formatSize(DEFAULT_CHUNK_SIZE).replace('.0 ', ' '));
  assert.match(row('`chunkSize`')[2] ?? '', new RegExp(`downloads: ≥ ${formatSize(MIN_DOWNLOAD_RANGE)}`));
  assert.equal(row('`concurrency`')[1], String(DEFAULT_CONCURRENCY));
  // The documented rule for worker threads is the code's rule on this machine.
  assert.equal(row('`workers`')[1], 'min(cores, 4)');
  assert.equal(DEFAULT_MAX_THREADS, Math.max(1, Math.min(availableParallelism(), 4)));
  assert.equal(row('`timeout`')[1], `\`{ connectMs: ${DEFAULT_CONNECT_TIMEOUT_MS.toLocaleString('en').replace(',', '_')}, readMs: ${DEFAULT_READ_TIMEOUT_MS.toLocaleString('en').replace(',', '_')} }\``);
  assert.match(readme, new RegExp(`With C = concurrency \\(${DEFAULT_CONCURRENCY}\\) and S = chunk size \\(${formatSize(DEFAULT_CHUNK_SIZE).replace('.0 ', ' ')}\\)`));
  assert.match(readme, new RegExp(`engine's defaults \\(${formatSize(DEFAULT_CHUNK_SIZE).replace('.0 ', ' ')} × ${DEFAULT_CONCURRENCY}\\)`));
});

test('exit codes: the README table, --help and the code agree', () => {
  const documented = [...readme.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1]));
  assert.deepEqual(documented, Object.values(ExitCode).sort((a, b) => a - b));
  const help = [...EXIT_CODES_HELP.matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1]));
  assert.deepEqual(help, documented);
});

test('one duration for each bench mode', () => {
  // The top command promises "< 3 min" for the default run; every other mention must agree.
  assert.match(readme, /npm run bench +# install, then the main job: the benchmark on the embedded GCS emulator \(< 3 min\)/);
  assert.match(readme, /npm run bench {19}# 256 MiB objects, all suites \(under 3 min\)/);
  assert.match(readme, /under 3 minutes on 2 cores/);
  assert.doesNotMatch(readme, /2½ minutes|~2 min|~16 min/);
});

test('no references to documents a reader does not have, in the README, the code or the tests', () => {
  const pattern = /issue \d|protocol-spec|design-guide|anchors-and-peers|checklist entr/i;
  assert.doesNotMatch(readme, pattern);
  const self = fileURLToPath(import.meta.url);
  for (const top of ['src', 'workers', 'bench', 'test']) {
    const root = fileURLToPath(new URL(`../../${top}/`, import.meta.url));
    for (const name of readdirSync(root, { recursive: true }) as string[]) {
      const path = join(root, name);
      if (!/\.(ts|mjs)$/.test(name) || path === self || name.startsWith('results')) continue;
      assert.doesNotMatch(readFileSync(path, 'utf8'), pattern, path);
    }
  }
});

test('resume: the README states the library default (off) and the state directory rule the code uses', async () => {
  const { defaultStateDir } = await import('../../src/transfer/resume/journal-upload.js');
  assert.equal(row('`resume` (`downloadFile`, `uploadFile`)')[1], '`false`');
  assert.match(readme, /Off by default \(unlike `cp`\)/);
  // The order of the rule, as the README and --help give it.
  const rule = '`$GCS_TRANSFER_STATE_DIR`, `$XDG_STATE_HOME/gcs-transfer` or\n  `~/.local/state/gcs-transfer`';
  assert.ok(readme.includes(`(default ${rule})`), 'the library section states the rule');
  assert.equal(CP_SPEC.flags['state-dir']?.default, '$GCS_TRANSFER_STATE_DIR, $XDG_STATE_HOME/gcs-transfer or ~/.local/state/gcs-transfer');
  assert.equal(defaultStateDir({ GCS_TRANSFER_STATE_DIR: '/a', XDG_STATE_HOME: '/b' }), '/a');
  assert.equal(defaultStateDir({ XDG_STATE_HOME: '/b' }), join('/b', 'gcs-transfer'));
  assert.match(defaultStateDir({}), /\.local\/state\/gcs-transfer$/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine, parseInteger, renderHelp, stringFlag, booleanFlag } from '../../src/cli/args.js';
import type { CommandSpec } from '../../src/cli/args.js';

const spec: CommandSpec = {
  command: 'tool cp',
  usage: ['tool cp [options] SRC DST', 'tool cp [options] - DST'],
  summary: 'Copies things.',
  flags: {
    'chunk-size': { type: 'string', value: 'SIZE', description: 'Part size', default: '32MiB' },
    concurrency: { type: 'string', short: 'j', value: 'N', description: 'Requests in flight' },
    quiet: { type: 'boolean', short: 'q', description: 'No progress' },
  },
  positionals: { min: 2, max: 2 },
  epilogue: 'Exit codes: 0 ok',
};

function usageError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: Error & { code?: string }) => {
    assert.equal(error.code, 'ERR_GCS_INVALID_ARG');
    assert.match(error.message, pattern);
    return true;
  });
}

test('parses flags (long, short, =value) and positionals, including - for stdio', () => {
  const parsed = parseCommandLine(spec, ['--chunk-size=8MiB', '-j', '4', '-q', '-', 'gs://b/o']);
  assert.equal(stringFlag(parsed, 'chunk-size'), '8MiB');
  assert.equal(stringFlag(parsed, 'concurrency'), '4');
  assert.equal(booleanFlag(parsed, 'quiet'), true);
  assert.deepEqual(parsed.positionals, ['-', 'gs://b/o']);
});

test('--help short-circuits the positional count', () => {
  const parsed = parseCommandLine(spec, ['--help']);
  assert.equal(booleanFlag(parsed, 'help'), true);
  assert.equal(booleanFlag(parseCommandLine(spec, ['-h', 'only-one']), 'help'), true);
});

test('an unknown flag names it, suggests the near one and points at --help', () => {
  usageError(() => parseCommandLine(spec, ['--chunk-sise', '1M', 'a', 'b']), /--chunk-sise.*Did you mean '--chunk-size'\?.*tool cp --help/s);
  usageError(() => parseCommandLine(spec, ['--frobnicate', 'a', 'b']), /^unknown flag '--frobnicate'\. Try 'tool cp --help'\.$/);
});

test('a string flag without its value, and a boolean flag with one, are usage errors naming the flag', () => {
  usageError(() => parseCommandLine(spec, ['a', 'b', '--chunk-size']), /--chunk-size/);
  usageError(() => parseCommandLine(spec, ['--quiet=yes', 'a', 'b']), /--quiet/);
  usageError(() => parseCommandLine(spec, ['--chunk-size', '-5', 'a', 'b']), /--chunk-size=-XYZ/);
});

test('the wrong number of positionals says how many were expected and shows usage', () => {
  usageError(() => parseCommandLine(spec, ['a']), /^expected 2 arguments, got 1 \('a'\).*Usage: tool cp/s);
  usageError(() => parseCommandLine(spec, ['a', 'b', 'c']), /got 3/);
});

test('parseInteger accepts whole numbers in range and names the flag otherwise', () => {
  assert.equal(parseInteger('8', '--concurrency', { min: 1, max: 64 }), 8);
  for (const bad of ['0', '65', '1.5', 'x', '', '-1', '1e3']) {
    usageError(() => parseInteger(bad, '--concurrency', { min: 1, max: 64 }), /--concurrency: expected a whole number from 1 to 64/);
  }
});

test('help lists every flag with its value placeholder, default and the epilogue', () => {
  const help = renderHelp(spec);
  assert.match(help, /^Usage: tool cp \[options\] SRC DST\n {7}tool cp \[options\] - DST\n/);
  assert.match(help, /--chunk-size SIZE +Part size \[default: 32MiB\]/);
  assert.match(help, /-j, --concurrency N +Requests in flight/);
  assert.match(help, /-q, --quiet +No progress/);
  assert.match(help, /-h, --help/);
  assert.match(help, /Exit codes: 0 ok\n$/);
});

/** Runs `gcs-transfer` in-process with captured streams (the distributed tests' CLI driver). */
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.js';

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(args: string[], cwd: string): Promise<InProcessRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
  const code = await runCli(args, { stdin: Readable.from([]), stdout, stderr, env: {}, cwd });
  return { code, stdout: out, stderr: err };
}

/**
 * `curl -o` on the same media URL: the loopback yardstick for what one well-written native client gets out of
 * the same emulator (the performance targets ask the parallel download to reach 90 % of it). curl validates nothing.
 *
 * curl runs under GNU `time` when it is installed, so its own CPU seconds and peak RSS are reported (Node cannot
 * read a child's rusage); without it those columns stay empty (`externalCost` answers undefined).
 */
import { execFile } from 'node:child_process';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GcsEndpoint } from '../../src/transport/endpoint.js';
import { assertFile } from '../verify.js';
import type { BenchCase, CaseFactory, DownloadCaseSpec, ExternalCost } from './case.js';

const execFileAsync = promisify(execFile);
const GNU_TIME = '/usr/bin/time';
const MARKER = 'gcs-transfer-bench-rusage';

export const createCurlDownloadCase: CaseFactory<DownloadCaseSpec> = async (spec) => {
  const url = new GcsEndpoint(spec.target.endpoint).mediaUrl(spec.target.bucket, spec.name);
  const destination = join(spec.workDir, `curl-download-${process.pid}.bin`);
  const curlArgs = ['--silent', '--show-error', '--fail', '--output', destination, url];
  const timed = await access(GNU_TIME).then(
    () => true,
    () => false,
  );
  let lastCost: ExternalCost | undefined;
  const bench: BenchCase = {
    bytes: spec.size,
    async run() {
      if (!timed) {
        await execFileAsync('curl', curlArgs);
        return;
      }
      // %U %S: user and system seconds; %M: peak RSS in KiB.
      const { stderr } = await execFileAsync(GNU_TIME, ['-f', `${MARKER} %U %S %M`, 'curl', ...curlArgs]);
      const match = new RegExp(`${MARKER} ([\\d.]+) ([\\d.]+) (\\d+)`).exec(stderr);
      lastCost = match ? { cpuSec: Number(match[1]) + Number(match[2]), maxRssMiB: Number(match[3]) / 1024 } : undefined;
    },
    externalCost: () => lastCost,
    verify: () => assertFile(destination, spec.size, spec.expectedCrc32c),
    afterEach: () => rm(destination, { force: true }),
    close: () => rm(destination, { force: true }),
  };
  return bench;
};

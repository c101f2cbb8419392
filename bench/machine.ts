/** The machine a run was measured on, for the report header and the README. */
import { execFile } from 'node:child_process';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { promisify } from 'node:util';
import type { MachineInfo } from './results.js';

/** curl's version line, or undefined when curl is not installed. */
export async function curlVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('curl', ['--version']);
    return stdout.split('\n')[0]?.split(' ').slice(0, 2).join(' ');
  } catch {
    return undefined;
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const curl = await curlVersion();
  return {
    cpus: cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    os: `${type()} ${release()}`,
    node: process.version,
    ...(curl ? { curl } : {}),
  };
}

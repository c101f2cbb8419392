/**
 * Parent side of `case-runner.ts`: forks a fresh Node process, hands it the cases, relays its progress and
 * returns what it measured. The child's `maxRSS` is the kernel's peak for a process that ran nothing else.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { WorkerError } from '../src/errors.js';
import type { CaseMeasurement, RunRequest, RunnerMessage } from './case-protocol.js';
import { siblingRuntime, type ChildRuntime } from './child-module.js';

export interface ChildRun {
  measurements: CaseMeasurement[];
  /** Peak RSS of the whole child process, MiB. */
  maxRssMiB: number;
}

/** How long a child may linger after reporting before it is killed (open sockets in a peer library...). */
const EXIT_GRACE_MS = 3_000;

export async function runInChild(
  request: Omit<RunRequest, 'type'>,
  onMessage: (message: RunnerMessage) => void = () => undefined,
  options: { signal?: AbortSignal; runtime?: ChildRuntime } = {},
): Promise<ChildRun> {
  const runtime = options.runtime ?? siblingRuntime();
  const child = fork(runtime.entry('case-runner'), [], {
    execArgv: runtime.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const exited = once(child, 'exit').catch(() => [null]);
  let outcome: ChildRun | WorkerError | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const lingerAtMost = (): void => {
    graceTimer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
  };
  child.on('message', (message: RunnerMessage) => {
    if (message.type === 'done') {
      outcome = { measurements: message.measurements, maxRssMiB: message.maxRssMiB };
      lingerAtMost();
    } else if (message.type === 'failed') {
      const label = request.cases.length > 1 ? `case ${message.caseIndex + 1}/${request.cases.length}: ` : '';
      outcome = new WorkerError(`${label}${message.message}`);
      if (message.stack) outcome.stack = message.stack;
      lingerAtMost();
    } else onMessage(message);
  });
  child.send({ type: 'run', ...request } satisfies RunRequest);

  try {
    const [code] = await exited;
    if (outcome === undefined) throw new WorkerError(`bench child process exited (code ${String(code)}) without a result`);
    if (outcome instanceof WorkerError) throw outcome;
    return outcome;
  } finally {
    clearTimeout(graceTimer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

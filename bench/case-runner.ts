/**
 * Child-process entry that runs cases with tinybench and reports back over IPC. A fresh process per headline
 * case makes the kernel's peak-RSS figure describe that case alone (see `measure.ts`).
 *
 * tinybench settings follow its advice for long asynchronous work: `concurrency: null` (the transfer brings
 * its own concurrency), `time: 0` with a small `iterations`, `throws: true`. Each iteration times itself and
 * hands tinybench the duration (`overriddenDuration`), so the CPU figure covers exactly the timed interval.
 */
import { Bench } from 'tinybench';
import type { CaseMeasurement, RunRequest, RunnerMessage } from './case-protocol.js';
import type { BenchCase } from './cases/case.js';
import { closeSharedResources, createCase } from './cases/registry.js';
import { redactText } from '../src/util/redact.js';
import { maxRssMiB, measureIteration, RssSampler } from './measure.js';

function send(message: RunnerMessage): void {
  process.send?.(message);
}

/** The case being run, so a failure names it. */
let currentCase = -1;

async function runCases(request: RunRequest): Promise<CaseMeasurement[]> {
  const measurements: CaseMeasurement[] = [];
  try {
    for (const [caseIndex, spec] of request.cases.entries()) {
      currentCase = caseIndex;
      const benchCase = await createCase(spec);
      try {
        measurements.push(await measureCase(benchCase, caseIndex, request));
      } finally {
        await benchCase.close();
      }
    }
  } finally {
    await closeSharedResources();
  }
  return measurements;
}

async function measureCase(benchCase: BenchCase, caseIndex: number, request: RunRequest): Promise<CaseMeasurement> {
  let iteration = 0;

  const warm = request.warmup === 'each' || (request.warmup === 'first' && caseIndex === 0);
  if (warm) {
    await benchCase.run();
    await benchCase.verify?.();
    await benchCase.afterEach?.();
  }

  const samplesMs: number[] = [];
  const cpuSec: number[] = [];
  const mainBusySec: number[] = [];
  let externalMaxRssMiB: number | undefined;
  let costUnknown = false;
  const sampler = new RssSampler().start();
  const bench = new Bench({
    iterations: request.iterations,
    time: 0,
    warmup: false,
    throws: true,
    concurrency: null,
    retainSamples: true,
  });
  bench.add(
    `case ${caseIndex}`,
    async () => {
      const cost = await measureIteration(() => benchCase.run());
      const external = benchCase.externalCost?.();
      if (external) externalMaxRssMiB = Math.max(externalMaxRssMiB ?? 0, external.maxRssMiB);
      else if (benchCase.externalCost) costUnknown = true;
      samplesMs.push(cost.ms);
      cpuSec.push(cost.cpuSec + (external?.cpuSec ?? 0));
      mainBusySec.push(cost.mainBusySec);
      send({ type: 'iteration', caseIndex, iteration, ms: cost.ms });
      return { overriddenDuration: cost.ms };
    },
    {
      async: true,
      async afterEach() {
        // Verification reads the result back; do it once, untimed, so a broken harness cannot report speed.
        if (iteration === 0 && !warm) await benchCase.verify?.();
        await benchCase.afterEach?.();
        iteration++;
      },
    },
  );
  await bench.run();
  const sampledPeakRssMiB = sampler.stop();
  const result = bench.tasks[0]?.result;
  const rme = result && 'latency' in result ? result.latency.rme : Number.NaN;
  return {
    bytes: benchCase.bytes,
    samplesMs,
    cpuSec,
    mainBusySec,
    rme,
    sampledPeakRssMiB,
    ...(externalMaxRssMiB === undefined ? {} : { externalMaxRssMiB }),
    ...(costUnknown ? { costUnknown } : {}),
  };
}

// Orphaned (the bench was killed): stop measuring for nobody.
const orphaned = (): never => process.exit(1);
process.once('disconnect', orphaned);

/** Sends the last message and lets the process end once the channel has flushed it. */
function finish(message: RunnerMessage): void {
  send(message);
  process.off('disconnect', orphaned);
  process.disconnect?.();
}

process.once('message', (request: RunRequest) => {
  runCases(request).then(
    (measurements) => {
      finish({ type: 'done', measurements, maxRssMiB: maxRssMiB() });
    },
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : '';
      finish({
        type: 'failed',
        caseIndex: currentCase,
        message: redactText(`${err.name}: ${err.message}${cause}`),
        ...(err.stack ? { stack: redactText(err.stack) } : {}),
      });
    },
  );
});

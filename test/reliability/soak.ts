/**
 * `npm run soak`: the model-based test across days (SOAK_MODEL_RUNS=2000 runs from the base
 * seed; `MODEL_SEED=<seed> MODEL_PATH=<path> npx vitest run test/reliability/scan-model.test.ts`
 * replays a failure) and the fault matrix over many more seeds than `npm test` runs.
 *
 * Defaults: SOAK_RUNS=520 in-process runs (40 × the 13 scenarios) and SOAK_KILL_RUNS=30 SIGKILL
 * runs of the CLI, from a random base seed that is printed (SOAK_BASE_SEED=n fixes it;
 * `FAULT_SEED=n npx vitest run test/reliability/fault-matrix.test.ts` replays one in-process
 * run, `FAULT_SEED=n npx vitest run test/reliability/sigkill.test.ts` one SIGKILL run). Prints
 * the figures tables (markdown) and exits 1 if any run lost, invented or garbled an event.
 * About 5 minutes on 2 cores.
 */
import fc from 'fast-check';
import { type FaultStack, startFaultStack } from '../support/fault-stack.ts';
import { Figures, type RunReport, runInProcess, runKilled } from './fault-matrix.ts';
import { ModelFigures, modelProperty } from './scan-model.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const runs = Number(process.env.SOAK_RUNS ?? 520);
const modelRuns = Number(process.env.SOAK_MODEL_RUNS ?? 2000);
const killRuns = Number(process.env.SOAK_KILL_RUNS ?? 30);
const base = process.env.SOAK_BASE_SEED
  ? Number(process.env.SOAK_BASE_SEED)
  : 100_000 + Math.floor(Math.random() * 1_000_000);

async function soak(
  title: string,
  count: number,
  run: (fs: FaultStack, seed: number) => Promise<RunReport>,
): Promise<Figures> {
  const figures = new Figures();
  const fs = await startFaultStack();
  const started = Date.now();
  try {
    for (let i = 0; i < count; i++) {
      const seed = base + i;
      const report = await run(fs, seed);
      figures.add(report);
      if (report.problems.length > 0) {
        console.error(
          `PROBLEM FAULT_SEED=${seed} (${report.scenario}, ${JSON.stringify(report.faults)}, ${report.outcomes.join(' ')}): ${report.problems.slice(0, 5).join('; ')}`,
        );
      }
      if ((i + 1) % 50 === 0)
        console.error(`${title}: ${i + 1}/${count} runs, ${figures.failedRuns} with a problem`);
    }
  } finally {
    await fs.close();
  }
  console.log(
    figures.table(
      `${title}: ${count} runs, seeds ${base}..${base + count - 1}, ${Math.round((Date.now() - started) / 1000)} s`,
    ),
  );
  return figures;
}

console.error(
  `soak: base seed ${base}, ${modelRuns} model-based runs, ${runs} in-process runs, ${killRuns} SIGKILL runs`,
);

/** The model-based test across days (scan-model.ts) from the base seed: new histories each soak. */
async function soakModel(): Promise<number> {
  const figures = new ModelFigures();
  const started = Date.now();
  const result = await fc.check(modelProperty(figures), { seed: base, numRuns: modelRuns });
  console.log(
    figures.table(
      `Soak, model-based scans across days: fast-check seed ${base}, ${modelRuns} runs, ${Math.round((Date.now() - started) / 1000)} s`,
    ),
  );
  if (result.failed) {
    console.error(
      `PROBLEM model-based MODEL_SEED=${base} MODEL_PATH=${result.counterexamplePath}: ${fc.defaultReportMessage(result)}`,
    );
    return 1;
  }
  return 0;
}

const modelFailed = await soakModel();
const results = [
  await soak('Soak, in-process fault matrix', runs, (fs, seed) => runInProcess(fs, seed, 'soak')),
  await soak('Soak, SIGKILL of the CLI', killRuns, (fs, seed) => runKilled(fs, seed, 'soak-kill')),
];
const failed = modelFailed + results.reduce((sum, f) => sum + f.failedRuns + f.lost + f.unexpected, 0);
process.exitCode = failed > 0 ? 1 : 0;

/**
 * The fault matrix in `npm test`: IN_PROCESS_RUNS seeded runs with faults at Gleantap, SNS
 * and DynamoDB, a deadline mid-scan and two polls at once (see fault-matrix.ts), judged by the
 * subscriber model (test/support/subscriber-model.ts) against the simulator's ground truth. The seeds are FAULT_BASE_SEED (default 1000) onwards;
 * `FAULT_SEED=n npx vitest run test/reliability` replays run n alone. The SIGKILL runs live in
 * sigkill.test.ts so the two files run in parallel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultStack, startFaultStack } from '../support/fault-stack.ts';
import { Figures, MAX_RECOVERY_POLLS, PRIMARY, runInProcess, seedsFrom } from './fault-matrix.ts';

const IN_PROCESS_RUNS = Number(process.env.FAULT_RUNS ?? 126); // 9 × the 14 scenarios
const seeds = seedsFrom(process.env, IN_PROCESS_RUNS, 1000);

describe(`fault matrix (${seeds.length} runs, seeds ${seeds[0]}..${seeds.at(-1)})`, () => {
  let fs: FaultStack;
  const figures = new Figures();
  beforeAll(async () => {
    fs = await startFaultStack();
  });
  afterAll(async () => {
    await fs?.close();
    console.log(figures.table(`Fault matrix, in-process (seeds ${seeds[0]}..${seeds.at(-1)})`));
  });

  it('loses nothing, repeats only with the same id and body, and leaves snapshots equal to the source', async () => {
    const failures: string[] = [];
    for (const seed of seeds) {
      const report = await runInProcess(fs, seed);
      figures.add(report);
      if (report.problems.length > 0)
        failures.push(
          `FAULT_SEED=${seed} (${report.scenario}, faults ${JSON.stringify(report.faults)}, polls ${report.outcomes.join(' ')}): ${report.problems.slice(0, 5).join('; ')}`,
        );
    }
    expect(failures).toEqual([]);
    expect(figures.lost).toBe(0);
    expect(figures.unexpected).toBe(0);
    expect(figures.maxRecoveryPolls).toBeLessThanOrEqual(2 * MAX_RECOVERY_POLLS);
    if (seeds.length >= PRIMARY.length) {
      // Every scenario ran, and the faults really fired (not only scheduled).
      expect(Object.keys(figures.scenarios).sort()).toEqual([...PRIMARY].sort());
      expect(figures.expected).toBeGreaterThan(seeds.length);
      for (const kind of [
        'gleantap-429',
        'gleantap-500',
        'gleantap-hang',
        'gleantap-truncated',
        'gleantap-html',
        'gleantap-drift',
      ])
        for (const position of ['first', 'middle', 'last'])
          expect(figures.faults[`${kind}@${position}`] ?? 0, `${kind}@${position}`).toBeGreaterThan(0);
    }
  }, 600_000);
});

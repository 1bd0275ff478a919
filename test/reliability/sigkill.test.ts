/**
 * The CLI killed with SIGKILL at random points between fetch, publish and commit: KILL_RUNS
 * seeded runs (each costs a child process, about 1-3 s), then polls until one completes and a
 * check against the simulator's ground truth (see runKilled in fault-matrix.ts). Seeds are
 * FAULT_BASE_SEED (default 5000) onwards; `FAULT_SEED=n` replays run n alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultStack, startFaultStack } from '../support/fault-stack.ts';
import { Figures, runKilled, seedsFrom } from './fault-matrix.ts';

const KILL_RUNS = Number(process.env.KILL_RUNS ?? 12);
const seeds = seedsFrom(process.env, KILL_RUNS, 5000);

describe(`SIGKILL matrix (${seeds.length} runs, seeds ${seeds[0]}..${seeds.at(-1)})`, () => {
  let fs: FaultStack;
  const figures = new Figures();
  beforeAll(async () => {
    fs = await startFaultStack();
  });
  afterAll(async () => {
    await fs?.close();
    console.log(figures.table(`SIGKILL runs (seeds ${seeds[0]}..${seeds.at(-1)})`));
  });

  it('a process killed anywhere loses nothing and repeats only with the same id and body', async () => {
    const failures: string[] = [];
    for (const seed of seeds) {
      const report = await runKilled(fs, seed);
      figures.add(report);
      if (report.problems.length > 0)
        failures.push(
          `FAULT_SEED=${seed} (${report.outcomes.join(' ')}): ${report.problems.slice(0, 5).join('; ')}`,
        );
    }
    expect(failures).toEqual([]);
    expect(figures.lost).toBe(0);
    if (seeds.length >= 8) {
      // Most runs really were killed mid-way (a few may finish before their kill point).
      const killed = Object.entries(figures.faults)
        .filter(([kind]) => kind.startsWith('SIGKILL'))
        .reduce((sum, [, n]) => sum + n, 0);
      expect(killed).toBeGreaterThanOrEqual(seeds.length / 2);
      expect(figures.duplicates + figures.expected).toBeGreaterThan(0);
    }
  }, 300_000);
});

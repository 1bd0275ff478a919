/**
 * The model-based test across days in `npm test` (issue 12, item 8): MODEL_RUNS runs (default
 * 200) from a fixed fast-check seed, so every CI run checks the same histories. A failure
 * prints the seed, the path and the shortest command list fast-check found; replay one with
 * `MODEL_SEED=<seed> MODEL_PATH=<path> npx vitest run test/reliability/scan-model.test.ts`.
 * `npm run soak` runs 2,000 more from new seeds. See scan-model.ts for what a run does.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFigures, modelProperty } from './scan-model.ts';

const RUNS = Number(process.env.MODEL_RUNS ?? 300);
const SEED = Number(process.env.MODEL_SEED ?? 20_261_201);
const PATH = process.env.MODEL_PATH;

describe(`model-based scans across days (${RUNS} runs, fast-check seed ${SEED})`, () => {
  const figures = new ModelFigures();
  afterAll(() => {
    console.log(figures.table(`Model-based test (fast-check seed ${SEED}, ${RUNS} runs)`));
  });

  it('a subscriber ends equal to the population, every opt-out that held across two complete polls was announced, no sequence carries two contents', async () => {
    const started = Date.now();
    await fc.assert(modelProperty(figures), {
      seed: SEED,
      numRuns: RUNS,
      ...(PATH === undefined ? {} : { path: PATH }),
      endOnFailure: false,
    });
    expect(figures.runs).toBeGreaterThanOrEqual(PATH === undefined ? RUNS : 1);
    expect(figures.lost).toBe(0);
    console.log(`model-based test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);
});

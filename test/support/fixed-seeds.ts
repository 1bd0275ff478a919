/**
 * Vitest setup file: every fast-check property in `npm test` runs from one fixed seed, so the
 * suite is deterministic (a random failure must not decide whether a change lands). fast-check
 * prints the seed and path of a failure; `FC_SEED=n` runs the suite from another seed, and a
 * property that sets its own `seed` keeps it.
 */
import fc from 'fast-check';

const DEFAULT_SEED = 20_261_130;
const raw = process.env.FC_SEED;
const seed = raw === undefined || raw === '' ? DEFAULT_SEED : Number(raw);
if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be a whole number, not ${raw}`);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });

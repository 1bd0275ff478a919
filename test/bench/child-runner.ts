/**
 * Builds the benchmark child (poll-child.ts) into one ESM file with esbuild and runs jobs in
 * fresh `node` processes, so each figure is the CPU and memory of that job's process alone.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startNode } from '../support/node-process.ts';
import type { ChildJob, ChildResult, LatencyDayJob } from './jobs.ts';
import type { DayResult } from './latency-sim.ts';

export type { ChildJob, ChildResult } from './jobs.ts';

/** What latency-child.ts prints. */
export interface LatencyDayOutput {
  readonly job: LatencyDayJob;
  readonly cpuMs: number;
  readonly result: DayResult;
}

const ENTRY = fileURLToPath(new URL('./poll-child.ts', import.meta.url));
const REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** The simulated-day child (latency-child.ts). */
export const LATENCY_ENTRY = fileURLToPath(new URL('./latency-child.ts', import.meta.url));

/** Bundles a child (poll-child.ts unless told) once; returns the path of the .mjs file. */
export async function buildChild(entry = ENTRY): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gleantap-bench-'));
  const outfile = join(dir, `${basename(entry, '.ts')}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    logLevel: 'error',
  });
  return outfile;
}

/** Runs one job in a fresh node process with `env`; rejects with its stderr when it fails. */
export async function runChild(
  file: string,
  job: ChildJob,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<ChildResult> {
  const { done } = startNode([...nodeArgs, file, JSON.stringify(job)], env);
  const { code, stdout, stderr } = await done;
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || line === '')
    throw new Error(`bench child ${job.kind} exited ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(line);
}

/** Runs one simulated day in a fresh node process; rejects with its stderr when it fails. */
export async function runLatencyDay(
  file: string,
  job: LatencyDayJob,
  env: Record<string, string>,
): Promise<LatencyDayOutput> {
  const { done } = startNode([file, JSON.stringify(job)], env);
  const { code, stdout, stderr } = await done;
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || line === '') throw new Error(`latency child exited ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(line);
}

/**
 * The CLI as a child process that a test can kill at a moment of its choosing (runCliProcess
 * in harness.ts only waits for it to end).
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliRun } from './harness.ts';
import { startNode } from './node-process.ts';

const CLI = fileURLToPath(new URL('../../bin/gleantap-notifier.js', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited, however it ended. */
  readonly done: Promise<CliRun>;
}

/** Starts `node bin/gleantap-notifier.js <args>` with only PATH, HOME and `env`. */
export function startCliProcess(args: readonly string[], env: Readonly<Record<string, string>>): CliProcess {
  return startNode([CLI, ...args], {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...env,
  });
}

/**
 * The CLI as a child process that a test can kill at a moment of its choosing (runCliProcess
 * in harness.ts only waits for it to end).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliRun } from './harness.ts';

const CLI = fileURLToPath(new URL('../../bin/gleantap-notifier.js', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited, however it ended. */
  readonly done: Promise<CliRun>;
}

/** Starts `node bin/gleantap-notifier.js <args>` with only PATH, HOME and `env`. */
export function startCliProcess(args: readonly string[], env: Readonly<Record<string, string>>): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

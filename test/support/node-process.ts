/** A `node` child process whose output a test or the bench reads once it has ended. */
import { type ChildProcess, spawn } from 'node:child_process';

export interface NodeRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface NodeProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited, however it ended; rejects if it could not start. */
  readonly done: Promise<NodeRun>;
}

/** Starts `node <args>` with exactly `env` (nothing inherited), collecting stdout and stderr. */
export function startNode(args: readonly string[], env: Readonly<Record<string, string>>): NodeProcess {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<NodeRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

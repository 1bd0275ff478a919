/**
 * What every command shares (the CLI contract of DESIGN.md "Operator CLI"): the process's
 * io, the exit statuses, and the error that means bad usage (exit 2). A module of its own so
 * that the commands beside main.ts import it without importing main.ts back.
 */
import type { Environment } from '../config.ts';
import { EXIT_INTERRUPTED } from './interrupts.ts';

/** The process as a command sees it: environment, output streams, interrupts. */
export interface CliIo {
  readonly env: Environment;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when stderr is a terminal: long scans then show a progress line. */
  readonly stderrIsTty?: boolean;
  /** Aborted by Ctrl-C or SIGTERM: commands stop at their next safe point. */
  readonly signal?: AbortSignal;
  /**
   * Registers what must be undone if the process is forced to exit before its safe point
   * (a second Ctrl-C, or the grace period passing): releasing a lease. Returns the unregister.
   */
  readonly onForcedExit?: (cleanup: () => Promise<void>) => () => void;
}

/** Exit statuses of the CLI contract. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: EXIT_INTERRUPTED } as const;

/** Bad usage or configuration: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Ctrl-C and SIGTERM for the CLI. The first signal aborts `signal`: a poll stops at its next
 * page boundary, saves its checkpoint and releases its lease, and the command exits 130. If
 * that safe point does not come within the grace period (a slow page, a long retry), or a
 * second signal arrives, the registered cleanups run (each releases a lease this process
 * holds) and the process exits 130 anyway: stopping mid-page is safe (every page records its
 * intent before it publishes), but a lease left behind would make every poll for the next
 * quarter of an hour exit 0 without polling.
 */

/** The exit status after an interrupt (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** How long a command may take to reach its safe point after the first signal. */
export const INTERRUPT_GRACE_MS = 4_000;

/** How long the cleanups of a forced exit may take. */
const CLEANUP_LIMIT_MS = 2_000;

export interface InterruptsOptions {
  /** Ends the process. */
  readonly exit: (code: number) => void;
  /** Where the one-line notices go (stderr). */
  readonly notify: (text: string) => void;
  /** @default INTERRUPT_GRACE_MS */
  readonly graceMs?: number;
}

/** The process's interrupt state: the signal commands watch, and what to undo before a forced exit. */
export class Interrupts {
  readonly #controller = new AbortController();
  readonly #cleanups = new Set<() => Promise<void>>();
  readonly #options: InterruptsOptions;
  #forcing = false;

  constructor(options: InterruptsOptions) {
    this.#options = options;
  }

  /** Aborted by the first interrupt. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /**
   * Registers work that must run if the process is forced to exit (release a lease).
   * @returns a function that unregisters it
   */
  onForcedExit(cleanup: () => Promise<void>): () => void {
    this.#cleanups.add(cleanup);
    return () => this.#cleanups.delete(cleanup);
  }

  /** Handles one SIGINT or SIGTERM. */
  interrupt(signal: string): void {
    if (this.#controller.signal.aborted) {
      void this.#force(`${signal} again: stopping now.`);
      return;
    }
    this.#options.notify(`${signal}: stopping at the next safe point (a second ${signal} stops now).\n`);
    this.#controller.abort(new Error(`Interrupted by ${signal}.`));
    const timer = setTimeout(
      () => void this.#force('The safe point did not come in time: stopping now.'),
      this.#options.graceMs ?? INTERRUPT_GRACE_MS,
    );
    timer.unref();
  }

  async #force(why: string): Promise<void> {
    if (this.#forcing) return;
    this.#forcing = true;
    this.#options.notify(`${why}\n`);
    const cleanups = [...this.#cleanups].map((cleanup) => cleanup().catch(() => undefined));
    await Promise.race([
      Promise.all(cleanups),
      new Promise((resolve) => setTimeout(resolve, CLEANUP_LIMIT_MS).unref()),
    ]);
    this.#options.exit(EXIT_INTERRUPTED);
  }
}

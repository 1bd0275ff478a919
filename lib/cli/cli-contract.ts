/**
 * What every command shares (the CLI contract of DESIGN.md "Operator CLI"): the process's
 * io, the exit statuses, the error that means bad usage (exit 2), and the two ways a command
 * turns its input into usage errors: its flags and its configuration. A module of its own so
 * that the commands beside main.ts import it without importing main.ts back.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type ConfigNeeds, type Environment, loadConfig, type NotifierConfig } from '../config.ts';
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

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs returns for a strict parse of `T` (named, so the declarations can name it). */
export type ParsedArguments<T extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>
>;

/**
 * A command's flags and operands, parsed strictly (node:util parseArgs): an unknown flag or a
 * missing value is bad usage. @throws UsageError with parseArgs's message.
 */
export function parseArguments<const T extends OptionsConfig>(
  args: string[],
  options: T,
  allowPositionals = true,
): ParsedArguments<T> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A command's flags, for a command that takes no operands. @throws UsageError as parseArguments. */
export function parseOptions<const T extends OptionsConfig>(
  args: string[],
  options: T,
): ParsedArguments<T>['values'] {
  return parseArguments(args, options, false).values;
}

/**
 * The configuration from the environment, typed by what the command needs (see loadConfig).
 * @throws UsageError listing every problem, one a line.
 */
export function requireConfig<const N extends ConfigNeeds>(env: Environment, needs: N): NotifierConfig<N> {
  const result = loadConfig(env, needs);
  if (!result.ok)
    throw new UsageError(`Bad configuration:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`);
  return result.config;
}

/**
 * The apps a command runs for: its `--app-id` flags, else GLEANTAP_APP_IDS, without repeats.
 * @throws UsageError for an empty id, or when neither names an app.
 */
export function appIdsFrom(flagValues: string[] | undefined, config: NotifierConfig): string[] {
  const ids = flagValues && flagValues.length > 0 ? flagValues : [...config.appIds];
  for (const id of ids) if (!id.trim()) throw new UsageError('--app-id must not be empty.');
  if (ids.length === 0) throw new UsageError('No app to poll: set GLEANTAP_APP_IDS or pass --app-id.');
  return [...new Set(ids)];
}

/**
 * The CLI as a process: wires signals, stdout and stderr to runCli and sets the exit code.
 * Two entry points use it: bin/gleantap-notifier.ts (the installed CLI) and
 * dev/gleantap-notifier.ts (a clone's, which adds the commands that live in dev/).
 */
import { Interrupts } from './interrupts.ts';
import { type CloneCommands, runCli } from './main.ts';

/** Runs the CLI on process.argv; sets process.exitCode (the process ends when its work does). */
export async function runCliAsProcess(clone: CloneCommands = {}): Promise<void> {
  // Ctrl-C or SIGTERM: stop at the next safe point (lease released, exit 130); a second one, or
  // the grace period passing, releases the lease and exits at once (see interrupts.ts).
  const interrupts = new Interrupts({
    exit: (code) => process.exit(code),
    notify: (text) => process.stderr.write(text),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => interrupts.interrupt(signal));

  const code = await runCli(
    process.argv.slice(2),
    {
      env: process.env,
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      stderrIsTty: process.stderr.isTTY === true,
      signal: interrupts.signal,
      onForcedExit: (cleanup) => interrupts.onForcedExit(cleanup),
    },
    clone,
  );
  // An interrupt that arrived after the command's last safe point still ends in 130.
  process.exitCode = interrupts.signal.aborted && code === 0 ? 130 : code;
}

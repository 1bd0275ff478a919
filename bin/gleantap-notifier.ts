/**
 * Entry point of `npx gleantap-notifier`: wires the process to the CLI and sets the exit code.
 * All behaviour lives in lib/cli/main.ts, which tests drive in-process.
 */
import { Interrupts } from '../lib/cli/interrupts.ts';
import { runCli } from '../lib/cli/main.ts';

// Ctrl-C or SIGTERM: stop at the next safe point (lease released, exit 130); a second one, or
// the grace period passing, releases the lease and exits at once (see lib/cli/interrupts.ts).
const interrupts = new Interrupts({
  exit: (code) => process.exit(code),
  notify: (text) => process.stderr.write(text),
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => interrupts.interrupt(signal));

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
  signal: interrupts.signal,
  onForcedExit: (cleanup) => interrupts.onForcedExit(cleanup),
});
// An interrupt that arrived after the command's last safe point still ends in 130.
process.exitCode = interrupts.signal.aborted && code === 0 ? 130 : code;

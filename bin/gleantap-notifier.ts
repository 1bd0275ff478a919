/**
 * Entry point of `npx gleantap-notifier`: wires the process to the CLI and sets the exit code.
 * All behaviour lives in lib/cli/main.ts, which tests drive in-process.
 */
import { runCli } from '../lib/cli/main.ts';

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  // First Ctrl-C stops gracefully (the demo finishes its current poll); a second one exits.
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
});

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
  signal: controller.signal,
});

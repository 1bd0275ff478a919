/**
 * Entry point of the installed `npx gleantap-notifier`. All behaviour lives in
 * lib/cli/main.ts, which tests drive in-process. A clone of the repository runs
 * dev/gleantap-notifier.ts instead (see gleantap-notifier.js), which adds `local`.
 */
import { runCliAsProcess } from '../lib/cli/process-entry.ts';

await runCliAsProcess();

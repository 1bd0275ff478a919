/**
 * Entry point of `npx gleantap-notifier` (and `npm start`) in a clone of the repository: the
 * installed CLI plus the commands whose code lives here in dev/, which the package does not
 * ship (`local`, the embedded demo).
 */
import { runCliAsProcess } from '../lib/cli/process-entry.ts';
import { runLocalDemo } from './local-demo.ts';

await runCliAsProcess({ local: runLocalDemo });

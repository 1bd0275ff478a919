#!/usr/bin/env node
// In a clone of the repository the CLI runs straight from its TypeScript sources right after
// `npm ci` (no build step): tsx registers its loader, then the clone's entry point is imported
// (dev/gleantap-notifier.ts: the CLI plus `local`, whose simulator and stand-ins live in dev/).
// The installed package ships neither dev/ nor sources, only the compiled entry under dist/.
import { existsSync } from 'node:fs';

// The AWS SDK warns on every Node 20 start that future releases will need Node 22. The
// CLI supports Node 20 (the deployed Lambda runs 22), so the warning is noise on stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
if (existsSync(new URL('../dev/gleantap-notifier.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../dev/gleantap-notifier.ts');
} else {
  await import('../dist/bin/gleantap-notifier.js');
}

#!/usr/bin/env node
// In the repository the CLI runs straight from its TypeScript sources right after `npm ci`
// (no build step): tsx registers its loader, then the real entry point is imported. The
// installed package ships no sources, only the compiled entry under dist/.
import { existsSync } from 'node:fs';

// The AWS SDK warns on every Node 20 start that future releases will need Node 22. The
// CLI supports Node 20 (the deployed Lambda runs 22), so the warning is noise on stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
if (existsSync(new URL('./gleantap-notifier.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./gleantap-notifier.ts');
} else {
  await import('../dist/bin/gleantap-notifier.js');
}

#!/usr/bin/env node
// Runs the TypeScript CLI straight from source right after `npm ci` (no build step):
// tsx registers its loader, then the real entry point is imported.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every Node 20 start that future releases will need Node 22. The
// CLI supports Node 20 (the deployed Lambda runs 22), so the warning is noise on stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('./gleantap-notifier.ts');

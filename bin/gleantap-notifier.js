#!/usr/bin/env node
// Runs the TypeScript CLI straight from source right after `npm ci` (no build step):
// tsx registers its loader, then the real entry point is imported.
import { register } from 'tsx/esm/api';

register();
await import('./gleantap-notifier.ts');

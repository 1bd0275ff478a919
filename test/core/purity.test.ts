/**
 * lib/core must stay pure: no AWS, HTTP or CDK imports (enforced by Biome's
 * noRestrictedImports override in biome.json), no environment and no clock.
 *
 * Biome 2.6's `lint --stdin-file-path` cannot be used for this: it prints no diagnostics
 * and exits 1 for every input ("The contents aren't fixed"), clean or not. So the probe
 * is a real file under lib/core/ in a temporary copy of the project layout, linted with
 * the repository's own biome.json.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const biome = join(repo, 'node_modules', '.bin', 'biome');
const sandbox = mkdtempSync(join(tmpdir(), 'core-purity-'));
copyFileSync(join(repo, 'biome.json'), join(sandbox, 'biome.json'));
mkdirSync(join(sandbox, 'lib', 'core'), { recursive: true });
mkdirSync(join(sandbox, 'lib', 'aws'), { recursive: true });
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

interface LintResult {
  readonly exitCode: number;
  readonly rules: string[];
}

function lint(relativePath: string, source: string): Promise<LintResult> {
  writeFileSync(join(sandbox, relativePath), source);
  return new Promise((resolve, reject) => {
    // The sandbox is not a git repository; the repository's VCS settings would make Biome refuse to run.
    execFile(
      biome,
      ['lint', '--vcs-enabled=false', '--reporter=json', '--max-diagnostics=50', relativePath],
      { cwd: sandbox },
      (error, stdout) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        try {
          const report: { diagnostics?: { category?: string }[] } = JSON.parse(stdout);
          resolve({ exitCode, rules: (report.diagnostics ?? []).map((d) => d.category ?? '') });
        } catch {
          reject(new Error(`biome printed no JSON report (exit ${exitCode}): ${stdout}`));
        }
      },
    );
  });
}

const impure = [
  "import { SNSClient } from '@aws-sdk/client-sns';",
  "import { request } from 'undici';",
  'export const clients = [SNSClient, request];',
  '',
].join('\n');

const pure = ["import { createHash } from 'node:crypto';", '', 'export const hash = createHash;', ''].join(
  '\n',
);

describe('lib/core purity lint', () => {
  it('rejects AWS SDK and undici imports in lib/core with noRestrictedImports', async () => {
    const result = await lint('lib/core/probe.ts', impure);
    expect(result.exitCode).not.toBe(0);
    expect(result.rules.filter((rule) => rule === 'lint/style/noRestrictedImports')).toHaveLength(2);
  });

  it.each([
    ["import { App } from 'aws-cdk-lib';", 1],
    ["import { Topic } from 'aws-cdk-lib/aws-sns';", 1],
    ["import { request } from 'node:https';", 1],
    ["import { fetch } from 'undici/index.js';", 1],
    ["import { Logger } from '@aws-lambda-powertools/logger';", 1],
  ])('rejects %s', async (line, count) => {
    const result = await lint('lib/core/probe.ts', `${line}\n\nexport const x = 1;\n`);
    expect(result.rules.filter((rule) => rule === 'lint/style/noRestrictedImports')).toHaveLength(count);
  });

  it('passes a clean lib/core source', async () => {
    expect(await lint('lib/core/probe.ts', pure)).toEqual({ exitCode: 0, rules: [] });
  });

  it('does not restrict the adapters', async () => {
    expect((await lint('lib/aws/probe.ts', impure)).rules).not.toContain('lint/style/noRestrictedImports');
  });
});

describe('lib/core reads no environment and no clock', () => {
  const coreDir = join(repo, 'lib', 'core');
  const sources = readdirSync(coreDir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({ name, text: readFileSync(join(coreDir, name), 'utf8') }));

  it('has sources to check', () => {
    expect(sources.map((s) => s.name)).toContain('customer.ts');
  });

  it.each([
    ['process.env', /\bprocess\s*\.\s*env\b/],
    ['process at all', /\bprocess\s*\./],
    ['Date.now()', /\bDate\s*\.\s*now\s*\(/],
    ['new Date() without an argument', /\bnew\s+Date\s*\(\s*\)/],
    ['performance.now()', /\bperformance\s*\.\s*now\s*\(/],
    ['Math.random()', /\bMath\s*\.\s*random\s*\(/],
  ])('no source uses %s', (_, pattern) => {
    expect(sources.filter((s) => pattern.test(s.text)).map((s) => s.name)).toEqual([]);
  });
});

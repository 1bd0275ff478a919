import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The CLI path CI uses: `cdk.json` → tsx → bin/app.ts → esbuild bundling of the real handler,
 * cdk-nag and the cfn-guard Control Tower rules (a finding not acknowledged fails the synth),
 * offline, with cdk-nag registered as a validation plugin. One synth for the whole file.
 */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const SYNTH_TIMEOUT_MS = 180_000;

interface SynthResult {
  readonly code: number;
  readonly stderr: string;
}

async function cdk(args: readonly string[], outdir: string): Promise<SynthResult> {
  try {
    const { stderr } = await run('npx', ['cdk', ...args, '-o', outdir], {
      cwd: root,
      timeout: SYNTH_TIMEOUT_MS,
      maxBuffer: 32 * 1024 * 1024,
      // No credentials and no network: the synth must not need them.
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_VERSION_CHECK: 'true' },
    });
    return { code: 0, stderr };
  } catch (error) {
    const failure = error as { code?: number; stderr?: string };
    return {
      code: typeof failure.code === 'number' ? failure.code : -1,
      stderr: failure.stderr ?? String(error),
    };
  }
}

describe('npx cdk synth', () => {
  let outdir: string;
  let synth: SynthResult;
  let badContext: SynthResult;

  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'gleantap-synth-'));
    // Both at once: each is mostly process start-up and waiting.
    [synth, badContext] = await Promise.all([
      cdk(['synth', '--no-notices', '-c', 'gleantap:appIds=a,b'], outdir),
      cdk(['synth', '--no-notices', '-c', 'gleantap:pageSize=5000'], join(outdir, 'bad')),
    ]);
  }, SYNTH_TIMEOUT_MS);

  afterAll(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('exits 0 and writes a template with the bundled poller, dispatcher and watchdog', async () => {
    expect(synth.stderr).not.toMatch(/Error/);
    expect(synth.code).toBe(0);
    const template = JSON.parse(await readFile(join(outdir, 'GleantapNotifier.template.json'), 'utf8'));
    const resources = Object.values(
      template.Resources as Record<string, { Type: string; Properties: never }>,
    );
    expect(resources.filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(3);
    expect(JSON.stringify(template)).not.toContain('ReservedConcurrentExecutions');
    const assets = JSON.parse(await readFile(join(outdir, 'GleantapNotifier.assets.json'), 'utf8'));
    const bundles = Object.values(assets.files as Record<string, { source: { path: string } }>).filter((f) =>
      f.source.path.startsWith('asset.'),
    );
    expect(bundles).toHaveLength(3);
    for (const bundle of bundles) {
      const code = await readFile(join(outdir, bundle.source.path, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire } from 'module';")).toBe(true);
    }
  });

  it('fails with a message naming an invalid context key', () => {
    expect(badContext.code).not.toBe(0);
    expect(badContext.stderr).toMatch(/gleantap:pageSize/);
    expect(badContext.stderr).not.toMatch(/^\s+at /m);
  });
});

/**
 * The package as a user gets it: `npm pack` (which builds through `prepack`), the tarball
 * unpacked into a fresh project outside the repo whose node_modules holds only the
 * package's declared dependencies (linked from this repo's node_modules: no network, no
 * registry), then a consumer that imports every entry point is type-checked and run, and
 * the CLI is run from the installed package.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FixtureMessage, historyMessages, member, sqsRecord } from '../subscriber/event-fixtures.ts';
import { type LocalDynamo, startLocalDynamo } from '../subscriber/local-dynamodb.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const manifestSchema = z.object({
  name: z.string(),
  version: z.string(),
  dependencies: z.record(z.string(), z.string()),
  peerDependencies: z.record(z.string(), z.string()).optional(),
  exports: z.record(z.string(), z.unknown()),
  private: z.boolean().optional(),
});

const CONSUMER = `
import { App, Stack } from 'aws-cdk-lib';
import { GleantapChangeNotifier } from 'gleantap-notifier';
import { EVENT_SCHEMAS, EVENT_TYPE_NAMES, type GleantapNotifierEvent } from 'gleantap-notifier/events';
import { createSqsHandler, parseEvent, type SqsEventLike } from 'gleantap-notifier/subscriber';
import { readFileSync } from 'node:fs';

const applied: string[] = [];
const note = (event: GleantapNotifierEvent): void => {
  applied.push(event.type + '@' + String(event.sequence));
};
// The store comes from GLEANTAP_SUBSCRIBER_TABLE_NAME, as in a deployed subscriber.
const handler = createSqsHandler({
  onCreated: note,
  onUpdated: note,
  onOptoutChanged: note,
  onDeleted: note,
});
const batch: SqsEventLike = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8'));
const response = await handler(batch);

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'Consumer');
const notifier = new GleantapChangeNotifier(stack, 'Notifier', { appIds: ['studio-1'] });
const template = app.synth().getStackByName('Consumer').template as { Resources: Record<string, { Type: string }> };

console.log(
  JSON.stringify({
    failures: response.batchItemFailures.map((f) => f.itemIdentifier),
    applied,
    types: EVENT_TYPE_NAMES,
    schemas: Object.keys(EVENT_SCHEMAS).length,
    parsed: parseEvent(batch.Records[0]).type,
    topic: typeof notifier.topic.topicArn,
    functions: Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').length,
  }),
);
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    outDir: 'out',
    types: ['node'],
  },
  include: ['consumer.ts'],
};

/** Every bare module name the compiled JavaScript imports (static and dynamic). */
const importedPackages = async (dir: string): Promise<Set<string>> => {
  const names = new Set<string>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const text = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
    const specifiers = [
      ...text.matchAll(/\bfrom\s*"([^"\s]+)";/g),
      ...text.matchAll(/\bimport\s*"([^"\s]+)";/g),
      ...text.matchAll(/\bimport\(\s*"([^"\s]+)"\s*\)/g),
    ];
    for (const match of specifiers) {
      const specifier = match[1] ?? '';
      if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier))
        continue;
      const parts = specifier.split('/');
      names.add(specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier));
    }
  }
  return names;
};

/** The environment of a process of the consumer: local credentials, dynalite, no SDK noise. */
const localEnv = (endpoint: string, extra: Record<string, string>): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  ...extra,
});

describe('the installed package', () => {
  let work: string;
  let project: string;
  let installed: string;
  let manifest: z.infer<typeof manifestSchema>;
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'gleantap-notifier-pack-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', work], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const tarball = path.join(work, stdout.trim().split('\n').pop() ?? '');
    project = path.join(work, 'consumer');
    installed = path.join(project, 'node_modules', 'gleantap-notifier');
    await mkdir(installed, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    manifest = manifestSchema.parse(JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8')));
    // Only what the package declares (and what a CDK app of the consumer's own brings).
    const linked = [...Object.keys(manifest.dependencies), 'aws-cdk-lib', 'constructs', '@types/node'];
    for (const name of linked) {
      const target = path.join(project, 'node_modules', name);
      await mkdir(path.dirname(target), { recursive: true });
      await symlink(path.join(ROOT, 'node_modules', name), target, 'dir');
    }
    await writeFile(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await writeFile(path.join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    // A CDK app's NodejsFunction finds the project root by its lock file.
    await writeFile(
      path.join(project, 'package-lock.json'),
      JSON.stringify({
        name: 'consumer',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'consumer' } },
      }),
    );
    await writeFile(path.join(project, 'consumer.ts'), CONSUMER);
    dynamo = await startLocalDynamo();
  }, 300_000);

  afterAll(async () => {
    await dynamo?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is publishable, ships compiled JavaScript with declarations, and no TypeScript sources', async () => {
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.exports)).toEqual(expect.arrayContaining(['.', './subscriber', './events']));
    const files = (await readdir(installed, { recursive: true })).map(String);
    expect(files).toContain(path.join('dist', 'lib', 'subscriber', 'index.js'));
    expect(files).toContain(path.join('dist', 'lib', 'subscriber', 'index.d.ts'));
    expect(files).toContain(path.join('dist', 'functions', 'poller', 'handler.js'));
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('test') || f.startsWith('dev'))).toEqual([]);
    expect(files.filter((f) => f.includes('local-stack') || f.includes('simulator'))).toEqual([]);
  });

  it('imports only the packages it declares', async () => {
    const declared = new Set([
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const undeclared = [...(await importedPackages(path.join(installed, 'dist')))].filter(
      (name) => !declared.has(name),
    );
    expect(undeclared).toEqual([]);
  });

  it('type-checks and runs a consumer of every entry point that handles a duplicate, a stale and a malformed record', async () => {
    const [[created], [updated], [renamed]] = historyMessages('studio-1', [
      member('42'),
      member('42', { phone: '555-0100' }),
      member('42', { lastname: 'Byron' }),
    ]) as [[FixtureMessage], [FixtureMessage], [FixtureMessage]];
    const batch = {
      Records: [
        sqsRecord('1', created.message),
        sqsRecord('2', renamed.message),
        sqsRecord('3', renamed.message), // duplicate
        sqsRecord('4', updated.message), // stale
        sqsRecord('5', '{"specversion":"1.0","type":"customer.updated"}'), // malformed
      ],
    };
    await writeFile(path.join(project, 'batch.json'), JSON.stringify(batch));
    await run(process.execPath, [TSC, '-p', project], { cwd: project });

    const client = dynamo.client();
    const { createApplyOnceTable } = await import('../../lib/subscriber/dynamo-apply-once-store.ts');
    await createApplyOnceTable(client, 'consumer-state');
    const { stdout, stderr } = await run(process.execPath, ['out/consumer.js', 'batch.json'], {
      cwd: project,
      env: localEnv(dynamo.endpoint, { GLEANTAP_SUBSCRIBER_TABLE_NAME: 'consumer-state' }),
    });
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
    expect(stderr).toBe('');
    expect(result).toEqual({
      failures: ['5'],
      applied: [
        `customer.created@${String(created.event.sequence)}`,
        `customer.updated@${String(renamed.event.sequence)}`,
      ],
      types: ['customer.created', 'customer.updated', 'customer.optout_changed', 'customer.deleted'],
      schemas: 4,
      parsed: 'customer.created',
      topic: 'string',
      functions: expect.any(Number),
    });
    // The poller and the functions beside it, bundled from the compiled entries the package ships.
    expect(result.functions).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('runs the CLI from the installed package', async () => {
    const bin = path.join(installed, 'bin', 'gleantap-notifier.js');
    const help = await run(process.execPath, [bin, '--help'], { cwd: project });
    expect(help.stdout).toContain('Usage: gleantap-notifier <command>');
    const created = await run(process.execPath, [bin, 'create-table'], {
      cwd: project,
      env: localEnv(dynamo.endpoint, { NOTIFIER_TABLE_NAME: 'installed-cli' }),
    });
    expect(created.stdout).toContain('installed-cli');
    // The demo's simulator and stand-ins live in dev/, which the package does not ship.
    const local = await run(process.execPath, [bin, 'local', '--cycles', '1'], { cwd: project }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
    );
    expect(local).toEqual({ code: 2, stderr: expect.stringContaining('only a clone of the repository has') });
  });
});

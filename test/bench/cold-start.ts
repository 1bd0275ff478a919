/**
 * Cold start: bundles the poller handler with the stack's own esbuild settings (those that
 * NotifierFunction passes to NodejsFunction in lib/infra/notifier-function.ts) and a naive
 * reference handler with the same settings, then imports each bundle in fresh node processes
 * and times the module initialisation.
 */
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../../lib/infra/notifier-function.ts';
import { startNode } from '../support/node-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const POLLER_ENTRY = join(ROOT, 'functions/poller/handler.ts');
export const REFERENCE_ENTRY = join(ROOT, 'test/bench/reference-handler.ts');
const INFRA_SOURCE = join(ROOT, 'lib/infra/notifier-function.ts');

/**
 * The settings NodejsFunction turns NotifierFunction's `bundling` into. Checked against the
 * construct's source on every run, so the bench fails loudly instead of measuring a stale copy.
 */
const STACK_SETTINGS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  banner: { js: ESM_REQUIRE_BANNER },
  // bundleAwsSDK: true and externalModules: [] — nothing is left external.
  external: [],
};

const EXPECTED_IN_INFRA = [
  'format: OutputFormat.ESM',
  "target: 'node22'",
  "mainFields: ['module', 'main']",
  'banner: ESM_REQUIRE_BANNER',
  'minify: true',
  'sourceMap: true',
  'sourcesContent: false',
  'bundleAwsSDK: true',
  'externalModules: []',
];

export interface BundleFigures {
  readonly bytes: number;
  readonly file: string;
  /** Bytes in the output per package (or project directory), largest first. */
  readonly byPackage: readonly { readonly name: string; readonly bytes: number }[];
}

async function checkSettings(): Promise<void> {
  const source = await readFile(INFRA_SOURCE, 'utf8');
  const missing = EXPECTED_IN_INFRA.filter((line) => !source.includes(line));
  if (missing.length > 0)
    throw new Error(
      `lib/infra/notifier-function.ts no longer has ${missing.join(', ')}: update cold-start.ts`,
    );
}

function packageOf(path: string): string {
  const at = path.lastIndexOf('node_modules/');
  if (at === -1) return path.split('/').slice(0, 2).join('/');
  const rest = path.slice(at + 'node_modules/'.length).split('/');
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? path);
}

function byPackage(metafile: Metafile): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = packageOf(path);
      totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Bundles `entry` with the stack's settings into `dir`. */
export async function bundle(entry: string, dir: string, name: string): Promise<BundleFigures> {
  await checkSettings();
  const outfile = join(dir, `${name}.mjs`);
  const result = await build({
    ...STACK_SETTINGS,
    entryPoints: [entry],
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  if (result.metafile === undefined) throw new Error('esbuild returned no metafile');
  return { bytes: (await stat(outfile)).size, file: outfile, byPackage: byPackage(result.metafile) };
}

/** Imports the bundle in a fresh node process; returns the time to import and its CPU, ms. */
async function importOnce(file: string): Promise<{ wallMs: number; cpuMs: number }> {
  const script = `const c0 = process.cpuUsage(); const t0 = performance.now();
await import(${JSON.stringify(pathToFileURL(file).href)});
const wall = performance.now() - t0; const c = process.cpuUsage(c0);
console.log(JSON.stringify({ wallMs: wall, cpuMs: (c.user + c.system) / 1000 }));`;
  const { code, stdout, stderr } = await startNode(['--input-type=module', '-e', script], {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  }).done;
  if (code !== 0) throw new Error(`importing ${file} exited ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout);
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export interface ColdStartFigures {
  readonly poller: BundleFigures & { readonly initMs: number; readonly initCpuMs: number };
  readonly reference: BundleFigures & { readonly initMs: number; readonly initCpuMs: number };
}

/** Builds both bundles and times `runs` alternating imports of each. */
export async function measureColdStart(runs = 7): Promise<ColdStartFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'gleantap-cold-'));
  const poller = await bundle(POLLER_ENTRY, dir, 'poller');
  const reference = await bundle(REFERENCE_ENTRY, dir, 'reference');
  const times = {
    poller: [] as { wallMs: number; cpuMs: number }[],
    reference: [] as { wallMs: number; cpuMs: number }[],
  };
  await importOnce(poller.file); // warms the OS file cache for both
  await importOnce(reference.file);
  for (let i = 0; i < runs; i++) {
    times.poller.push(await importOnce(poller.file));
    times.reference.push(await importOnce(reference.file));
  }
  return {
    poller: {
      ...poller,
      initMs: median(times.poller.map((t) => t.wallMs)),
      initCpuMs: median(times.poller.map((t) => t.cpuMs)),
    },
    reference: {
      ...reference,
      initMs: median(times.reference.map((t) => t.wallMs)),
      initCpuMs: median(times.reference.map((t) => t.cpuMs)),
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = await measureColdStart();
  for (const [name, f] of Object.entries(figures)) {
    console.log(name, f.bytes, 'init', f.initMs.toFixed(0), 'cpu', f.initCpuMs.toFixed(0));
    console.log(
      f.byPackage
        .slice(0, 12)
        .map((p: { name: string; bytes: number }) => `${p.name} ${(p.bytes / 1024).toFixed(0)}K`)
        .join(', '),
    );
  }
}

/**
 * The measured side of the benchmark: one job per process, so the process's CPU time and
 * peak RSS are the poller's alone (the stand-ins run in the parent). The parent bundles this
 * file with esbuild and runs it with plain `node`, so no TypeScript loader sits in the figures.
 *
 * argv[2] is the job as JSON; stdout gets one JSON line with the result.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { createAwsClients } from '../../lib/adapters.ts';
import { DynamoStateStore } from '../../lib/aws/dynamo-state-store.ts';
import { SnsPublisher } from '../../lib/aws/sns-publisher.ts';
import { loadConfig } from '../../lib/config.ts';
import { createGleantapClient } from '../../lib/gleantap/client.ts';
import { pollApp } from '../../lib/poll.ts';
import type { Log } from '../../lib/ports.ts';
import type { ChildJob, ChildResult } from './jobs.ts';
import { WARMUP_APP } from './jobs.ts';
import { naiveLoop, seedNaiveState } from './naive-loop.ts';

const silent: Log = { debug() {}, info() {}, warn() {}, error() {} };

function parseJob(text: string | undefined): ChildJob {
  if (text === undefined) throw new Error('poll-child: pass the job as JSON in argv[2]');
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || !('kind' in value) || !('appId' in value))
    throw new Error('poll-child: the job needs kind and appId');
  const { kind, appId } = value;
  if (typeof appId !== 'string') throw new Error('poll-child: appId must be a string');
  const updatedSince =
    'updatedSince' in value && typeof value.updatedSince === 'string' ? value.updatedSince : undefined;
  const warm = 'warm' in value && value.warm === true;
  if (kind === 'poll') {
    const liveHeapAt =
      'liveHeapAt' in value && typeof value.liveHeapAt === 'number' ? value.liveHeapAt : undefined;
    return {
      kind,
      appId,
      warm,
      prefetch: !('prefetch' in value) || value.prefetch !== false,
      ...(liveHeapAt === undefined ? {} : { liveHeapAt }),
    };
  }
  if (kind === 'naive' || kind === 'naive-seed' || kind === 'floor' || kind === 'floor-heads')
    return { kind, appId, warm, ...(updatedSince ? { updatedSince } : {}) };
  throw new Error(`poll-child: unknown job kind ${String(kind)}`);
}

/** The live heap after the last forced GC at the end of a scan (jobs with `liveHeapAt`), bytes. */
let liveHeapBytes: number | undefined;

/**
 * Forces a full GC and records the heap still in use. Called from the poll's progress
 * callback after its last page, while the scan's own state (the page in hand, the recent
 * commits, the SDK clients) is still reachable: what is left is the working set.
 */
function recordLiveHeap(): void {
  const collect = globalThis.gc;
  if (collect === undefined) throw new Error('poll-child: liveHeapAt needs node --expose-gc');
  collect();
  liveHeapBytes = process.memoryUsage().heapUsed;
}

async function run(
  job: ChildJob,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ fetched: number; detail: Record<string, unknown> }> {
  const loaded = loadConfig(env, { credentials: true, table: true, topic: true, aws: true });
  if (!loaded.ok) throw new Error(loaded.problems.join(' '));
  const config = loaded.config;
  const credentials = config.credentials;
  if (credentials?.kind !== 'keys' || !config.tableName || !config.topicArn)
    throw new Error('poll-child: needs local keys, a table and a topic');
  const keys = { apiKey: credentials.apiKey, secretKey: credentials.secretKey };

  if (job.kind === 'floor' || job.kind === 'floor-heads') {
    // The floor: fetch the same pages over a keep-alive pool and JSON.parse them, nothing else.
    const agent = new Agent({ keepAliveTimeout: 10_000 });
    const aws = job.kind === 'floor-heads' ? createAwsClients(config, { env }) : undefined;
    const store = aws && new DynamoStateStore({ client: aws.dynamodb, tableName: config.tableName });
    let fetched = 0;
    let heads = 0;
    try {
      for (let offset = 0; ; ) {
        const body: Record<string, string | number> = { app_id: job.appId, limit: 1000, offset };
        if (job.updatedSince) body.updated_since = job.updatedSince;
        const response = await request(`${config.gleantapBaseUrl}/v2/ExternalApi/getCustomers`, {
          method: 'POST',
          dispatcher: agent,
          headers: {
            'content-type': 'application/json',
            'x-api-key': keys.apiKey,
            'x-secret-key': keys.secretKey,
          },
          body: JSON.stringify(body),
        });
        const parsed: unknown = JSON.parse(await response.body.text());
        const members =
          typeof parsed === 'object' &&
          parsed !== null &&
          'members' in parsed &&
          Array.isArray(parsed.members)
            ? parsed.members
            : [];
        fetched += members.length;
        offset += members.length;
        if (store) {
          const ids = members.map((m: { id?: unknown }) => String(m.id));
          heads += (await store.getSnapshotHeads(job.appId, ids)).size;
        }
        if (members.length < 1000) break;
      }
    } finally {
      await agent.close();
      aws?.destroy();
    }
    return { fetched, detail: store ? { heads } : {} };
  }

  const aws = createAwsClients(config, { env });
  const source = createGleantapClient({
    baseUrl: config.gleantapBaseUrl,
    ...keys,
    prefetch: job.kind === 'poll' ? job.prefetch : false,
  });
  try {
    if (job.kind === 'poll') {
      const summary = await pollApp(
        {
          source,
          store: new DynamoStateStore({ client: aws.dynamodb, tableName: config.tableName }),
          publisher: new SnsPublisher({ client: aws.sns, topicArn: config.topicArn }),
          log: silent,
          clock: () => new Date(),
        },
        {
          ...(job.liveHeapAt === undefined
            ? {}
            : {
                onProgress: ({ fetched }: { readonly fetched: number }) => {
                  if (fetched >= (job.liveHeapAt ?? Number.POSITIVE_INFINITY)) recordLiveHeap();
                },
              }),
          appId: job.appId,
          owner: `bench-${process.pid}`,
          lookbackDays: config.lookbackDays,
          pageSize: config.pageSize,
          watchedFields: config.watchedFields,
        },
      );
      if (summary.outcome !== 'complete')
        throw new Error(`poll ended ${summary.outcome}: ${summary.error ?? ''}`);
      return { fetched: summary.fetched, detail: { ...summary } };
    }
    const naive = {
      dynamodb: aws.dynamodb,
      sns: aws.sns,
      tableName: config.tableName,
      topicArn: config.topicArn,
      source,
      appId: job.appId,
      watchedFields: config.watchedFields,
      ...(job.updatedSince ? { updatedSince: job.updatedSince } : {}),
    };
    if (job.kind === 'naive-seed') {
      const written = await seedNaiveState(naive);
      return { fetched: written, detail: {} };
    }
    const result = await naiveLoop(naive);
    return { fetched: result.fetched, detail: { ...result } };
  } finally {
    await source.close();
    aws.destroy();
  }
}

/**
 * This process's peak resident set, KiB. On Linux, `VmHWM` of /proc/self/status: the
 * high-water mark of the address space `exec` gave this process. Not `resourceUsage().maxRSS`
 * (getrusage's ru_maxrss), which Linux carries across exec: a child forked from a bench
 * parent holding 300k simulated customers would report the parent's size (a fetch-only
 * child measured 381 MB that way).
 */
async function peakRssKb(): Promise<number> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    if (match?.[1]) return Number(match[1]);
  } catch {
    // Not Linux: getrusage is the best there is.
  }
  return process.resourceUsage().maxRSS;
}

/**
 * Starts one of V8's sampling profilers; the returned function stops it and writes the
 * profile. `cpu`: 100 µs samples (.cpuprofile). `heap`: allocations that lived long enough to
 * reach the old generation, i.e. what V8 sizes its heap for (.heapprofile).
 */
async function startProfiler(kind: 'cpu' | 'heap'): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  if (kind === 'cpu') {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
  } else {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 8192,
      includeObjectsCollectedByMajorGC: true,
    });
  }
  return async (file) => {
    const { profile } = (await post(kind === 'cpu' ? 'Profiler.stop' : 'HeapProfiler.stopSampling')) as {
      profile: unknown;
    };
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  };
}

const job = parseJob(process.argv[2]);
if (job.warm) {
  // A warm Lambda container: the SDK's lazy modules, endpoint rules and schema caches, the
  // connection pools' first sockets are paid once per container, not per poll. Warm up on an
  // empty app through un-counted endpoints, so the measured job is a steady-state poll.
  const direct = process.env.BENCH_DIRECT_DYNAMODB;
  await run(
    { ...job, appId: WARMUP_APP, warm: false },
    direct ? { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: direct } : process.env,
  );
}
const idleRssKb = Math.round(process.memoryUsage.rss() / 1024);
// BENCH_CPU_PROFILE=file.cpuprofile or BENCH_HEAP_PROFILE=file.heapprofile profiles the
// measured job alone (not start-up or warm-up), for Chrome DevTools or speedscope; either
// adds some CPU and memory of its own to the figures.
const profileFile = process.env.BENCH_CPU_PROFILE ?? process.env.BENCH_HEAP_PROFILE;
const profiler = profileFile
  ? await startProfiler(process.env.BENCH_CPU_PROFILE ? 'cpu' : 'heap')
  : undefined;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { fetched, detail } = await run(job);
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await profiler?.(profileFile ?? '');
const result: ChildResult = {
  job,
  userUs: cpu.user,
  systemUs: cpu.system,
  wallMs,
  maxRssKb: await peakRssKb(),
  idleRssKb,
  fetched,
  ...(liveHeapBytes === undefined ? {} : { liveHeapKb: Math.round(liveHeapBytes / 1024) }),
  detail,
};
process.stdout.write(`${JSON.stringify(result)}\n`);

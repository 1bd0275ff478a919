import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '../../dev/local-stack.ts';
import { createHandler } from '../../functions/poller/handler.ts';
import { DynamoStateStore } from '../../lib/aws/dynamo-state-store.ts';
import { runCli } from '../../lib/cli/main.ts';
import { METRICS_NAMESPACE } from '../../lib/metric-names.ts';
import { type LocalFleet, startLocalFleet } from '../support/local-fleet.ts';

/**
 * The deployed shape on this machine: apps in the registry, the dispatcher enqueuing one poll
 * per due app and tick on the FIFO poll queue (SQS stand-in), and the poller consuming it with
 * a bounded concurrency, against dynalite, the SNS stand-in and the Gleantap simulator.
 */
const APPS = Array.from({ length: 200 }, (_, i) => `studio-${String(i).padStart(3, '0')}`);
const MAX_CONCURRENCY = 8;
const T0 = new Date('2026-03-02T10:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

describe('the fleet: registry, dispatcher, poll queue and poller on the local stand-ins', () => {
  let stack: LocalStack;
  let fleet: LocalFleet;
  let store: DynamoStateStore;
  let dynamodb: DynamoDBClient;
  /** Polls started per app, and the most polls of one app that ran at the same time. */
  const started = new Map<string, number>();
  const running = new Map<string, number>();
  let mostAtOnceForOneApp = 0;
  let mostAtOnce = 0;

  beforeAll(async () => {
    stack = await startLocalStack({ appIds: [] });
    for (const [i, appId] of APPS.entries()) stack.gleantap.app(appId).seed(3, { seed: i + 1 });
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const poller = createHandler({ env: stack.env, logger: new Logger({ logLevel: 'SILENT' }), metrics });
    fleet = await startLocalFleet(stack, {
      maxConcurrency: MAX_CONCURRENCY,
      poller: async (event) => {
        const appIds = (event as { Records: { body: string }[] }).Records.map(
          (r) => (JSON.parse(r.body) as { appId: string }).appId,
        );
        for (const appId of appIds) {
          started.set(appId, (started.get(appId) ?? 0) + 1);
          running.set(appId, (running.get(appId) ?? 0) + 1);
          mostAtOnceForOneApp = Math.max(mostAtOnceForOneApp, running.get(appId) ?? 0);
        }
        const total = [...running.values()].reduce((a, b) => a + b, 0);
        mostAtOnce = Math.max(mostAtOnce, total);
        try {
          return await poller(event, {
            awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
            getRemainingTimeInMillis: () => 240_000,
          });
        } finally {
          for (const appId of appIds) running.set(appId, (running.get(appId) ?? 1) - 1);
        }
      },
    });
    dynamodb = new DynamoDBClient({
      endpoint: stack.dynamodbEndpoint,
      region: stack.sns.region,
      credentials: LOCAL_CREDENTIALS,
    });
    store = new DynamoStateStore({ client: dynamodb, tableName: stack.tableName });
    for (const appId of APPS) await fleet.registry.add(appId, minutes(-10));
  }, 60_000);

  afterAll(async () => {
    await fleet?.close();
    dynamodb?.destroy();
    await stack?.close();
  });

  it('polls every registered app once per tick, a retried tick adds nothing, and no app twice at once', async () => {
    const first = await fleet.dispatch(T0);
    expect(first).toMatchObject({ registered: 200, enqueued: 200, failed: [] });
    // The scheduler retrying the same tick: same deduplication ids, nothing enqueued twice.
    await fleet.dispatch(T0);
    await fleet.consumer.drained();
    expect(started.size).toBe(200);
    expect([...started.values()].every((n) => n === 1)).toBe(true);

    // Two ticks enqueued before either drains: each app's two polls run one after the other.
    await fleet.dispatch(minutes(5));
    await fleet.dispatch(minutes(10));
    await fleet.consumer.drained();
    expect([...started.values()].every((n) => n === 3)).toBe(true);
    expect(mostAtOnceForOneApp).toBe(1);
    expect(mostAtOnce).toBeLessThanOrEqual(MAX_CONCURRENCY);
    expect(mostAtOnce).toBeGreaterThan(1);

    const states = await store.getPollStates(APPS);
    expect(states.size).toBe(200);
    for (const state of states.values()) {
      expect(state.lastPoll?.outcome).toBe('complete');
      expect(state.watermark).not.toBeNull();
    }
  }, 120_000);

  it('polls an app added with the CLI at the next tick, and stops polling one removed', async () => {
    stack.gleantap.app('new-studio').seed(5, { seed: 99 });
    const io = (lines: string[]) => ({
      env: fleet.env,
      stdout: (text: string) => lines.push(text),
      stderr: () => {},
    });
    const out: string[] = [];
    expect(await runCli(['apps', 'add', 'new-studio'], io(out))).toBe(0);
    expect(await runCli(['apps', 'remove', 'studio-000'], io(out))).toBe(0);
    expect(out.join('')).toMatch(/Added app new-studio[\s\S]*Removed app studio-000/);

    const listed: string[] = [];
    expect(await runCli(['apps', 'list', '--json'], io(listed))).toBe(0);
    const ids = listed.map((line) => (JSON.parse(line) as { app_id: string }).app_id);
    expect(ids).toHaveLength(200);
    expect(ids).toContain('new-studio');
    expect(ids).not.toContain('studio-000');

    const tick = await fleet.dispatch(minutes(15));
    expect(tick.enqueued).toBe(200);
    await fleet.consumer.drained();
    expect(started.get('new-studio')).toBe(1);
    expect(started.get('studio-000')).toBe(3);
    const state = await store.getPollState('new-studio');
    expect(state?.lastPoll).toMatchObject({ outcome: 'complete', mode: 'baseline' });
    expect(state?.lastPoll?.counts.fetched).toBe(5);
  }, 120_000);

  it('rejects an invalid app id with exit status 2, naming it', async () => {
    const errors: string[] = [];
    const status = await runCli(['apps', 'add', 'bad#id'], {
      env: fleet.env,
      stdout: () => {},
      stderr: (text) => errors.push(text),
    });
    expect(status).toBe(2);
    expect(errors.join('')).toMatch(/"bad#id" is not an app id/);
  });
});

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '../../dev/local-stack.ts';
import { createHandler } from '../../functions/poller/handler.ts';
import { createWatchdogHandler } from '../../functions/watchdog/handler.ts';
import { DynamoAppRegistry } from '../../lib/aws/app-registry.ts';
import { assessFleet } from '../../lib/core/app-health.ts';
import { METRICS_NAMESPACE, MetricName } from '../../lib/metric-names.ts';

const context = { awsRequestId: 'req', getRemainingTimeInMillis: () => 240_000 };

describe('the watchdog against dynalite', () => {
  let stack: LocalStack;
  let dynamodb: DynamoDBClient;
  let registry: DynamoAppRegistry;

  beforeAll(async () => {
    stack = await startLocalStack({ appIds: [] });
    dynamodb = new DynamoDBClient({
      endpoint: stack.dynamodbEndpoint,
      region: stack.sns.region,
      credentials: LOCAL_CREDENTIALS,
    });
    registry = new DynamoAppRegistry({ client: dynamodb, tableName: stack.tableName });
  });
  afterAll(async () => {
    dynamodb.destroy();
    await stack.close();
  });

  it('reports the app that was not polled, and the one whose poll failed, as counts and ids', async () => {
    const now = new Date();
    const longAgo = new Date(now.getTime() - 60 * 60_000);
    for (const appId of ['polled', 'never-polled', 'broken']) {
      stack.gleantap.app(appId).seed(2, { seed: 3 });
      await registry.add(appId, longAgo);
    }
    await registry.add('on-hold', longAgo, { paused: true });
    const quiet = new Logger({ logLevel: 'SILENT' });
    const pollerMetrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    vi.spyOn(pollerMetrics, 'publishStoredMetrics').mockImplementation(() => pollerMetrics);
    const poller = createHandler({ env: stack.env, logger: quiet, metrics: pollerMetrics });
    await poller({ appId: 'polled' }, context);
    const failing = createHandler({
      env: { ...stack.env, GLEANTAP_SECRET_KEY: 'revoked' },
      logger: quiet,
      metrics: pollerMetrics,
    });
    await expect(failing({ appId: 'broken' }, context)).rejects.toThrow(/broken failed/);

    const logger = new Logger({ logLevel: 'SILENT' });
    const warned = vi.spyOn(logger, 'warn');
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const added = vi.spyOn(metrics, 'addMetric');
    const watchdog = createWatchdogHandler({ env: stack.env, dynamodb, logger, metrics });
    const health = await watchdog();

    expect(health.stale).toEqual(['broken', 'never-polled']);
    expect(health.failing).toEqual(['broken']);
    expect(health).toMatchObject({ registered: 4, paused: 1, healthy: 1 });
    const recorded = Object.fromEntries(added.mock.calls.map(([name, , value]) => [name, value]));
    expect(recorded).toEqual({
      [MetricName.AppsRegistered]: 4,
      [MetricName.AppsStale]: 2,
      [MetricName.AppsFailing]: 1,
    });
    expect(JSON.stringify(warned.mock.calls)).toContain('never-polled');
  });
});

describe('assessFleet', () => {
  const now = new Date('2026-03-02T12:00:00Z');
  const app = (overrides: Partial<Parameters<typeof assessFleet>[0][number]> = {}) => ({
    appId: 'a',
    paused: false,
    intervalMinutes: null,
    addedAt: '2026-03-01T00:00:00Z',
    lastCompleteAt: '2026-03-02T11:50:00Z',
    lastOutcome: 'complete' as const,
    ...overrides,
  });
  const options = { dispatchMinutes: 5, missedPolls: 3 };

  it.each([
    ['a scan 10 min ago, 15 allowed', app(), false],
    ['a scan 16 min ago, 15 allowed', app({ lastCompleteAt: '2026-03-02T11:44:00Z' }), true],
    [
      'polled hourly, a scan 2 h ago',
      app({ intervalMinutes: 60, lastCompleteAt: '2026-03-02T10:30:00Z' }),
      false,
    ],
    [
      'never scanned, added 10 min ago',
      app({ lastCompleteAt: null, addedAt: '2026-03-02T11:50:00Z' }),
      false,
    ],
    ['never scanned, added a day ago', app({ lastCompleteAt: null }), true],
  ])('%s: stale = %s', (_label, input, stale) => {
    expect(assessFleet([input], now, options).stale).toEqual(stale ? ['a'] : []);
  });

  it('counts a paused app as neither stale nor healthy', () => {
    expect(assessFleet([app({ paused: true, lastCompleteAt: null })], now, options)).toEqual({
      registered: 1,
      paused: 1,
      stale: [],
      failing: [],
      healthy: 0,
    });
  });
});

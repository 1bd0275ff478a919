import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../functions/poller/handler.ts';
import { pollDeadline } from '../../lib/core/deadline.ts';
import { METRICS_NAMESPACE, MetricName } from '../../lib/metric-names.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const APP = 'club-9';

function context(remainingMs = 240_000) {
  return {
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    getRemainingTimeInMillis: () => remainingMs,
  };
}

describe('the poller Lambda handler against the local stand-ins', () => {
  let h: Harness;
  let ids: string[];
  let metrics: Metrics;
  let logged: string[];
  let handler: ReturnType<typeof createHandler>;

  beforeAll(async () => {
    h = await startHarness({ appIds: [APP] });
    ids = h.stack.gleantap.app(APP).seed(80, { seed: 5 });
    logged = [];
    const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        logged.push(JSON.stringify(args));
      });
    }
    metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    handler = createHandler({ env: h.stack.env, logger, metrics });
  });
  afterAll(async () => {
    await h.close();
  });

  it('baselines, then publishes a change and records metrics for it', async () => {
    const baseline = await handler({ appId: APP }, context());
    expect(baseline).toMatchObject({ outcome: 'complete', mode: 'baseline', fetched: 80, published: 0 });

    h.stack.gleantap.app(APP).setOptout(String(ids[3]), 'sms', true);
    const added = vi.spyOn(metrics, 'addMetric');
    const summary = await handler({ appId: APP }, context());
    expect(summary).toMatchObject({
      outcome: 'complete',
      mode: 'incremental',
      updated: 1,
      optout_changed: 1,
      published: 2,
    });
    const recorded = Object.fromEntries(added.mock.calls.map(([name, , value]) => [name, value]));
    expect(recorded).toMatchObject({
      [MetricName.PollSucceeded]: 1,
      [MetricName.PollFailed]: 0,
      [MetricName.EventsUpdated]: 1,
      [MetricName.EventsOptoutChanged]: 1,
      [MetricName.Published]: 2,
      [MetricName.CustomersFetched]: 80,
    });
    expect(h.stack.sns.messages()).toHaveLength(2);
  });

  it('stops before the Lambda deadline and the next invocation resumes', async () => {
    const app = h.stack.gleantap.app(APP);
    for (const id of ids) app.update(id, { last_location: `Annex ${id}` });
    // No time left: no page may start.
    const stopped = await handler({ appId: APP }, context(0));
    expect(stopped).toMatchObject({ outcome: 'incomplete', fetched: 0 });
    const resumed = await handler({ appId: APP }, context());
    expect(resumed).toMatchObject({ outcome: 'complete', updated: 80 });
  });

  it('records an EmptyBaseline when the first poll of an app finds no customers', async () => {
    const empty = createHandler({
      env: { ...h.stack.env, GLEANTAP_APP_IDS: `${APP},no-such-studio` },
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
    });
    const added = vi.spyOn(metrics, 'addMetric');
    added.mockClear();
    const summary = await empty({ appId: 'no-such-studio' }, context());
    expect(summary).toMatchObject({ outcome: 'complete', mode: 'baseline', fetched: 0 });
    const recorded = Object.fromEntries(added.mock.calls.map(([name, , value]) => [name, value]));
    expect(recorded).toMatchObject({ [MetricName.EmptyBaseline]: 1, [MetricName.PollSucceeded]: 1 });
  });

  it('flushes PollFailed when the invocation throws before a poll could run (an unreadable secret)', async () => {
    // Secrets Manager on a closed local port: the keys cannot be read.
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', 'http://127.0.0.1:9');
    try {
      const { GLEANTAP_API_KEY: _key, GLEANTAP_SECRET_KEY: _secret, ...rest } = h.stack.env;
      const broken = createHandler({
        env: {
          ...rest,
          GLEANTAP_CREDENTIALS_SECRET_ARN:
            'arn:aws:secretsmanager:us-east-1:123456789012:secret:gleantap-AbCdEf',
        },
        logger: new Logger({ logLevel: 'SILENT' }),
        metrics,
      });
      const added = vi.spyOn(metrics, 'addMetric');
      added.mockClear();
      const published = vi.mocked(metrics.publishStoredMetrics);
      published.mockClear();
      await expect(broken({ appId: APP }, context())).rejects.toThrow();
      expect(added.mock.calls.map(([name, , value]) => [name, value])).toEqual([[MetricName.PollFailed, 1]]);
      expect(published).toHaveBeenCalledTimes(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('adds the Lambda context (request id, cold start) to its logs when Lambda gives it', async () => {
    const logger = new Logger({ logLevel: 'SILENT' });
    const addContext = vi.spyOn(logger, 'addContext');
    const withContext = createHandler({ env: h.stack.env, logger, metrics });
    const full = {
      ...context(),
      functionName: 'poller',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:poller',
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/poller',
      logStreamName: 'stream',
      callbackWaitsForEmptyEventLoop: true,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    await withContext({ appId: APP }, full);
    expect(addContext).toHaveBeenCalledWith(full);
  });

  it('keeps 15 s back from the Lambda timeout, or a quarter of a short one', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(pollDeadline(now, 240_000).getTime() - now.getTime()).toBe(225_000);
    expect(pollDeadline(now, 48_000).getTime() - now.getTime()).toBe(36_000);
    expect(pollDeadline(now, 40_000).getTime() - now.getTime()).toBe(30_000);
    expect(pollDeadline(now, 0).getTime()).toBe(now.getTime());
  });

  it('scans with a 40 s timeout: the handler uses pollDeadline, not a fixed 45 s margin (issue 12)', async () => {
    const app = h.stack.gleantap.app(APP);
    for (const id of ids.slice(0, 5)) app.update(id, { last_location: `Short ${id}` });
    const summary = await handler({ appId: APP }, context(40_000));
    // With the old fixed 45 s margin no page could start: fetched 0, incomplete.
    expect(summary).toMatchObject({ outcome: 'complete', updated: 5 });
  });

  it('rejects bad input with a message that names it, before any request', async () => {
    await expect(handler({}, context())).rejects.toThrow(/appId/);
    await expect(handler({ appId: 'not-configured' }, context())).rejects.toThrow(
      /not-configured.*GLEANTAP_APP_IDS/,
    );
  });

  it('fails the invocation when the poll fails, without advancing the watermark', async () => {
    const before = await h.store.getPollState(APP);
    const failing = createHandler({
      env: { ...h.stack.env, GLEANTAP_SECRET_KEY: 'revoked' },
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
    });
    h.stack.gleantap.app(APP).touch(String(ids[0]));
    await expect(failing({ appId: APP }, context())).rejects.toThrow(/Poll of app club-9 failed/);
    expect((await h.store.getPollState(APP))?.watermark).toBe(before?.watermark);
  });

  it('never logs a customer email, phone or name', () => {
    const people = h.stack.gleantap.app(APP).members();
    const text = logged.join('\n');
    expect(logged.length).toBeGreaterThan(0);
    for (const member of people) {
      if (typeof member !== 'object' || member === null || Array.isArray(member)) continue;
      for (const field of ['email', 'phone', 'firstname', 'lastname'] as const) {
        const value = member[field];
        if (typeof value === 'string' && value.length > 3) expect(text).not.toContain(value);
      }
    }
  });

  it('refuses to start on bad configuration, naming every setting', async () => {
    const bad = createHandler({ env: { GLEANTAP_APP_IDS: APP, NOTIFIER_PAGE_SIZE: 'lots' } });
    const error = await bad({ appId: APP }, context()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(String(error)).toMatch(/NOTIFIER_PAGE_SIZE/);
    expect(String(error)).toMatch(/NOTIFIER_TABLE_NAME/);
    expect(String(error)).toMatch(/EVENTS_TOPIC_ARN/);
    expect(String(error)).toMatch(/GLEANTAP_API_KEY/);
  });
});

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../functions/poller/handler.ts';
import { METRICS_NAMESPACE, MetricName } from '../../lib/metric-names.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const APP = 'club-r';

const context = () => ({
  awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
  getRemainingTimeInMillis: () => 240_000,
});

describe('the poller Lambda handler runs the scheduled reconciliation task', () => {
  let h: Harness;
  let metrics: Metrics;
  let now: Date;
  let handler: ReturnType<typeof createHandler>;
  let logger: Logger;

  beforeAll(async () => {
    h = await startHarness({ appIds: [APP] });
    logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    now = new Date();
    handler = createHandler({ env: h.stack.env, logger, metrics, clock: () => now });
  });
  afterAll(async () => {
    await h.close();
  });

  it('reconciles once a day however often the schedule fires, records metrics, and deletes on the second day', async () => {
    const ids = h.stack.gleantap.app(APP).seed(25, { seed: 9 });
    expect(await handler({ appId: APP }, context())).toMatchObject({ outcome: 'complete', mode: 'baseline' });
    h.stack.gleantap.app(APP).remove(ids[11] ?? '');

    const added = vi.spyOn(metrics, 'addMetric');
    expect(await handler({ appId: APP, task: 'reconcile' }, context())).toMatchObject({
      outcome: 'conclusive',
      missing: 1,
      deleted: 0,
    });
    const recorded = Object.fromEntries(added.mock.calls.map(([name, , value]) => [name, value]));
    expect(recorded).toMatchObject({
      [MetricName.ReconcileMissing]: 1,
      [MetricName.ReconcileRefused]: 0,
      [MetricName.EventsDeleted]: 0,
    });
    // The schedule fires again within the hour: nothing to do until the next day.
    now = new Date(now.getTime() + 15 * 60_000);
    expect(await handler({ appId: APP, task: 'reconcile' }, context())).toMatchObject({ outcome: 'not_due' });

    now = new Date(now.getTime() + 24 * 3_600_000);
    expect(await handler({ appId: APP, task: 'reconcile' }, context())).toMatchObject({
      outcome: 'conclusive',
      deleted: 1,
    });
    expect(h.events().map((e) => [e.type, e.subject])).toEqual([['customer.deleted', ids[11]]]);
  });

  it('an empty answer is refused without failing the invocation, and counted for the alarm', async () => {
    now = new Date(now.getTime() + 24 * 3_600_000);
    h.stack.gleantap.faults.add({ kind: 'empty', page: 'first', appId: APP });
    const added = vi.spyOn(metrics, 'addMetric');
    expect(await handler({ appId: APP, task: 'reconcile' }, context())).toMatchObject({
      outcome: 'refused',
      deleted: 0,
    });
    const recorded = Object.fromEntries(added.mock.calls.map(([name, , value]) => [name, value]));
    expect(recorded[MetricName.ReconcileRefused]).toBe(1);
  });

  it('rejects an unknown task', async () => {
    await expect(handler({ appId: APP, task: 'purge' }, context())).rejects.toThrow(/Bad input/);
  });

  it("counts a scan still unfinished at its interval's last message as failed, and resumes it later", async () => {
    now = new Date(now.getTime() + 24 * 3_600_000);
    const added = vi.spyOn(metrics, 'addMetric');
    const errors = vi.spyOn(logger, 'error');
    const failedCount = () =>
      added.mock.calls.filter(([name]) => name === MetricName.ReconcileFailed).map(([, , value]) => value);
    const outOfTime = { ...context(), getRemainingTimeInMillis: () => 0 };
    // A resume message that is not the last: paused at its deadline, nothing to report yet.
    added.mockClear();
    expect(await handler({ appId: APP, task: 'reconcile' }, outOfTime)).toMatchObject({
      outcome: 'incomplete',
    });
    expect(failedCount()).toEqual([0]);
    // The last message of the interval: the scan cannot conclude, and says so.
    added.mockClear();
    errors.mockClear();
    expect(await handler({ appId: APP, task: 'reconcile', last: true }, outOfTime)).toMatchObject({
      outcome: 'incomplete',
    });
    expect(failedCount()).toEqual([1]);
    expect(JSON.stringify(errors.mock.calls)).toMatch(
      /did not finish within the invocations of its interval/,
    );
    // With time to finish, the paused run resumes and concludes.
    expect(await handler({ appId: APP, task: 'reconcile' }, context())).toMatchObject({
      outcome: 'conclusive',
    });
  });

  const sqsEvent = (...bodies: string[]) => ({
    Records: bodies.map((body, i) => ({ messageId: `m-${i}`, body, eventSource: 'aws:sqs' })),
  });

  it('runs the task a queued message names, and leaves a poll message a poll', async () => {
    now = new Date(now.getTime() + 24 * 3_600_000);
    const added = vi.spyOn(metrics, 'addMetric');
    added.mockClear();
    const out = await handler(
      sqsEvent(JSON.stringify({ appId: APP, task: 'reconcile' }), JSON.stringify({ appId: APP })),
      context(),
    );
    expect(out).toEqual({ batchItemFailures: [] });
    const names = added.mock.calls.map(([name]) => name);
    // One reconciliation (its metrics) and one poll (its metrics), in the queue's order.
    expect(names.filter((name) => name === MetricName.ReconcileRefused)).toHaveLength(1);
    expect(names.filter((name) => name === MetricName.PollSucceeded)).toHaveLength(1);
    expect(names.indexOf(MetricName.ReconcileRefused)).toBeLessThan(names.indexOf(MetricName.PollSucceeded));
  });

  it('reports a message with a bad field as failed, naming the field, and keeps the rest of the batch', async () => {
    const errors = vi.spyOn(logger, 'error');
    const out = await handler(
      sqsEvent(JSON.stringify({ appId: APP, task: 'purge' }), JSON.stringify({ appId: APP })),
      context(),
    );
    // Nothing is deleted: SQS retries both (FIFO order) and dead-letters the bad one.
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-1' }] });
    const logged = JSON.stringify(errors.mock.calls);
    expect(logged).toMatch(/task: /);
    expect(logged).toMatch(/m-0/);
  });
});

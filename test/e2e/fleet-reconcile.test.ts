import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalStack, startLocalStack } from '../../dev/local-stack.ts';
import { createHandler } from '../../functions/poller/handler.ts';
import { parseQueuedTask } from '../../functions/poller/sqs-batch.ts';
import { isReconcileDue, tickOf } from '../../lib/core/dispatch-plan.ts';
import { METRICS_NAMESPACE, MetricName } from '../../lib/metric-names.ts';
import { eventOf } from '../support/harness.ts';
import { type LocalFleet, startLocalFleet } from '../support/local-fleet.ts';

/**
 * The daily reconciliation as deployed: the dispatcher enqueues `{"appId", "task": "reconcile"}`
 * at each app's reconciliation ticks, the poller consumes it from the FIFO poll queue (SQS
 * stand-in) and reconciles; a customer removed from Gleantap is announced deleted by the second
 * day's run, and the resume messages of a finished day do nothing.
 */
const APPS = ['club-a', 'club-b'];
const T0 = new Date('2026-03-02T00:00:00Z');
const MINUTES = 5;
const timeOf = (tick: number) => new Date(tick * MINUTES * 60_000);

describe('the dispatcher schedules reconciliations and the poller runs them from the queue', () => {
  let stack: LocalStack;
  let fleet: LocalFleet;
  let now = T0;
  let clubAIds: string[] = [];
  /** The tasks the poller received per app, in order. */
  const received = new Map<string, string[]>();
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
  const added = vi.spyOn(metrics, 'addMetric');
  const conclusiveRuns = () =>
    added.mock.calls.filter(([name]) => name === MetricName.ReconcileMissing).length;
  const deleted = () =>
    stack.sns
      .messages(stack.topicArn)
      .map((m) => eventOf(m.message, m.messageStructure))
      .filter((e) => e.type === 'customer.deleted')
      .map((e) => [e.source, e.subject]);

  beforeAll(async () => {
    stack = await startLocalStack({ appIds: [] });
    for (const [i, appId] of APPS.entries()) {
      const ids = stack.gleantap.app(appId).seed(20, { seed: 40 + i });
      if (appId === 'club-a') clubAIds = ids;
    }
    const poller = createHandler({
      env: stack.env,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
      clock: () => now,
    });
    fleet = await startLocalFleet(stack, {
      dispatchMinutes: MINUTES,
      reconcileIntervalDays: 1,
      poller: async (event) => {
        for (const record of (event as { Records: { body: string }[] }).Records) {
          const { request } = parseQueuedTask(record.body);
          if (request)
            received.set(request.appId, [
              ...(received.get(request.appId) ?? []),
              request.last ? `${request.task} (last)` : request.task,
            ]);
        }
        return poller(event, {
          awsRequestId: `req-${received.size}`,
          getRemainingTimeInMillis: () => 240_000,
        });
      },
    });
    for (const appId of APPS) await fleet.registry.add(appId, new Date(T0.getTime() - 60_000));
  }, 60_000);

  afterAll(async () => {
    await fleet?.close();
    await stack?.close();
  });

  const tick = async (t: number) => {
    now = timeOf(t);
    const summary = await fleet.dispatch(now);
    await fleet.consumer.drained();
    return summary;
  };

  it('reconciles each app once a day from the queue, and announces a removed customer on the second day', async () => {
    const first = tickOf(T0, MINUTES);
    const clubA = { appId: 'club-a', paused: false, intervalMinutes: null };
    // club-a's first run of the day: a due tick with none due an hour before it.
    const start =
      Array.from({ length: 288 }, (_, k) => first + 20 + k).find(
        (t) => isReconcileDue(clubA, t, MINUTES, 1) && !isReconcileDue(clubA, t - 12, MINUTES, 1),
      ) ?? -1;
    expect(start).toBeGreaterThan(first);

    await tick(first); // the baseline polls (and whatever reconciliation is due then)
    const gone = clubAIds[7] ?? '';
    stack.gleantap.app('club-a').remove(gone);
    received.clear();
    const runsBefore = conclusiveRuns();

    const day1 = await tick(start);
    expect(day1.reconciliations).toBeGreaterThanOrEqual(1);
    expect(received.get('club-a')).toEqual(expect.arrayContaining(['poll', 'reconcile']));
    expect(conclusiveRuns()).toBeGreaterThan(runsBefore);
    expect(deleted()).toEqual([]); // missing once: a suspect, not yet deleted

    // The resume messages of the day find the run finished: nothing scanned, nothing announced.
    const afterDay1 = conclusiveRuns();
    for (const resume of [12, 24, 36]) {
      const summary = await tick(start + resume);
      expect(summary.reconciliations).toBeGreaterThanOrEqual(1);
    }
    // The day's last message says so: a scan still unfinished after it is reported, not silent.
    expect(received.get('club-a')?.filter((task) => task.startsWith('reconcile'))).toEqual([
      'reconcile',
      'reconcile',
      'reconcile',
      'reconcile (last)',
    ]);
    expect(conclusiveRuns()).toBe(afterDay1);

    await tick(start + 288);
    expect(received.get('club-a')?.filter((task) => task.startsWith('reconcile'))).toHaveLength(5);
    expect(deleted()).toEqual([['gleantap:app/club-a', gone]]);
  }, 120_000);
});

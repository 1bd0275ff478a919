/**
 * The poller's second task: a reconciliation of one app, announcing the customers Gleantap no
 * longer returns as deleted. The dispatcher enqueues `{"appId", "task": "reconcile"}` once per
 * reconciliation interval per app, then a few resume messages an hour apart (see
 * `isReconcileDue` in lib/core/dispatch-plan.ts); an operator may also invoke it directly.
 */

import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { APP_ID_DIMENSION, MetricName } from '../../lib/metric-names.ts';
import { type ReconcileDependencies, type ReconcileSummary, reconcileApp } from '../../lib/reconcile.ts';

/**
 * Finished runs closer together than this are not repeated: whatever invokes the task may do
 * so several times a day so a long scan resumes, and the first run that finishes is the day's.
 */
export const RECONCILE_MIN_INTERVAL_MS = 20 * 3_600_000;

export interface ReconcileTaskInput {
  readonly deps: ReconcileDependencies;
  readonly appId: string;
  readonly owner: string;
  readonly pageSize: number;
  readonly deadline: Date;
  readonly metrics: Metrics;
  /**
   * No further message comes in this interval: a scan still unfinished will not conclude (the
   * next interval starts over), so it is logged as an error and counted as `ReconcileFailed`.
   */
  readonly lastAttempt?: boolean;
}

/** Runs one reconciliation invocation and records its metrics; never throws for a failed run. */
export async function runReconcileTask(input: ReconcileTaskInput): Promise<ReconcileSummary> {
  const summary = await reconcileApp(input.deps, {
    appId: input.appId,
    owner: input.owner,
    pageSize: input.pageSize,
    deadline: input.deadline,
    minIntervalMs: RECONCILE_MIN_INTERVAL_MS,
  });
  const { metrics } = input;
  const unfinished = summary.outcome === 'incomplete' && input.lastAttempt === true;
  if (unfinished)
    input.deps.log.error(
      'The reconciliation scan did not finish within the invocations of its interval; the next interval starts it over, so it cannot conclude. Raise the poller timeout (or the page size).',
      { appId: input.appId, fetched: summary.fetched, seen: summary.seen },
    );
  // Metadata, not a dimension: per-app dimensions cost too much across a fleet (see the poller).
  metrics.addMetadata(APP_ID_DIMENSION, summary.app_id);
  const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
  count(MetricName.EventsDeleted, summary.deleted);
  count(MetricName.ReconcileRefused, summary.outcome === 'refused' ? 1 : 0);
  count(MetricName.ReconcileFailed, summary.outcome === 'failed' || unfinished ? 1 : 0);
  if (summary.outcome === 'conclusive' || summary.outcome === 'refused')
    count(MetricName.ReconcileMissing, summary.missing);
  metrics.publishStoredMetrics();
  return summary;
}

/**
 * CloudWatch metric names the poller emits (Powertools Metrics, EMF) and the CDK stack
 * alarms and graphs on. One list, imported by both, so an alarm can never watch a metric
 * the code does not emit.
 *
 * Every metric carries exactly the dimension `{ service: METRICS_SERVICE }`. The app id is not a
 * dimension: at 5,000 apps, 13 per-app metrics would be 65,000 custom metrics (thousands of
 * dollars a month). The poller writes it into each metric record as the `AppId` property, where
 * Logs Insights finds it, and the watchdog reports per-app health as fleet-wide counts.
 */
export const METRICS_NAMESPACE = 'GleantapNotifier';
export const METRICS_SERVICE = 'gleantap-notifier';
export const APP_ID_DIMENSION = 'AppId';

export const MetricName = {
  /** 1 per poll that completed its scan and advanced the watermark. */
  PollSucceeded: 'PollSucceeded',
  /** 1 per poll that failed or left a change unpublished (watermark not advanced). */
  PollFailed: 'PollFailed',
  /** 1 per poll that stopped at its deadline with a checkpoint (resumes next time). */
  PollIncomplete: 'PollIncomplete',
  CustomersFetched: 'CustomersFetched',
  EventsCreated: 'EventsCreated',
  EventsUpdated: 'EventsUpdated',
  EventsOptoutChanged: 'EventsOptoutChanged',
  InvalidRecords: 'InvalidRecords',
  Published: 'Published',
  /** Messages that could not be published after retries (their customers were not committed). */
  PublishFailed: 'PublishFailed',
  /** Snapshot commits refused by their version condition (re-detected next poll). */
  CommitConflicts: 'CommitConflicts',
  /**
   * 1 per complete baseline that found no customers at all: Gleantap answers an unknown app
   * id with an empty list, so a mistyped id would otherwise poll "successfully" forever.
   */
  EmptyBaseline: 'EmptyBaseline',
  /** Milliseconds. */
  PollDuration: 'PollDuration',
  /** Seconds between this poll's start and the watermark it started from. */
  Lag: 'Lag',
  /** Watchdog, per run: apps in the registry. */
  AppsRegistered: 'AppsRegistered',
  /** Watchdog, per run: active apps without a complete scan for the allowed number of intervals. */
  AppsStale: 'AppsStale',
  /** Watchdog, per run: active apps whose last poll failed. */
  AppsFailing: 'AppsFailing',
  /** customer.deleted events a reconciliation published. */
  EventsDeleted: 'EventsDeleted',
  /** 1 per reconciliation that found more customers missing than the share allows (nothing deleted). */
  ReconcileRefused: 'ReconcileRefused',
  /** 1 per reconciliation that failed or left a deleted event unpublished. */
  ReconcileFailed: 'ReconcileFailed',
  /** Live customers a finished reconciliation scan did not return. */
  ReconcileMissing: 'ReconcileMissing',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/**
 * What the alert subscription check (functions/alert-watch) reports each run, summed over
 * every staff address: one metric set and a fixed number of alarms however many apps there are.
 */
export const AlertWatchMetricName = {
  /** Expected alert addresses that are not subscribed (unsubscribed, deleted or expired). */
  AlertSubscriptionsMissing: 'AlertSubscriptionsMissing',
  /** Expected alert addresses whose subscription is still waiting for confirmation. */
  AlertSubscriptionsPending: 'AlertSubscriptionsPending',
} as const;
export type AlertWatchMetricName = (typeof AlertWatchMetricName)[keyof typeof AlertWatchMetricName];

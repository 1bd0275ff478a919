/**
 * The notifier's operational dashboard: fleet counts from the watchdog, events by type, polls,
 * durations, errors and the poll queue. Per-app figures are in the poller's log records, not
 * here (the app id is not a metric dimension: see lib/metric-names.ts).
 */
import { Duration } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, METRICS_SERVICE, MetricName } from '../../metric-names.ts';
import type { PollDispatch } from '../poll-dispatch.ts';
import { notifierMetric } from './notifier-metrics.ts';

/** What the dashboard graphs besides the notifier's own metrics. */
export interface DashboardSources {
  readonly poller: IFunction;
  readonly dispatch: PollDispatch;
  readonly scheduleDeadLetterQueue: IQueue;
}

/** Creates the dashboard (id `Dashboard`) in `scope`. */
export function createDashboard(scope: Construct, sources: DashboardSources): Dashboard {
  const { poller, dispatch, scheduleDeadLetterQueue } = sources;
  const metric = notifierMetric;
  const sum = (metricName: MetricName, label: string) => metric(metricName).with({ label });
  const width = 12;
  return new Dashboard(scope, 'Dashboard', {
    defaultInterval: Duration.days(1),
    widgets: [
      [
        new TextWidget({
          markdown: `# Gleantap notifier\nApps: \`npx gleantap-notifier apps list\`. Metrics: namespace \`${METRICS_NAMESPACE}\`, service \`${METRICS_SERVICE}\`; per-app figures: the \`AppId\` property of each metric record in the poller's log group.`,
          width: 24,
          height: 2,
        }),
      ],
      [
        new GraphWidget({
          title: 'Apps (watchdog)',
          left: [
            metric(MetricName.AppsRegistered, { statistic: 'Maximum' }).with({ label: 'registered' }),
            metric(MetricName.AppsStale, { statistic: 'Maximum' }).with({ label: 'stale' }),
            metric(MetricName.AppsFailing, { statistic: 'Maximum' }).with({ label: 'failing' }),
          ],
          width,
        }),
        new GraphWidget({
          title: 'Events by type',
          left: [
            sum(MetricName.EventsCreated, 'customer.created'),
            sum(MetricName.EventsUpdated, 'customer.updated'),
            sum(MetricName.EventsOptoutChanged, 'customer.optout_changed'),
            sum(MetricName.EventsDeleted, 'customer.deleted'),
          ],
          stacked: true,
          width,
        }),
      ],
      [
        new GraphWidget({
          title: 'Polls and customers fetched',
          left: [sum(MetricName.PollSucceeded, 'complete'), sum(MetricName.PollIncomplete, 'incomplete')],
          right: [sum(MetricName.CustomersFetched, 'customers fetched')],
          width,
        }),
        new GraphWidget({
          title: 'Poll duration (ms) and lag (s), max',
          left: [metric(MetricName.PollDuration, { statistic: 'Maximum' }).with({ label: 'duration' })],
          right: [metric(MetricName.Lag, { statistic: 'Maximum' }).with({ label: 'lag' })],
          width,
        }),
      ],
      [
        new GraphWidget({
          title: 'Errors',
          left: [
            sum(MetricName.PollFailed, 'PollFailed'),
            sum(MetricName.PublishFailed, 'PublishFailed'),
            sum(MetricName.InvalidRecords, 'InvalidRecords'),
            sum(MetricName.CommitConflicts, 'CommitConflicts'),
            sum(MetricName.ReconcileRefused, 'ReconcileRefused'),
            sum(MetricName.ReconcileFailed, 'ReconcileFailed'),
            poller.metricErrors({ statistic: 'Sum', label: 'Poller errors' }),
          ],
          width,
        }),
        new GraphWidget({
          title: 'Poll queue',
          left: [
            dispatch.queue.metricApproximateNumberOfMessagesVisible({
              statistic: 'Maximum',
              label: 'waiting',
            }),
            dispatch.queue.metricApproximateAgeOfOldestMessage({
              statistic: 'Maximum',
              label: 'oldest (s)',
            }),
          ],
          right: [
            dispatch.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              statistic: 'Maximum',
              label: 'dead letters',
            }),
            scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
              statistic: 'Maximum',
              label: 'schedule dead letters',
            }),
          ],
          width,
        }),
      ],
    ],
  });
}

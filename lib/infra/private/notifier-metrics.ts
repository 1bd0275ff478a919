/**
 * The CloudWatch metrics the poller and the watchdog emit, as the alarms and the dashboard
 * read them.
 */
import { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, METRICS_SERVICE, type MetricName } from '../../metric-names.ts';

/**
 * A metric the poller or the watchdog emits, summed over all apps (the app id is a property of
 * each record, not a dimension: see lib/metric-names.ts).
 */
export function notifierMetric(
  metricName: MetricName,
  options: { statistic?: string; period?: Duration } = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
  });
}

/**
 * The fixed monthly cost of one deployed stack, whatever the number of apps or customers:
 * the alarms, the dashboard, the KMS keys and the secrets are counted in the template the
 * stack synthesizes (with staff alert emails, so the alert subscription check is in it), and
 * the custom metrics in the names the code publishes. Nothing is counted by hand, so a new
 * alarm or metric moves the figure. The dispatcher and watchdog runs, which grow a little with
 * the number of apps, are measured by fleet.ts.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { NotifierStack } from '../../lib/infra/notifier-stack.ts';
import { AlertWatchMetricName, MetricName } from '../../lib/metric-names.ts';

/** List prices (us-east-1), USD per month. */
export const FIXED_PRICES = {
  /** CloudWatch standard-resolution alarm (one metric). */
  cloudwatchAlarm: 0.1,
  /** CloudWatch custom metric (first 10,000), per name and dimension set. */
  cloudwatchMetric: 0.3,
  /** CloudWatch dashboard beyond the free three. */
  cloudwatchDashboard: 3,
  /** KMS customer-managed key (requests within the free tier at these volumes). */
  kmsKey: 1,
  /** Secrets Manager secret (API calls: one read per poller container per 5 minutes). */
  secret: 0.4,
} as const;

export interface FixedCosts {
  readonly counts: { alarms: number; metrics: number; dashboards: number; kmsKeys: number; secrets: number };
  readonly usdPerMonth: {
    alarms: number;
    metrics: number;
    dashboards: number;
    kmsKeys: number;
    secrets: number;
  };
  readonly totalUsdPerMonth: number;
}

/** Counts the stack's billable fixed resources and prices them. */
export function stackFixedCosts(): FixedCosts {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new NotifierStack(app, 'CostOfTheStack', {
    notifier: { appIds: ['a', 'b'], alertEmailsByApp: { a: ['staff@example.com'] } },
  });
  const resources = Object.values(
    (Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string }> }).Resources,
  );
  const ofType = (type: string) => resources.filter((r) => r.Type === type).length;
  const counts = {
    alarms: ofType('AWS::CloudWatch::Alarm'),
    // Powertools publishes each name with the same service dimension, for every app together
    // (the app id is a property of the record, not a dimension): one metric per name.
    metrics: Object.keys(MetricName).length + Object.keys(AlertWatchMetricName).length,
    dashboards: ofType('AWS::CloudWatch::Dashboard'),
    kmsKeys: ofType('AWS::KMS::Key'),
    secrets: ofType('AWS::SecretsManager::Secret'),
  };
  const usdPerMonth = {
    alarms: counts.alarms * FIXED_PRICES.cloudwatchAlarm,
    metrics: counts.metrics * FIXED_PRICES.cloudwatchMetric,
    dashboards: counts.dashboards * FIXED_PRICES.cloudwatchDashboard,
    kmsKeys: counts.kmsKeys * FIXED_PRICES.kmsKey,
    secrets: counts.secrets * FIXED_PRICES.secret,
  };
  const totalUsdPerMonth = Object.values(usdPerMonth).reduce((a, b) => a + b, 0);
  return { counts, usdPerMonth, totalUsdPerMonth };
}

/** "9 alarms, 24 metrics, 1 dashboard, 1 KMS key, 1 secret", for labels. */
export function describeFixed({ counts }: FixedCosts): string {
  const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
  return [
    n(counts.alarms, 'alarm'),
    n(counts.metrics, 'metric'),
    n(counts.dashboards, 'dashboard'),
    n(counts.kmsKeys, 'KMS key'),
    n(counts.secrets, 'secret'),
  ].join(', ');
}

/**
 * The alert subscription check: a scheduled Lambda that lists the staff alert topic's
 * subscriptions and reports, as metrics, how many expected addresses are missing or still
 * unconfirmed (see lib/core/alert-subscriptions.ts for why SNS's own metrics cannot). The
 * stack alarms on them. This module is the only place in this function that reads the
 * environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { ALERT_WATCH_ENVIRONMENT } from '../../lib/alert-watch-environment.ts';
import { listTopicSubscriptions } from '../../lib/aws/topic-subscriptions.ts';
import { type AlertSubscriptionCheck, checkAlertSubscriptions } from '../../lib/core/alert-subscriptions.ts';
import { AlertWatchMetricName, METRICS_NAMESPACE, METRICS_SERVICE } from '../../lib/metric-names.ts';

const configSchema = z.object({
  topicArn: z
    .string()
    .check(z.regex(/^arn:[^:]+:sns:[^:]+:\d{12}:[A-Za-z0-9_-]+$/, 'must be an SNS topic ARN')),
  emails: z.array(z.string().check(z.minLength(3))).check(z.minLength(1, 'must list at least one address')),
});

export interface AlertWatchDependencies {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly sns?: SNSClient;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/**
 * Builds the handler. Configuration is checked on the first invocation.
 *
 * @throws Error (from the handler) naming the variable when the configuration is bad, or the
 * SNS error when the topic cannot be listed: the function's Errors and the missing metric then
 * tell the operator that nobody is watching.
 */
export function createAlertWatchHandler(deps: AlertWatchDependencies) {
  const logger = deps.logger ?? new Logger({ serviceName: METRICS_SERVICE });
  const metrics = deps.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  let sns = deps.sns;
  return async function handler(): Promise<AlertSubscriptionCheck> {
    const config = readConfig(deps.env);
    const region = config.topicArn.split(':')[3];
    sns ??= new SNSClient(region === undefined ? {} : { region });
    const check = checkAlertSubscriptions(config.emails, await listTopicSubscriptions(sns, config.topicArn));
    metrics.addMetric(AlertWatchMetricName.AlertSubscriptionsMissing, MetricUnit.Count, check.missing.length);
    metrics.addMetric(AlertWatchMetricName.AlertSubscriptionsPending, MetricUnit.Count, check.pending.length);
    metrics.publishStoredMetrics();
    // Staff addresses (not customers'): the operator needs them to ask the right person to
    // subscribe again.
    if (check.missing.length > 0)
      logger.warn('Staff alert addresses are not subscribed: they get no opt-out alerts.', {
        missing: check.missing,
      });
    if (check.pending.length > 0)
      logger.warn('Staff alert subscriptions are waiting for confirmation.', { pending: check.pending });
    logger.info('Checked the staff alert subscriptions.', {
      confirmed: check.confirmed.length,
      pending: check.pending.length,
      missing: check.missing.length,
    });
    return check;
  };
}

function readConfig(env: AlertWatchDependencies['env']): z.infer<typeof configSchema> {
  let emails: unknown;
  try {
    emails = JSON.parse(env[ALERT_WATCH_ENVIRONMENT.emails] ?? '');
  } catch {
    emails = undefined;
  }
  const parsed = configSchema.safeParse({ topicArn: env[ALERT_WATCH_ENVIRONMENT.topicArn], emails });
  if (!parsed.success) {
    const names: Record<string, string> = ALERT_WATCH_ENVIRONMENT;
    const problems = parsed.error.issues.map(
      (issue) => `${names[String(issue.path[0])] ?? String(issue.path[0])} ${issue.message}`,
    );
    throw new Error(`Bad configuration: ${problems.join('; ')}.`);
  }
  return parsed.data;
}

export const handler = createAlertWatchHandler({ env: process.env });

/**
 * The alert subscription check against the SNS stand-in: the real ListSubscriptionsByTopic
 * protocol, email subscriptions that wait for confirmation, and an unsubscribe as the link in
 * every alert mail makes it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateTopicCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type SnsStandIn, startSnsStandIn } from '../../dev/sns-stand-in.ts';
import { createAlertWatchHandler } from '../../functions/alert-watch/handler.ts';
import { ALERT_WATCH_ENVIRONMENT } from '../../lib/alert-watch-environment.ts';
import { checkAlertSubscriptions, PENDING_CONFIRMATION } from '../../lib/core/alert-subscriptions.ts';
import { AlertWatchMetricName, METRICS_NAMESPACE } from '../../lib/metric-names.ts';

describe('checkAlertSubscriptions', () => {
  const arn = 'arn:aws:sns:us-east-1:000000000000:alerts:1';
  it.each([
    { listed: [], expected: ['a@x.io'], result: { confirmed: [], pending: [], missing: ['a@x.io'] } },
    {
      listed: [{ subscriptionArn: arn, protocol: 'email', endpoint: 'A@X.io' }],
      expected: ['a@x.io'],
      result: { confirmed: ['a@x.io'], pending: [], missing: [] },
    },
    {
      listed: [{ subscriptionArn: PENDING_CONFIRMATION, protocol: 'email', endpoint: 'a@x.io' }],
      expected: ['a@x.io'],
      result: { confirmed: [], pending: ['a@x.io'], missing: [] },
    },
    {
      listed: [
        { subscriptionArn: arn, protocol: 'email', endpoint: 'a@x.io' },
        { subscriptionArn: PENDING_CONFIRMATION, protocol: 'email', endpoint: 'a@x.io' },
      ],
      expected: ['a@x.io'],
      result: { confirmed: ['a@x.io'], pending: [], missing: [] },
    },
    {
      listed: [{ subscriptionArn: 'Deleted', protocol: 'email', endpoint: 'a@x.io' }],
      expected: ['a@x.io'],
      result: { confirmed: [], pending: [], missing: ['a@x.io'] },
    },
    {
      // An SQS queue named like the address is not a mail subscription.
      listed: [{ subscriptionArn: arn, protocol: 'sqs', endpoint: 'a@x.io' }],
      expected: ['a@x.io', 'a@x.io'],
      result: { confirmed: [], pending: [], missing: ['a@x.io'] },
    },
  ])('%#: $expected against $listed', ({ listed, expected, result }) => {
    expect(checkAlertSubscriptions(expected, listed)).toEqual(result);
  });
});

describe('alert-watch handler against the SNS stand-in', () => {
  let standIn: SnsStandIn;
  let sns: SNSClient;
  let topicArn: string;

  beforeAll(async () => {
    standIn = await startSnsStandIn({ pendingEmailConfirmation: true });
    sns = new SNSClient({
      endpoint: standIn.endpoint,
      region: standIn.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const created = await sns.send(new CreateTopicCommand({ Name: 'alerts' }));
    topicArn = created.TopicArn ?? '';
    for (let i = 0; i < 3; i++)
      await sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: `desk${i}@example.com` }),
      );
  });
  afterAll(async () => {
    sns.destroy();
    await standIn.close();
  });

  function run(emails: readonly string[], env: Record<string, string> = {}) {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'test' });
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const added = vi.spyOn(metrics, 'addMetric');
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const warn = vi.spyOn(logger, 'warn');
    const handler = createAlertWatchHandler({
      env: {
        [ALERT_WATCH_ENVIRONMENT.topicArn]: topicArn,
        [ALERT_WATCH_ENVIRONMENT.emails]: JSON.stringify(emails),
        ...env,
      },
      sns,
      logger,
      metrics,
    });
    const reported = () => Object.fromEntries(added.mock.calls.map(([name, , value]) => [name, value]));
    return { handler, reported, warn };
  }

  it('reports unconfirmed, then confirmed, then unsubscribed addresses', async () => {
    const emails = ['desk0@example.com', 'desk1@example.com', 'desk2@example.com'];
    const first = run(emails);
    expect(await first.handler()).toEqual({ confirmed: [], pending: emails, missing: [] });
    expect(first.reported()).toEqual({
      [AlertWatchMetricName.AlertSubscriptionsMissing]: 0,
      [AlertWatchMetricName.AlertSubscriptionsPending]: 3,
    });

    for (const s of standIn.subscriptions(topicArn)) standIn.confirmSubscription(s.subscriptionArn);
    const second = run(emails);
    expect(await second.handler()).toEqual({ confirmed: emails, pending: [], missing: [] });
    expect(second.reported()[AlertWatchMetricName.AlertSubscriptionsPending]).toBe(0);

    // What the unsubscribe link in an alert mail does: an Unsubscribe of that subscription.
    const desk1 = standIn.subscriptions(topicArn).find((s) => s.endpoint === 'desk1@example.com');
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: desk1?.subscriptionArn }));
    const third = run(emails);
    expect(await third.handler()).toEqual({
      confirmed: ['desk0@example.com', 'desk2@example.com'],
      pending: [],
      missing: ['desk1@example.com'],
    });
    expect(third.reported()).toEqual({
      [AlertWatchMetricName.AlertSubscriptionsMissing]: 1,
      [AlertWatchMetricName.AlertSubscriptionsPending]: 0,
    });
    expect(third.warn).toHaveBeenCalledWith(expect.stringContaining('not subscribed'), {
      missing: ['desk1@example.com'],
    });
  });

  it.each([
    { env: { [ALERT_WATCH_ENVIRONMENT.emails]: '[]' }, error: /ALERT_EMAILS must list at least one address/ },
    { env: { [ALERT_WATCH_ENVIRONMENT.emails]: 'desk@example.com' }, error: /ALERT_EMAILS/ },
    {
      env: { [ALERT_WATCH_ENVIRONMENT.topicArn]: 'alerts' },
      error: /ALERT_TOPIC_ARN must be an SNS topic ARN/,
    },
  ])('fails naming the variable: $env', async ({ env, error }) => {
    await expect(run(['desk0@example.com'], env).handler()).rejects.toThrow(error);
  });
});

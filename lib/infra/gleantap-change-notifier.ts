/**
 * The `GleantapChangeNotifier` construct: what it exposes and the order its parts are built in.
 * Each part is built in a file of its own, after aws-cdk's `aws-sns/lib/topic.ts` layout:
 * - props and subscriber options, with their docs: `gleantap-change-notifier-props.ts`
 * - checking the props: `private/notifier-settings.ts` (rules shared with the runtime)
 * - key and table, topics, poller, schedules: `private/notifier-{storage,topics,poller,schedules}.ts`
 * - alarms and dashboard: `private/notifier-alarms.ts`, `private/notifier-dashboard.ts`
 * - subscriptions and filter policies: `private/subscriptions.ts`, `private/filter-policy.ts`
 * - accepted cdk-nag and Control Tower findings: `private/accepted-findings.ts`
 */
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Dashboard, IAlarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { CfnSubscription, ITopic, Subscription } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { MetricName } from '../metric-names.ts';
import type { GleantapChangeNotifierProps, SubscriberOptions } from './gleantap-change-notifier-props.ts';
import { OptOutAlerts } from './opt-out-alerts.ts';
import type { PollDispatch } from './poll-dispatch.ts';
import { acknowledgeFunctionFindings } from './private/accepted-findings.ts';
import { filterPolicyFor } from './private/filter-policy.ts';
import { addFleetAlarms, NotifierAlarms } from './private/notifier-alarms.ts';
import { createDashboard } from './private/notifier-dashboard.ts';
import { notifierMetric } from './private/notifier-metrics.ts';
import { createCredentials, createPoller } from './private/notifier-poller.ts';
import { createSchedules } from './private/notifier-schedules.ts';
import { checkedNotifierSettings } from './private/notifier-settings.ts';
import { createEncryptionKey, createStateTable } from './private/notifier-storage.ts';
import { createAlarmTopic, createEventsTopic } from './private/notifier-topics.ts';
import { alertEmailApp, subscribeQueue } from './private/subscriptions.ts';
import { propsError } from './private/validation-error.ts';
import { SubscriberFunction, type SubscriberFunctionProps } from './subscriber-function.ts';
import type { Watchdog } from './watchdog.ts';
import { Webhook, type WebhookProps } from './webhook.ts';

export { DEFAULT_GLEANTAP_BASE_URL, EVENT_TYPES } from '../core/settings.ts';
export type { GleantapChangeNotifierProps, SubscriberOptions } from './gleantap-change-notifier-props.ts';

/**
 * Polls Gleantap for changed customers and publishes CloudEvents to an SNS topic: a state
 * table, the events topic (KMS, TLS only), a dispatcher run by an EventBridge Scheduler
 * schedule that queues a poll of each registered app, the poller function, its credentials
 * secret, a watchdog, alarms to an alarm topic, and a dashboard.
 *
 * @throws ValidationError when a prop is invalid; the message names the construct path and
 *   every invalid prop.
 */
export class GleantapChangeNotifier extends Construct {
  /** Snapshots, poll state, leases and archived events. */
  public readonly table: ITableV2;

  /**
   * The customer-managed key that encrypts the table at rest and both topics. Whoever reads
   * or writes the table (an operator's CLI too) needs kms:Decrypt and kms:GenerateDataKey on it.
   */
  public readonly encryptionKey: IKey;

  /** The events topic subscribers attach to. */
  public readonly topic: ITopic;

  /**
   * Staff opt-out alerts: the alerts topic (with `digest` delivery), the e-mail subscriptions
   * and the watch that alarms when one is unsubscribed or stays unconfirmed.
   */
  public readonly optOutAlerts: OptOutAlerts;

  /** The topic CloudWatch alarms publish to. */
  public readonly alarmTopic: ITopic;

  /** The poller. */
  public readonly function: IFunction;

  /** The secret the poller reads the Gleantap keys from. */
  public readonly credentials: ISecret;

  /** The dispatcher schedule, the dispatcher, the poll queue and its dead-letter queue. */
  public readonly dispatch: PollDispatch;

  /** The function and schedule that report stale and failing apps. */
  public readonly watchdog: Watchdog;

  /** Where failed schedule invocations land after their retries. */
  public readonly scheduleDeadLetterQueue: IQueue;

  /** The operational dashboard. */
  public readonly dashboard: Dashboard;

  /** Every alarm the construct created, including those of `addSubscriber` and the alert subscription watch. */
  public get alarms(): readonly IAlarm[] {
    const watch = this.optOutAlerts.watch;
    return [...this.alarmSet.list, ...(watch === undefined ? [] : [watch.missingAlarm, watch.pendingAlarm])];
  }

  /** The seeded app ids (the registry may hold more, added with the CLI). */
  private readonly appIds: readonly string[];
  private readonly alarmSet: NotifierAlarms;

  constructor(scope: Construct, id: string, props: GleantapChangeNotifierProps) {
    super(scope, id);
    const settings = checkedNotifierSettings(this, props);
    this.appIds = settings.appIds;

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const key = createEncryptionKey(this, removalPolicy);
    this.encryptionKey = key;
    this.table = createStateTable(this, key, removalPolicy);

    this.topic = createEventsTopic(this, key);
    this.alarmTopic = createAlarmTopic(this, key);
    this.alarmSet = new NotifierAlarms(new SnsAction(this.alarmTopic));
    this.optOutAlerts = new OptOutAlerts(this, 'OptOutAlerts', {
      eventsTopic: this.topic,
      masterKey: key,
      alarmAction: this.alarmSet.action,
      ...(props.alertDelivery === undefined ? {} : { delivery: props.alertDelivery }),
    });

    this.credentials = props.credentials ?? createCredentials(this);
    this.function = createPoller(this, props, settings, {
      table: this.table,
      key,
      eventsTopic: this.topic,
      alertsTopic: this.optOutAlerts.alertsTopic,
      credentials: this.credentials,
    }).function;

    const schedules = createSchedules(this, props, settings, {
      table: this.table,
      poller: this.function,
      alarms: this.alarmSet,
    });
    this.scheduleDeadLetterQueue = schedules.scheduleDeadLetterQueue;
    this.dispatch = schedules.dispatch;
    this.watchdog = schedules.watchdog;
    acknowledgeFunctionFindings(this);

    const sources = {
      poller: this.function,
      dispatch: this.dispatch,
      scheduleDeadLetterQueue: this.scheduleDeadLetterQueue,
    };
    addFleetAlarms(this.alarmSet, this, sources);
    this.dashboard = createDashboard(this, sources);

    for (const address of props.alertEmails ?? []) this.addAlertEmail(address);
    for (const [appId, addresses] of Object.entries(props.alertEmailsByApp ?? {})) {
      for (const address of addresses) this.addAlertEmail(address, appId);
    }
    for (const address of props.alarmEmails ?? []) {
      this.alarmTopic.addSubscription(new EmailSubscription(address));
    }
  }

  /**
   * Subscribes a queue to the events topic with a filter policy built from `options`, and a
   * dead-letter queue (with an alarm) for messages SNS could not deliver.
   *
   * The queue's policy is updated to let the topic send to it; a queue encrypted with a
   * customer-managed key must also let SNS use that key.
   *
   * @returns the subscription
   * @throws Error when an option is invalid; the message names the option.
   */
  public addSubscriber(queue: IQueue, options: SubscriberOptions = {}): Subscription {
    return subscribeQueue(this, this.topic, this.alarmSet, queue, options);
  }

  /**
   * Adds a Lambda function that receives the events through its own queue and applies them
   * with the subscriber kit (see {@link SubscriberFunction}), and an alarm on its
   * dead-letter queue.
   *
   * @param options the function's `entry` (and optional `handler` name), which events it
   *   receives (`filter`), and the function settings of {@link SubscriberFunctionProps}
   * @throws Error when an option is invalid; the message names the option.
   */
  public addSubscriberFunction(
    id: string,
    options: Omit<SubscriberFunctionProps, 'topic' | 'filterPolicy'> & {
      readonly filter?: SubscriberOptions;
    },
  ): SubscriberFunction {
    const { filter, ...props } = options;
    const subscriber = new SubscriberFunction(this, id, {
      ...props,
      topic: this.topic,
      filterPolicy: filterPolicyFor(this, filter ?? {}),
    });
    this.alarmSet.addDeadLetterAlarm(
      subscriber,
      subscriber.deadLetterQueue,
      `Events for ${subscriber.node.path} that could not be delivered or handled are waiting in its dead-letter queue`,
    );
    return subscriber;
  }

  /**
   * Adds an HTTPS subscription (a webhook) with a delivery policy and a dead-letter queue
   * (see {@link Webhook}), and an alarm on that queue.
   *
   * @param url the receiver's https URL
   * @throws Error when the URL is not https or a filter option is invalid.
   */
  public addWebhook(
    id: string,
    url: string,
    options: Omit<WebhookProps, 'topic' | 'url' | 'filterPolicy'> & {
      readonly filter?: SubscriberOptions;
    } = {},
  ): Webhook {
    const { filter, ...props } = options;
    const webhook = new Webhook(this, id, {
      ...props,
      topic: this.topic,
      url,
      filterPolicy: filterPolicyFor(this, filter ?? {}),
    });
    this.alarmSet.addDeadLetterAlarm(
      webhook,
      webhook.deadLetterQueue,
      `Events SNS could not deliver to the webhook ${webhook.node.path} are waiting in its dead-letter queue`,
    );
    return webhook;
  }

  /**
   * Subscribes an email address to the opt-out alerts of one app: one digest per poll page
   * from the alerts topic, or with `alertDelivery: 'each'` every `customer.optout_changed`
   * event's short text. The subscription filters on `app_id` as well as `type`; an address
   * added for several apps keeps one subscription listing them all (SNS refuses a second
   * subscription of one address to a topic with another filter). The recipient must confirm
   * the subscription; the subscription watch alarms while it is unconfirmed or after it is
   * unsubscribed.
   *
   * @param appId the app whose opt-outs the address receives (any registered app, seeded or
   *   added with the CLI); may be left out only when `appIds` seeds a single app
   * @returns the address's subscription
   * @throws ValidationError when the address is not an email address, the app id is not one
   *   (or is left out without a single seeded app), or the address is already subscribed to it.
   */
  public addAlertEmail(address: string, appId?: string): CfnSubscription {
    const app = alertEmailApp(this, this.appIds, address, appId);
    if (this.optOutAlerts.receives(address, app)) {
      throw propsError(this, 'GleantapNotifierAlertEmail', [
        `addAlertEmail: ${address} is already subscribed to app ${app}`,
      ]);
    }
    return this.optOutAlerts.addEmail(address, [app]);
  }

  /**
   * A metric the poller or the watchdog emits, summed over all apps (the app id is a property of
   * each record, not a dimension: see lib/metric-names.ts).
   */
  public metric(metricName: MetricName, options: { statistic?: string; period?: Duration } = {}): Metric {
    return notifierMetric(metricName, options);
  }
}

import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, Billing, type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { CfnFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  type CfnSubscription,
  type ITopic,
  type Subscription,
  SubscriptionFilter,
  Topic,
} from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REGISTRY_APP_ID } from '../aws/app-registry.ts';
import { TABLE_KEY_SCHEMA } from '../aws/table-schema.ts';
import { checkEventType } from '../core/settings.ts';
import type { EventType } from '../core/types.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE, MetricName } from '../metric-names.ts';
import { sourceOrCompiled } from './function-entry.ts';
import { NotifierFunction } from './notifier-function.ts';
import { type AlertDelivery, OptOutAlerts } from './opt-out-alerts.ts';
import { PollDispatch } from './poll-dispatch.ts';
import { emailProblem, resolveNotifierProps } from './private/notifier-settings.ts';
import { encryptTableWith } from './private/table-encryption.ts';
import { propsError } from './private/validation-error.ts';
import { SubscriberFunction, type SubscriberFunctionProps } from './subscriber-function.ts';
import { Watchdog } from './watchdog.ts';
import { Webhook, type WebhookProps } from './webhook.ts';

export { DEFAULT_GLEANTAP_BASE_URL, EVENT_TYPES } from '../core/settings.ts';

/** SNS rejects a filter policy whose value combinations exceed this. */
const MAX_FILTER_POLICY_COMBINATIONS = 150;

const POLLER_ENTRY = sourceOrCompiled(new URL('../../functions/poller/handler.ts', import.meta.url));

/**
 * Properties for a {@link GleantapChangeNotifier}.
 */
export interface GleantapChangeNotifierProps {
  /**
   * Gleantap app ids to seed the app registry with on deploy. The registry (items in the state
   * table, managed with `npx gleantap-notifier apps add|remove|list`) is what the dispatcher
   * polls; ids listed here are added to it, and ids removed from here are removed from it again
   * (apps added with the CLI are never touched). Nothing in the template grows with the number
   * of apps except this list, so large fleets register their apps with the CLI instead.
   *
   * Each id: 1 to 64 letters, digits, `_`, `.` or `-`, listed once.
   *
   * @default - none: register apps with the CLI
   */
  readonly appIds?: readonly string[];

  /**
   * How often the dispatcher runs, and so how often each app is polled (an app registered with
   * a longer interval is polled every n-th run): a `Duration` (a whole number of minutes, at
   * least one) or an EventBridge Scheduler expression (`rate(...)` or `cron(...)`).
   *
   * @default Duration.minutes(5)
   */
  readonly schedule?: Duration | ScheduleExpression;

  /**
   * How often a poll of each app is expected to succeed; the staleness alarm fires after
   * `missedPollsBeforeAlarm` such intervals without a `PollSucceeded`.
   *
   * @default - the schedule's rate when `schedule` is a `Duration`; required when it is a
   * `ScheduleExpression`
   */
  readonly pollInterval?: Duration;

  /**
   * Number of poll intervals in a row without a successful poll of an app before its
   * staleness alarm fires.
   *
   * @default 3
   */
  readonly missedPollsBeforeAlarm?: number;

  /**
   * Days subtracted from the start of the complete scan before the last one to form
   * `updated_since`, 1 to 30. Gleantap filters by date in an undocumented time zone (and may
   * read `updated_since` as exclusive), so at least one day is needed.
   *
   * @default 1
   */
  readonly lookbackDays?: number;

  /**
   * Members requested per `getCustomers` page (`limit`), 1 to 1000.
   *
   * @default 1000
   */
  readonly pageSize?: number;

  /**
   * The Secrets Manager secret holding the Gleantap keys as
   * `{"apiKey":"...","secretKey":"..."}`. The function receives only its ARN.
   *
   * @default - a new secret with placeholder values; set the real keys after deploying
   */
  readonly credentials?: ISecret;

  /**
   * Scheme and host of the Gleantap API, without a path.
   *
   * @default 'https://api.gleantap.com'
   */
  readonly gleantapBaseUrl?: string;

  /**
   * Staff email addresses subscribed to the opt-out events (`customer.optout_changed`) of
   * one app each, keyed by app id: the subscription filters on `app_id` as well as `type`, so
   * each studio's staff see only their own members. List an address under several apps to
   * give it each of them. Each recipient must confirm the subscription from the email AWS sends.
   *
   * @default - no email subscriptions; add some with `addAlertEmail`
   */
  readonly alertEmailsByApp?: Readonly<Record<string, readonly string[]>>;

  /**
   * Email addresses subscribed to opt-out events of the one app polled. Only valid with a
   * single app id: with several, use `alertEmailsByApp` (an address that got every app's
   * opt-outs would read other studios' members).
   *
   * @default - none
   */
  readonly alertEmails?: readonly string[];

  /**
   * How staff receive opt-out alerts: `digest` sends one mail per app and poll page listing
   * that page's opt-out changes, from an alerts topic of its own; `each` sends one mail per
   * `customer.optout_changed` event, from the events topic.
   *
   * @default 'digest'
   */
  readonly alertDelivery?: AlertDelivery;

  /**
   * Email addresses subscribed to the alarm topic (operators).
   *
   * @default - none
   */
  readonly alarmEmails?: readonly string[];

  /**
   * Whether the first (baseline) poll of an app publishes a `customer.created` for every
   * existing customer. By default it only records snapshots.
   *
   * @default false
   */
  readonly emitBaseline?: boolean;

  /**
   * Extra member fields to watch in addition to the documented ones (for instance custom
   * fields your Gleantap account returns).
   *
   * @default - only the documented member fields
   */
  readonly watchedFields?: readonly string[];

  /**
   * How long the function's logs are kept.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * What happens to the state table (snapshots, watermarks, archived events) when it leaves
   * the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Concurrent executions reserved for the poller. Not needed for correctness (the lease and
   * the FIFO poll queue keep two polls of one app apart) nor for a bound (`maxConcurrency` is
   * one). Lambda refuses a reservation that leaves the account less than 100 unreserved (10 on
   * a new account whose limit is still 10), so the account's concurrency quota must be at least
   * this plus 100 (plus what other reserved functions hold).
   *
   * @default - no reservation: the poller uses the account's unreserved pool
   */
  readonly reservedConcurrency?: number;

  /**
   * Poller invocations the poll queue's event source mapping runs at once (2 to 1000). It bounds
   * the fleet's Lambda concurrency and the rate of Gleantap requests; polls beyond it wait in
   * the queue. At 5,000 apps every 5 minutes, `npm run bench` derives the concurrency needed
   * from measured poll durations.
   *
   * @default 50
   */
  readonly maxConcurrency?: number;

  /**
   * The poller's timeout. The handler starts no page after the timeout less a margin
   * (15 s, or a quarter of a short timeout: see `pollDeadline` in `lib/core/deadline.ts`),
   * and it must be shorter than the schedule interval when `schedule` is a `Duration`.
   *
   * @default - four minutes, or 80 % of the schedule interval when that is shorter (48 s for
   * a 1-minute schedule, which scans for 36 s per invocation)
   */
  readonly timeout?: Duration;

  /**
   * Memory for the poller in MiB.
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Extra environment variables for the poller (for instance `POWERTOOLS_LOG_LEVEL`). They are
   * merged with the construct's; the variables the construct wires (table, topic, secret,
   * app ids, paging) cannot be overridden.
   *
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * Which events a subscriber receives. Each given criterion narrows the filter; within one
 * criterion any listed value matches.
 */
export interface SubscriberOptions {
  /**
   * Event types to deliver.
   *
   * @default - all types
   */
  readonly types?: readonly EventType[];

  /**
   * Deliver only events whose `changed_fields` includes at least one of these. Note that
   * `customer.created` events carry no `changed_fields`, so this filter excludes them.
   *
   * @default - any fields
   */
  readonly changedFields?: readonly string[];

  /**
   * Deliver only events of these apps (each must be one of the construct's `appIds`).
   *
   * @default - all apps
   */
  readonly appIds?: readonly string[];

  /**
   * Whether SQS receives the CloudEvent as the message body with the SNS attributes as SQS
   * message attributes (true), or the SNS JSON envelope around it (false).
   *
   * @default true
   */
  readonly rawMessageDelivery?: boolean;
}

/**
 * Polls Gleantap for changed customers and publishes CloudEvents to an SNS topic: a state
 * table, the events topic (KMS, TLS only), an EventBridge Scheduler schedule per app with
 * retries and a dead-letter queue, the poller function, its credentials secret, alarms to an
 * alarm topic, and a dashboard.
 *
 * @throws Error when a prop is invalid; the message names the prop.
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
    return [...this.alarmList, ...(watch === undefined ? [] : [watch.missingAlarm, watch.pendingAlarm])];
  }

  /** The seeded app ids (the registry may hold more, added with the CLI). */
  private readonly appIds: readonly string[];
  private readonly alarmList: IAlarm[] = [];
  private readonly alarmAction: SnsAction;

  constructor(scope: Construct, id: string, props: GleantapChangeNotifierProps) {
    super(scope, id);
    const { settings, problems } = resolveNotifierProps(props);
    if (problems.length > 0) throw propsError(this, 'GleantapNotifierProps', problems);
    this.appIds = settings.appIds;

    // One customer-managed key for the table and both topics: the table holds the same names,
    // emails and phones the events carry (snapshots and archived events), SNS cannot let
    // CloudWatch publish to a topic under the AWS-managed aws/sns key, and one key costs a
    // third of three. CloudWatch's use of it is limited to this account's alarms (below). It
    // is kept as long as the table: a retained table under a deleted key is unreadable.
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const topicKey = new Key(this, 'TopicKey', {
      description: "Encrypts the Gleantap notifier's state table and topics",
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(7),
    });
    this.encryptionKey = topicKey;
    const table = new TableV2(this, 'Table', {
      partitionKey: {
        name: TABLE_KEY_SCHEMA.partitionKey.name,
        type: ATTRIBUTE_TYPES[TABLE_KEY_SCHEMA.partitionKey.type],
      },
      sortKey: { name: TABLE_KEY_SCHEMA.sortKey.name, type: ATTRIBUTE_TYPES[TABLE_KEY_SCHEMA.sortKey.type] },
      timeToLiveAttribute: TABLE_KEY_SCHEMA.timeToLiveAttribute,
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });
    encryptTableWith(table, topicKey);
    // aws-cdk-lib's d.ts declares TableV2's optional attributes as `T | undefined` where
    // ITableV2 has `T?`, which exactOptionalPropertyTypes rejects although the class
    // implements the interface; the widening is sound.
    this.table = table as ITableV2;

    this.topic = new Topic(this, 'Events', {
      displayName: 'Gleantap customer changes',
      masterKey: topicKey,
      enforceSSL: true,
    });
    const alarmTopic = new Topic(this, 'Alarms', {
      displayName: 'Gleantap notifier alarms',
      masterKey: topicKey,
      enforceSSL: true,
    });
    const stack = Stack.of(this);
    alarmTopic.grantPublish(
      new ServicePrincipal('cloudwatch.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      }),
    );
    this.alarmTopic = alarmTopic;
    this.alarmAction = new SnsAction(alarmTopic);
    this.optOutAlerts = new OptOutAlerts(this, 'OptOutAlerts', {
      eventsTopic: this.topic,
      masterKey: topicKey,
      alarmAction: this.alarmAction,
      ...(props.alertDelivery === undefined ? {} : { delivery: props.alertDelivery }),
    });
    const alertsTopic = this.optOutAlerts.alertsTopic;

    // Same d.ts mismatch as the table's (Secret.secretFullArn): a sound widening.
    this.credentials =
      props.credentials ??
      (new Secret(this, 'Credentials', {
        description:
          'Gleantap API keys for the notifier as {"apiKey":"...","secretKey":"..."}; replace the placeholders',
        // Placeholders only: the real keys are set with put-secret-value after deploying, so
        // they never pass through the template.
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ apiKey: 'REPLACE_ME' }),
          generateStringKey: 'secretKey',
          excludePunctuation: true,
        },
      }) as ISecret);
    if (props.credentials === undefined) {
      acknowledge(this.credentials, 'AwsSolutions-SMG4', [
        'The secret holds API keys that Gleantap issues; Gleantap has no API to issue new ones,',
        'so a rotation function would have nothing to call. Rotate by creating new keys in',
        'Gleantap and writing them with put-secret-value.',
      ]);
    }

    const poller = new NotifierFunction(this, 'Poller', {
      entry: POLLER_ENTRY,
      description: 'Polls Gleantap for changed customers and publishes them to SNS',
      timeout: settings.timeout,
      memorySize: props.memorySize ?? 512,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      environment: {
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
        GLEANTAP_BASE_URL: settings.baseUrl,
        GLEANTAP_CREDENTIALS_SECRET_ARN: this.credentials.secretArn,
        NOTIFIER_TABLE_NAME: table.tableName,
        EVENTS_TOPIC_ARN: this.topic.topicArn,
        ...(alertsTopic === undefined ? {} : { ALERTS_TOPIC_ARN: alertsTopic.topicArn }),
        NOTIFIER_LOOKBACK_DAYS: String(settings.lookbackDays),
        NOTIFIER_PAGE_SIZE: String(settings.pageSize),
        NOTIFIER_EMIT_BASELINE: String(props.emitBaseline ?? false),
        ...(props.watchedFields === undefined || props.watchedFields.length === 0
          ? {}
          : { NOTIFIER_WATCHED_FIELDS: props.watchedFields.join(',') }),
        POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    this.function = poller.function;
    table.grantReadWriteData(this.function);
    // TableV2 grants the key only when it renders the encryption itself (see
    // table-encryption.ts): the key actions its grants give a reader and writer, less
    // ReEncrypt, which DynamoDB does not ask of a caller.
    topicKey.grant(this.function, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*');
    this.topic.grantPublish(this.function);
    alertsTopic?.grantPublish(this.function);
    acknowledge(poller.role, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', [
      'Added by topic.grantPublish for the KMS-encrypted events topic and scoped to that one key:',
      "SNS calls GenerateDataKey on the publisher's behalf to encrypt each message.",
    ]);
    acknowledge(poller.function, 'AwsSolutions-L1', [
      'Node.js 22 is the runtime the design fixes and the toolchain tests against;',
      'moving to a newer runtime is a deliberate upgrade, not a synth-time default.',
    ]);
    // Control Tower proactive controls (lib/infra/control-tower-checks.ts) accepted here.
    acknowledge(topicKey, 'CT.KMS.PR.3', [
      "The key policy is aws-cdk-lib's default (the account may delegate through IAM) plus",
      'CloudWatch for the alarm topic; no statement in this stack grants kms:CreateGrant.',
    ]);
    this.credentials.grantRead(this.function);
    // A failed poll is retried by the next scheduled one (the watermark stays where it was);
    // Lambda's own async retries would only hit a struggling API twice more.
    this.function.configureAsyncInvoke({ retryAttempts: 0 });

    const scheduleDeadLetterQueue = new Queue(this, 'ScheduleDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.scheduleDeadLetterQueue = scheduleDeadLetterQueue;
    acknowledge(scheduleDeadLetterQueue, 'CT.SQS.PR.1', [
      'This queue is itself the dead-letter queue of the EventBridge Scheduler targets.',
    ]);
    acknowledge(scheduleDeadLetterQueue, 'AwsSolutions-SQS3', [
      'This queue is itself the dead-letter queue of the EventBridge Scheduler targets;',
      'cdk-nag recognises only SQS redrive policies as DLQ use.',
    ]);

    // A role of our own (instead of the one LambdaInvoke creates at stack level) keeps it,
    // and its acknowledgement, inside this construct.
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
      description: 'Lets EventBridge Scheduler invoke the Gleantap notifier dispatcher and watchdog',
    });
    this.dispatch = new PollDispatch(this, 'Dispatch', {
      table: this.table,
      poller: this.function,
      pollerTimeout: settings.timeout,
      scheduleExpression: settings.scheduleExpression,
      dispatchMinutes: settings.pollInterval.toMinutes(),
      maxEventAge: settings.maxEventAge,
      schedulerRole,
      scheduleDeadLetterQueue,
      seedAppIds: settings.appIds,
      maxConcurrency: settings.maxConcurrency,
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    this.watchdog = new Watchdog(this, 'Watchdog', {
      table: this.table,
      scheduleExpression: settings.scheduleExpression,
      dispatchMinutes: settings.pollInterval.toMinutes(),
      missedPolls: settings.missedPolls,
      schedulerRole,
      scheduleDeadLetterQueue,
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      addAlarm: (scope, { id, ...options }) => this.addAlarm(scope, id, options),
    });
    for (const fn of [this.dispatch.dispatcher, this.watchdog.function]) {
      const cfnFunction = fn.node.defaultChild;
      if (!(cfnFunction instanceof CfnFunction)) throw new Error(`${fn.node.path} has no CfnFunction`);
      acknowledge(schedulerRole, `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(cfnFunction)}.Arn>:*]`, [
        'Added by LambdaInvoke (function.grantInvoke): the function ARN plus its qualified',
        'versions and aliases (`<arn>:*`) of this one function, nothing else.',
      ]);
    }

    // The same three for every function of the construct (poller, dispatcher, watchdog).
    for (const fn of this.node
      .findAll()
      .filter((c): c is NotifierFunction => c instanceof NotifierFunction)) {
      acknowledge(fn.logGroup, 'CT.CLOUDWATCH.PR.2', [
        'The functions log counts, app ids and errors, never customer data (a test holds the poller',
        'to that), so a year of retention buys nothing; logRetention is a prop for accounts that need it.',
      ]);
      acknowledge(fn.logGroup, 'CT.CLOUDWATCH.PR.3', [
        'The log group holds no customer data (see CT.CLOUDWATCH.PR.2); CloudWatch Logs encrypts',
        'it at rest with its own key, and a KMS key would add a key policy for the logs service.',
      ]);
      acknowledge(fn.function, 'CT.LAMBDA.PR.3', [
        "The functions call Gleantap's public API and AWS APIs; in a VPC they would need a NAT",
        'gateway (about $32 a month per AZ, more than the rest of the stack) and gain no isolation.',
      ]);
    }
    acknowledge(this.dispatch.deadLetterQueue, 'CT.SQS.PR.1', [
      'This queue is itself the dead-letter queue of the poll queue.',
    ]);
    this.createAlarms();
    this.dashboard = this.createDashboard();

    for (const address of props.alertEmails ?? []) {
      this.addAlertEmail(address);
    }
    for (const [appId, addresses] of Object.entries(props.alertEmailsByApp ?? {})) {
      for (const address of addresses) this.addAlertEmail(address, appId);
    }
    for (const address of props.alarmEmails ?? []) {
      alarmTopic.addSubscription(new EmailSubscription(address));
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
    const filterPolicy = this.filterPolicyFor(options);
    const id = `Subscriber-${Names.nodeUniqueId(queue.node)}`;
    if (this.node.tryFindChild(id) !== undefined) {
      throw new Error(`addSubscriber: queue ${queue.node.path} is already subscribed`);
    }
    const scope = new Construct(this, id);
    const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(deadLetterQueue, 'CT.SQS.PR.1', [
      'This queue is itself the dead-letter queue of an SNS subscription.',
    ]);
    acknowledge(deadLetterQueue, 'AwsSolutions-SQS3', [
      'This queue is itself the dead-letter queue of an SNS subscription;',
      'cdk-nag recognises only SQS redrive policies as DLQ use.',
    ]);
    this.addAlarm(scope, 'DeadLetterAlarm', {
      description: `Messages for ${queue.node.path} that SNS could not deliver are waiting in its dead-letter queue`,
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
    });
    return this.topic.addSubscription(
      new SqsSubscription(queue, {
        rawMessageDelivery: options.rawMessageDelivery ?? true,
        deadLetterQueue,
        ...(Object.keys(filterPolicy).length === 0 ? {} : { filterPolicy }),
      }),
    );
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
      filterPolicy: this.filterPolicyFor(filter ?? {}),
    });
    this.addAlarm(subscriber, 'DeadLetterAlarm', {
      description: `Events for ${subscriber.node.path} that could not be delivered or handled are waiting in its dead-letter queue`,
      metric: subscriber.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
    });
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
      filterPolicy: this.filterPolicyFor(filter ?? {}),
    });
    this.addAlarm(webhook, 'DeadLetterAlarm', {
      description: `Events SNS could not deliver to the webhook ${webhook.node.path} are waiting in its dead-letter queue`,
      metric: webhook.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
    });
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
    const app = appId ?? (this.appIds.length === 1 ? this.appIds[0] : undefined);
    const problem =
      emailProblem(address) ??
      (app === undefined
        ? `name the app whose opt-outs ${address} receives: with several apps, one address must not read every studio's members`
        : !REGISTRY_APP_ID.test(app)
          ? `"${app}" is not an app id`
          : undefined);
    if (problem !== undefined || app === undefined) {
      throw propsError(this, 'GleantapNotifierAlertEmail', [`addAlertEmail: ${problem ?? 'no app'}`]);
    }
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
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: METRICS_SERVICE },
      statistic: options.statistic ?? 'Sum',
      period: options.period ?? Duration.minutes(5),
    });
  }

  private filterPolicyFor(options: SubscriberOptions): Record<string, SubscriptionFilter> {
    const policy: Record<string, SubscriptionFilter> = {};
    let combinations = 1;
    const add = (attribute: string, option: string, values: readonly string[] | undefined) => {
      if (values === undefined) return;
      if (values.length === 0) throw new Error(`addSubscriber: ${option} must not be empty when given`);
      if (values.some((v) => v.trim() === ''))
        throw new Error(`addSubscriber: ${option} must not contain empty strings`);
      const unique = [...new Set(values)];
      combinations *= unique.length;
      policy[attribute] = SubscriptionFilter.stringFilter({ allowlist: unique });
    };
    for (const type of options.types ?? []) {
      const problem = checkEventType(type);
      if (problem !== undefined)
        throw propsError(this, 'GleantapNotifierSubscriberTypes', [`addSubscriber: types ${problem}`]);
    }
    // The fleet lives in the registry, not in the template: check the id's form only.
    for (const appId of options.appIds ?? []) {
      if (!REGISTRY_APP_ID.test(appId)) {
        throw new Error(`addSubscriber: appIds contains "${appId}", which is not an app id`);
      }
    }
    add('type', 'types', options.types);
    add('app_id', 'appIds', options.appIds);
    add('changed_fields', 'changedFields', options.changedFields);
    if (combinations > MAX_FILTER_POLICY_COMBINATIONS) {
      throw new Error(
        `addSubscriber: types × appIds × changedFields gives ${combinations} combinations; SNS allows ${MAX_FILTER_POLICY_COMBINATIONS}`,
      );
    }
    return policy;
  }

  private createAlarms(): void {
    // Per-app health (stale, failing) is the watchdog's; these are fleet-wide and constant in number.
    this.addAlarm(this, 'PublishFailedAlarm', {
      description: 'Events could not be published to SNS (the poller log names the apps)',
      metric: this.metric(MetricName.PublishFailed),
    });
    // Gleantap answers an unknown (mistyped) app id with an empty list: its first poll finding
    // no customers is the only sign of one.
    this.addAlarm(this, 'EmptyBaselineAlarm', {
      description:
        'A first poll found no customers: an app id is probably wrong (the poller log names the app)',
      metric: this.metric(MetricName.EmptyBaseline, { statistic: 'Maximum' }),
    });
    this.addAlarm(this, 'PollDeadLetterAlarm', {
      description: 'Poll messages the poller could not handle are waiting in the poll dead-letter queue',
      metric: this.dispatch.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
    });
    this.addAlarm(this, 'DispatcherErrorsAlarm', {
      description: 'The dispatcher threw: polls of this tick may not have been enqueued',
      metric: this.dispatch.dispatcher.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
    });
    this.addAlarm(this, 'ScheduleDeadLetterAlarm', {
      description:
        'Dispatcher or watchdog runs that could not be invoked are waiting in the schedule dead-letter queue',
      metric: this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
    });
    this.addAlarm(this, 'FunctionErrorsAlarm', {
      description: 'The poller function threw (crash, timeout or out of memory)',
      metric: this.function.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
    });
  }

  /**
   * An alarm notifying the alarm topic; by default it fires on `metric > 0` in one period,
   * with missing data (nothing happened) not breaching.
   */
  private addAlarm(
    scope: Construct,
    id: string,
    options: {
      description: string;
      metric: IMetric;
      threshold?: number;
      comparisonOperator?: ComparisonOperator;
      evaluationPeriods?: number;
      treatMissingData?: TreatMissingData;
    },
  ): Alarm {
    const evaluationPeriods = options.evaluationPeriods ?? 1;
    const alarm = new Alarm(scope, id, {
      alarmDescription: options.description,
      metric: options.metric,
      threshold: options.threshold ?? 0,
      comparisonOperator: options.comparisonOperator ?? ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: options.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.alarmAction);
    this.alarmList.push(alarm);
    return alarm;
  }

  private createDashboard(): Dashboard {
    const sum = (metricName: MetricName, label: string) => this.metric(metricName).with({ label });
    const width = 12;
    return new Dashboard(this, 'Dashboard', {
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
              this.metric(MetricName.AppsRegistered, { statistic: 'Maximum' }).with({ label: 'registered' }),
              this.metric(MetricName.AppsStale, { statistic: 'Maximum' }).with({ label: 'stale' }),
              this.metric(MetricName.AppsFailing, { statistic: 'Maximum' }).with({ label: 'failing' }),
            ],
            width,
          }),
          new GraphWidget({
            title: 'Events by type',
            left: [
              sum(MetricName.EventsCreated, 'customer.created'),
              sum(MetricName.EventsUpdated, 'customer.updated'),
              sum(MetricName.EventsOptoutChanged, 'customer.optout_changed'),
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
            left: [
              this.metric(MetricName.PollDuration, { statistic: 'Maximum' }).with({ label: 'duration' }),
            ],
            right: [this.metric(MetricName.Lag, { statistic: 'Maximum' }).with({ label: 'lag' })],
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
              this.function.metricErrors({ statistic: 'Sum', label: 'Poller errors' }),
            ],
            width,
          }),
          new GraphWidget({
            title: 'Poll queue',
            left: [
              this.dispatch.queue.metricApproximateNumberOfMessagesVisible({
                statistic: 'Maximum',
                label: 'waiting',
              }),
              this.dispatch.queue.metricApproximateAgeOfOldestMessage({
                statistic: 'Maximum',
                label: 'oldest (s)',
              }),
            ],
            right: [
              this.dispatch.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                statistic: 'Maximum',
                label: 'dead letters',
              }),
              this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
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
}

/** Records why a cdk-nag finding is accepted, on the narrowest construct it concerns. */
function acknowledge(scope: Construct, id: string, reason: readonly string[]): void {
  Validations.of(scope).acknowledge({ id, reason: reason.join(' ') });
}

const ATTRIBUTE_TYPES = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
} as const;

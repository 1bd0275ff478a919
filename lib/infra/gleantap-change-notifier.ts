import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, Billing, type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  type ISchedule,
  Schedule,
  type ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  type ITopic,
  Subscription,
  SubscriptionFilter,
  SubscriptionProtocol,
  Topic,
} from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TABLE_KEY_SCHEMA } from '../aws/table-schema.ts';
import { checkEventType } from '../core/settings.ts';
import type { EventType } from '../core/types.ts';
import { APP_ID_DIMENSION, METRICS_NAMESPACE, METRICS_SERVICE, MetricName } from '../metric-names.ts';
import { NotifierFunction } from './notifier-function.ts';
import { emailProblem, type NotifierSettings, resolveNotifierProps } from './private/notifier-settings.ts';
import { propsError } from './private/validation-error.ts';

export { DEFAULT_GLEANTAP_BASE_URL, EVENT_TYPES } from '../core/settings.ts';

/** SNS rejects a filter policy whose value combinations exceed this. */
const MAX_FILTER_POLICY_COMBINATIONS = 150;

const POLLER_ENTRY = fileURLToPath(new URL('../../functions/poller/handler.ts', import.meta.url));

/**
 * Properties for a {@link GleantapChangeNotifier}.
 */
export interface GleantapChangeNotifierProps {
  /**
   * The Gleantap app ids to poll. Each gets its own schedule, and each invocation polls one app.
   *
   * Must be non-empty and unique; each id a non-empty string without commas (the function
   * receives them comma-separated in `GLEANTAP_APP_IDS`).
   */
  readonly appIds: readonly string[];

  /**
   * How often each app is polled: a `Duration` (a whole number of minutes, at least one) or an
   * EventBridge Scheduler expression (`rate(...)` or `cron(...)`).
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
   * Days subtracted from the last successful poll's start to form `updated_since`, 1 to 30.
   * Gleantap filters by date in an undocumented time zone, so at least one day is needed.
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
   * Concurrent executions reserved for the poller. It caps the cost of a runaway and keeps
   * the poller from starving other functions.
   *
   * Accounts whose concurrency limit is still the new-account default of 10 cannot reserve
   * any: lower it or ask for a higher limit.
   *
   * @default - the number of app ids plus one
   */
  readonly reservedConcurrency?: number;

  /**
   * The poller's timeout. The handler stops at a page boundary before it, and it must be
   * shorter than the schedule interval when `schedule` is a `Duration`.
   *
   * @default - four minutes, or 80 % of the schedule interval when that is shorter
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

  /** The events topic subscribers attach to. */
  public readonly topic: ITopic;

  /** The topic CloudWatch alarms publish to. */
  public readonly alarmTopic: ITopic;

  /** The poller. */
  public readonly function: IFunction;

  /** The secret the poller reads the Gleantap keys from. */
  public readonly credentials: ISecret;

  /** One schedule per app id, keyed by app id. */
  public readonly schedules: ReadonlyMap<string, ISchedule>;

  /** Where failed schedule invocations land after their retries. */
  public readonly scheduleDeadLetterQueue: IQueue;

  /** The operational dashboard. */
  public readonly dashboard: Dashboard;

  /** Every alarm the construct created, including those of `addSubscriber`. */
  public get alarms(): readonly IAlarm[] {
    return [...this.alarmList];
  }

  private readonly appIds: readonly string[];
  private readonly alarmList: IAlarm[] = [];
  private readonly alarmAction: SnsAction;

  constructor(scope: Construct, id: string, props: GleantapChangeNotifierProps) {
    super(scope, id);
    const { settings, problems } = resolveNotifierProps(props);
    if (problems.length > 0) throw propsError(this, 'GleantapNotifierProps', problems);
    this.appIds = settings.appIds;

    const table = new TableV2(this, 'Table', {
      partitionKey: {
        name: TABLE_KEY_SCHEMA.partitionKey.name,
        type: ATTRIBUTE_TYPES[TABLE_KEY_SCHEMA.partitionKey.type],
      },
      sortKey: { name: TABLE_KEY_SCHEMA.sortKey.name, type: ATTRIBUTE_TYPES[TABLE_KEY_SCHEMA.sortKey.type] },
      timeToLiveAttribute: TABLE_KEY_SCHEMA.timeToLiveAttribute,
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // aws-cdk-lib's d.ts declares TableV2's optional attributes as `T | undefined` where
    // ITableV2 has `T?`, which exactOptionalPropertyTypes rejects although the class
    // implements the interface; the widening is sound.
    this.table = table as ITableV2;

    // One customer-managed key for both topics: SNS cannot let CloudWatch publish to a topic
    // under the AWS-managed aws/sns key, and one key costs half of two. CloudWatch's use of it
    // is limited to this account's alarms (see below); nothing stored is encrypted with it.
    const topicKey = new Key(this, 'TopicKey', {
      description: 'Encrypts the Gleantap notifier topics',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
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
      reservedConcurrentExecutions: props.reservedConcurrency ?? settings.appIds.length + 1,
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      environment: {
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
        GLEANTAP_BASE_URL: settings.baseUrl,
        GLEANTAP_APP_IDS: settings.appIds.join(','),
        GLEANTAP_CREDENTIALS_SECRET_ARN: this.credentials.secretArn,
        NOTIFIER_TABLE_NAME: table.tableName,
        EVENTS_TOPIC_ARN: this.topic.topicArn,
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
    this.topic.grantPublish(this.function);
    acknowledge(poller.role, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', [
      'Added by topic.grantPublish for the KMS-encrypted events topic and scoped to that one key:',
      "SNS calls GenerateDataKey on the publisher's behalf to encrypt each message.",
    ]);
    acknowledge(poller.function, 'AwsSolutions-L1', [
      'Node.js 22 is the runtime the design fixes and the toolchain tests against;',
      'moving to a newer runtime is a deliberate upgrade, not a synth-time default.',
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
      description: 'Lets EventBridge Scheduler invoke the Gleantap notifier poller',
    });
    acknowledge(
      schedulerRole,
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(poller.cfnFunction)}.Arn>:*]`,
      [
        'Added by LambdaInvoke (function.grantInvoke): the function ARN plus its qualified',
        'versions and aliases (`<arn>:*`) of this one function, nothing else.',
      ],
    );

    const schedules = new Map<string, ISchedule>();
    for (const appId of settings.appIds) {
      schedules.set(
        appId,
        new Schedule(this, `Poll-${constructIdPart(appId)}`, {
          description: `Polls Gleantap app ${appId} for changed customers`,
          schedule: settings.scheduleExpression,
          target: new LambdaInvoke(this.function, {
            role: schedulerRole,
            input: ScheduleTargetInput.fromObject({ appId }),
            retryAttempts: 2,
            // A poll later than this is pointless: the next scheduled one covers it.
            maxEventAge: settings.maxEventAge,
            deadLetterQueue: scheduleDeadLetterQueue,
          }),
        }),
      );
    }
    this.schedules = schedules;

    this.createAlarms(settings);
    this.dashboard = this.createDashboard(settings);

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
   * Subscribes an email address to the opt-out events (`customer.optout_changed`) of one
   * app, which carry a short human-readable text for email. The subscription filters on
   * `app_id` as well as `type`. The recipient must confirm the subscription.
   *
   * @param appId the app whose opt-outs the address receives; may be left out only when the
   *   construct polls a single app
   * @returns the subscription
   * @throws ValidationError when the address is not an email address, the app is not one of
   *   `appIds` (or is left out with several), or the address is already subscribed to it.
   */
  public addAlertEmail(address: string, appId?: string): Subscription {
    const app = appId ?? (this.appIds.length === 1 ? this.appIds[0] : undefined);
    const problem =
      emailProblem(address) ??
      (app === undefined
        ? `name the app whose opt-outs ${address} receives: with several apps, one address must not read every studio's members`
        : !this.appIds.includes(app)
          ? `"${app}" is not one of the polled appIds`
          : undefined);
    if (problem !== undefined || app === undefined) {
      throw propsError(this, 'GleantapNotifierAlertEmail', [`addAlertEmail: ${problem ?? 'no app'}`]);
    }
    const id = `AlertEmail-${constructIdPart(app)}-${address}`;
    if (this.node.tryFindChild(id) !== undefined) {
      throw propsError(this, 'GleantapNotifierAlertEmail', [
        `addAlertEmail: ${address} is already subscribed to app ${app}`,
      ]);
    }
    return new Subscription(this, id, {
      topic: this.topic,
      protocol: SubscriptionProtocol.EMAIL,
      endpoint: address,
      filterPolicy: {
        type: SubscriptionFilter.stringFilter({ allowlist: ['customer.optout_changed'] }),
        app_id: SubscriptionFilter.stringFilter({ allowlist: [app] }),
      },
    });
  }

  /** A metric the poller emits for one app, with the dimensions it emits it with. */
  public metric(
    metricName: MetricName,
    appId: string,
    options: { statistic?: string; period?: Duration } = {},
  ): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: METRICS_SERVICE, [APP_ID_DIMENSION]: appId },
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
    for (const appId of options.appIds ?? []) {
      if (!this.appIds.includes(appId)) {
        throw new Error(`addSubscriber: appIds contains "${appId}", which is not one of the polled appIds`);
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

  private createAlarms(settings: NotifierSettings): void {
    for (const appId of settings.appIds) {
      const scope = new Construct(this, `Alarms-${constructIdPart(appId)}`);
      this.addAlarm(scope, 'PollFailed', {
        description: `A poll of Gleantap app ${appId} failed or left a change unpublished`,
        metric: this.metric(MetricName.PollFailed, appId),
      });
      this.addAlarm(scope, 'PublishFailed', {
        description: `Events of Gleantap app ${appId} could not be published to SNS`,
        metric: this.metric(MetricName.PublishFailed, appId),
      });
      // Missing data means no poll reported at all (schedule off, function broken): that is
      // exactly what this alarm is for, so it breaches.
      this.addAlarm(scope, 'Stale', {
        description: `No successful poll of Gleantap app ${appId} for ${settings.missedPolls} poll intervals`,
        metric: this.metric(MetricName.PollSucceeded, appId, { period: settings.pollInterval }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: settings.missedPolls,
        treatMissingData: TreatMissingData.BREACHING,
      });
    }
    this.addAlarm(this, 'ScheduleDeadLetterAlarm', {
      description:
        'Scheduled polls that could not invoke the poller are waiting in the schedule dead-letter queue',
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

  private createDashboard(settings: NotifierSettings): Dashboard {
    const perApp = (metricName: MetricName, statistic = 'Sum') =>
      settings.appIds.map((appId) => this.metric(metricName, appId, { statistic }).with({ label: appId }));
    const eventsByType = (
      [
        [MetricName.EventsCreated, 'customer.created'],
        [MetricName.EventsUpdated, 'customer.updated'],
        [MetricName.EventsOptoutChanged, 'customer.optout_changed'],
      ] as const
    ).map(([metricName, label]) => sumOf(perApp(metricName), label));
    const width = 12;
    const dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new TextWidget({
            markdown: `# Gleantap notifier\nApps: ${settings.appIds.join(', ')}. Metrics: namespace \`${METRICS_NAMESPACE}\`, service \`${METRICS_SERVICE}\`.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new GraphWidget({ title: 'Customers fetched', left: perApp(MetricName.CustomersFetched), width }),
          new GraphWidget({ title: 'Events by type', left: eventsByType, stacked: true, width }),
        ],
        [
          new GraphWidget({
            title: 'Poll duration (ms, max)',
            left: perApp(MetricName.PollDuration, 'Maximum'),
            width,
          }),
          new GraphWidget({
            title: 'Lag behind the watermark (s, max)',
            left: perApp(MetricName.Lag, 'Maximum'),
            width,
          }),
        ],
        [
          new GraphWidget({
            title: 'Errors',
            left: [
              sumOf(perApp(MetricName.PollFailed), 'PollFailed'),
              sumOf(perApp(MetricName.PublishFailed), 'PublishFailed'),
              sumOf(perApp(MetricName.InvalidRecords), 'InvalidRecords'),
              sumOf(perApp(MetricName.CommitConflicts), 'CommitConflicts'),
              this.function.metricErrors({ statistic: 'Sum', label: 'Function errors' }),
            ],
            width,
          }),
          new SingleValueWidget({
            title: 'Schedule dead-letter queue',
            metrics: [
              this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
            ],
            width,
          }),
        ],
      ],
    });
    return dashboard;
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

/**
 * The sum of per-app metrics as one labelled line. Metric ids must be unique within a graph,
 * so each sum prefixes its own from its label.
 */
function sumOf(metrics: readonly Metric[], label: string): IMetric {
  const prefix = label.toLowerCase().replaceAll(/[^a-z0-9]/g, '_');
  const usingMetrics: Record<string, IMetric> = {};
  metrics.forEach((metric, index) => {
    usingMetrics[`${prefix}_${index}`] = metric;
  });
  return new MathExpression({
    expression: `SUM([${Object.keys(usingMetrics).join(',')}])`,
    usingMetrics,
    label,
    period: Duration.minutes(5),
  });
}

/** Construct ids may not contain `/`; app ids are otherwise kept readable. */
function constructIdPart(appId: string): string {
  return appId.replaceAll('/', '_');
}

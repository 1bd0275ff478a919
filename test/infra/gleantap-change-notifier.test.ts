import { App, Duration, Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_KEY_SCHEMA } from '../../lib/aws/table-schema.ts';
import { pollDeadline } from '../../lib/core/deadline.ts';
import { OPTOUT_DIGEST_TYPE } from '../../lib/core/optout-digest.ts';
import { loadFleetConfig } from '../../lib/fleet-config.ts';
import {
  GleantapChangeNotifier,
  type GleantapChangeNotifierProps,
} from '../../lib/infra/gleantap-change-notifier.ts';
import { NotifierStack } from '../../lib/infra/notifier-stack.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE, MetricName } from '../../lib/metric-names.ts';

/**
 * These tests look at the template, not the bundle: skipping esbuild and aws-cdk-lib's built-in
 * CloudFormation schema validation (seconds of WASM start-up per synth) keeps each stack cheap.
 * test/infra/cdk-synth.test.ts bundles the real handler and validates through the CLI.
 */
function newApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
}

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

function newStack(props: Partial<GleantapChangeNotifierProps> = {}): {
  stack: Stack;
  notifier: GleantapChangeNotifier;
} {
  const app = newApp();
  const stack = new Stack(app, 'Test');
  const notifier = new GleantapChangeNotifier(stack, 'Notifier', { appIds: ['app-1', 'app-2'], ...props });
  return { stack, notifier };
}

/** The poller's AWS::Lambda::Function properties (the stack has the alert check's function too). */
function pollerProperties(stack: Stack, notifier: GleantapChangeNotifier, template: Template): Json {
  const id = stack.resolve(notifier.function.functionName) as { Ref: string };
  return properties(template.toJSON().Resources[id.Ref] as Json);
}

function resourcesOfType(template: Template, type: string): Json[] {
  return Object.values(template.findResources(type)).map((r) => r as Json);
}

function properties(resource: Json): Json {
  return resource.Properties as Json;
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** Every statement of every identity policy (AWS::IAM::Policy and inline role policies). */
function identityStatements(template: Template): Statement[] {
  const documents: Json[] = [
    ...resourcesOfType(template, 'AWS::IAM::Policy').map((p) => properties(p).PolicyDocument as Json),
    ...resourcesOfType(template, 'AWS::IAM::Role').flatMap((role) =>
      ((properties(role).Policies as Json[] | undefined) ?? []).map((p) => p.PolicyDocument as Json),
    ),
  ];
  return documents.flatMap((document) => document.Statement as Statement[]);
}

/** Every statement of every resource policy in the template. */
function resourcePolicyStatements(template: Template): Statement[] {
  return [
    ...resourcesOfType(template, 'AWS::KMS::Key').map((k) => properties(k).KeyPolicy as Json),
    ...resourcesOfType(template, 'AWS::SNS::TopicPolicy').map((p) => properties(p).PolicyDocument as Json),
    ...resourcesOfType(template, 'AWS::SQS::QueuePolicy').map((p) => properties(p).PolicyDocument as Json),
  ].flatMap((document) => document.Statement as Statement[]);
}

describe('GleantapChangeNotifier with two apps', () => {
  let stack: Stack;
  let notifier: GleantapChangeNotifier;
  let template: Template;

  beforeAll(() => {
    ({ stack, notifier } = newStack({ alertEmailsByApp: { 'app-1': ['staff@example.com'] } }));
    template = Template.fromStack(stack);
  });

  it('runs one dispatcher every five minutes with its scheduled time as input, retries and a DLQ', () => {
    const schedules = resourcesOfType(template, 'AWS::Scheduler::Schedule').map(properties);
    // The dispatcher's and the watchdog's, whatever the number of apps.
    expect(schedules).toHaveLength(2);
    const dispatcherArn = stack.resolve(notifier.dispatch.dispatcher.functionArn);
    const dlqArn = stack.resolve(notifier.scheduleDeadLetterQueue.queueArn);
    const dispatch = schedules.find(
      (schedule) => JSON.stringify((schedule.Target as Json).Arn) === JSON.stringify(dispatcherArn),
    );
    expect(dispatch).toBeDefined();
    const target = (dispatch?.Target ?? {}) as Json;
    expect(dispatch?.ScheduleExpression).toBe('rate(5 minutes)');
    expect(dispatch?.State).toBe('ENABLED');
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 });
    expect(target.DeadLetterConfig).toEqual({ Arn: dlqArn });
    expect(JSON.parse(String(target.Input))).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
  });

  it('feeds the poller from the FIFO poll queue, one app per invocation, bounded by maximum concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: stack.resolve(notifier.function.functionName),
      EventSourceArn: stack.resolve(notifier.dispatch.queue.queueArn),
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 50 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      VisibilityTimeout: 270,
      RedrivePolicy: {
        deadLetterTargetArn: stack.resolve(notifier.dispatch.deadLetterQueue.queueArn),
        maxReceiveCount: 3,
      },
    });
    template.hasResourceProperties('Custom::GleantapAppRegistrySeed', {
      ServiceToken: stack.resolve(notifier.dispatch.dispatcher.functionArn),
      AppIds: 'app-1,app-2',
    });
  });

  it('lets the scheduler role invoke only the dispatcher and the watchdog and send only to the schedule DLQ', () => {
    const [schedule] = resourcesOfType(template, 'AWS::Scheduler::Schedule').map(properties);
    if (schedule === undefined) throw new Error('no schedule in the template');
    const roleArn = (schedule.Target as Json).RoleArn as { 'Fn::GetAtt': [string, string] };
    const roleId = roleArn['Fn::GetAtt'][0];
    const policies = resourcesOfType(template, 'AWS::IAM::Policy')
      .map(properties)
      .filter((p) => JSON.stringify(p.Roles) === JSON.stringify([{ Ref: roleId }]));
    const statements = policies.flatMap((p) => (p.PolicyDocument as Json).Statement as Statement[]);
    const invoke = (fn: { functionArn: string }) => {
      const arn = stack.resolve(fn.functionArn);
      return {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [arn, { 'Fn::Join': ['', [arn, ':*']] }],
      };
    };
    expect(statements).toEqual(
      expect.arrayContaining([
        invoke(notifier.dispatch.dispatcher),
        invoke(notifier.watchdog.function),
        {
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: stack.resolve(notifier.scheduleDeadLetterQueue.queueArn),
        },
      ]),
    );
    expect(statements).toHaveLength(3);
  });

  it('grants sns:Publish only on the events and alerts topics, and listing only on the alerts topic', () => {
    const sns = identityStatements(template).filter((s) =>
      actionsOf(s).some((a) => a.toLowerCase().startsWith('sns:')),
    );
    const events = stack.resolve(notifier.topic.topicArn);
    const alerts = stack.resolve(notifier.optOutAlerts.alertsTopic?.topicArn);
    expect(alerts).toBeDefined();
    expect(sns.map((s) => [actionsOf(s), resourcesOf(s)])).toEqual(
      expect.arrayContaining([
        [['sns:Publish'], [events]],
        [['sns:Publish'], [alerts]],
        [['sns:ListSubscriptionsByTopic'], [alerts]],
      ]),
    );
    expect(sns).toHaveLength(3);
  });

  it('grants DynamoDB actions only on the state table', () => {
    const dynamo = identityStatements(template).filter((s) =>
      actionsOf(s).some((a) => a.toLowerCase().startsWith('dynamodb:')),
    );
    expect(dynamo.length).toBeGreaterThan(0);
    for (const statement of dynamo) {
      expect(resourcesOf(statement)).toEqual([stack.resolve(notifier.table.tableArn)]);
    }
    const actions = dynamo.flatMap(actionsOf);
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
      ]),
    );
  });

  it('has no identity policy statement with a wildcard action', () => {
    const actions = identityStatements(template).flatMap(actionsOf);
    expect(actions.length).toBeGreaterThan(5);
    const wildcards = actions.filter((a) => a.includes('*'));
    // The one wildcard is the suffix topic.grantPublish puts on KMS for an encrypted topic
    // (GenerateDataKey and GenerateDataKeyWithoutPlaintext); never a whole service or `*`.
    expect([...new Set(wildcards)]).toEqual(['kms:GenerateDataKey*']);
    expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
  });

  it('allows no wildcard action in resource policies except the key administrators default', () => {
    const offending = resourcePolicyStatements(template).filter(
      (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a === '*' || a.endsWith(':*')),
    );
    // The KMS default key policy gives the account root kms:*, without which the key could
    // not be managed by anyone; nothing else may have a whole-service grant.
    expect(offending).toHaveLength(1);
    expect(actionsOf(offending[0] as Statement)).toEqual(['kms:*']);
    expect(JSON.stringify(offending[0]?.Principal)).toContain(':root');
  });

  it('keeps the Gleantap keys out of the template: a generated placeholder secret, only its ARN in env', () => {
    const secrets = resourcesOfType(template, 'AWS::SecretsManager::Secret').map(properties);
    expect(secrets).toHaveLength(1);
    const generate = secrets[0]?.GenerateSecretString as Json;
    expect(generate.GenerateStringKey).toBe('secretKey');
    expect(JSON.parse(String(generate.SecretStringTemplate))).toEqual({ apiKey: 'REPLACE_ME' });
    expect(secrets[0]).not.toHaveProperty('SecretString');

    const env = (pollerProperties(stack, notifier, template).Environment as Json).Variables as Json;
    expect(env.GLEANTAP_CREDENTIALS_SECRET_ARN).toEqual(stack.resolve(notifier.credentials.secretArn));
    expect(Object.keys(env).filter((k) => /KEY|SECRET|PASSWORD|TOKEN/.test(k))).toEqual([
      'GLEANTAP_CREDENTIALS_SECRET_ARN',
    ]);

    const readers = identityStatements(template).filter((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(readers.map(resourcesOf)).toEqual([[stack.resolve(notifier.credentials.secretArn)]]);
  });

  it('encrypts the events topic with a rotating customer-managed key and refuses publishing without TLS', () => {
    const topicId = (stack.resolve(notifier.topic.topicArn) as { Ref: string }).Ref;
    const topic = template.toJSON().Resources[topicId] as Json;
    const keyRef = properties(topic).KmsMasterKeyId as { 'Fn::GetAtt': [string, string] };
    const key = template.toJSON().Resources[keyRef['Fn::GetAtt'][0]] as Json;
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(properties(key).EnableKeyRotation).toBe(true);

    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Principal: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('encrypts the table at rest with the same customer-managed key, kept as long as the table', () => {
    const tables = resourcesOfType(template, 'AWS::DynamoDB::GlobalTable').map(properties);
    expect(tables).toHaveLength(1);
    const keyArn = stack.resolve(notifier.encryptionKey.keyArn);
    expect(tables[0]?.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(tables[0]?.Replicas).toEqual([
      expect.objectContaining({ SSESpecification: { KMSMasterKeyId: keyArn } }),
    ]);
    const topicKey = (
      properties(
        template.toJSON().Resources[(stack.resolve(notifier.topic.topicArn) as { Ref: string }).Ref] as Json,
      ).KmsMasterKeyId as { 'Fn::GetAtt': [string, string] }
    )['Fn::GetAtt'][0];
    expect(keyArn).toEqual({ 'Fn::GetAtt': [topicKey, 'Arn'] });
    const key = template.toJSON().Resources[topicKey] as Json;
    expect(key.DeletionPolicy).toBe('Retain');
    // The poller can use the key for the table.
    const kms = identityStatements(template).filter((s) => actionsOf(s).includes('kms:Decrypt'));
    expect(kms.map(resourcesOf)).toContainEqual([keyArn]);
  });

  it('lets CloudWatch alarms of this account publish to the encrypted alarm topic', () => {
    const alarmTopic = stack.resolve(notifier.alarmTopic.topicArn);
    const condition = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: { 'aws:SourceArn': Match.anyValue() },
    };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [alarmTopic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Resource: alarmTopic,
            Condition: condition,
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt']),
            Condition: condition,
          }),
        ]),
      },
    });
  });

  it('creates the state table on demand with PITR, TTL and exactly the shared key schema, retained', () => {
    const tables = template.findResources('AWS::DynamoDB::GlobalTable');
    expect(Object.keys(tables)).toHaveLength(1);
    const table = Object.values(tables)[0] as Json;
    const props = properties(table);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
    expect(props.KeySchema).toEqual([
      { AttributeName: TABLE_KEY_SCHEMA.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: TABLE_KEY_SCHEMA.sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(props.AttributeDefinitions).toEqual([
      {
        AttributeName: TABLE_KEY_SCHEMA.partitionKey.name,
        AttributeType: TABLE_KEY_SCHEMA.partitionKey.type,
      },
      { AttributeName: TABLE_KEY_SCHEMA.sortKey.name, AttributeType: TABLE_KEY_SCHEMA.sortKey.type },
    ]);
    expect(props.TimeToLiveSpecification).toEqual({
      AttributeName: TABLE_KEY_SCHEMA.timeToLiveAttribute,
      Enabled: true,
    });
    expect(props.Replicas).toEqual([
      expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    ]);
  });

  it("subscribes an app's alert emails to that app's opt-out digests only, on the alerts topic", () => {
    const emails = resourcesOfType(template, 'AWS::SNS::Subscription')
      .map(properties)
      .filter((subscription) => subscription.Protocol === 'email');
    expect(emails).toEqual([
      {
        Protocol: 'email',
        Endpoint: 'staff@example.com',
        TopicArn: stack.resolve(notifier.optOutAlerts.alertsTopic?.topicArn),
        FilterPolicy: { type: [OPTOUT_DIGEST_TYPE], app_id: ['app-1'] },
      },
    ]);
  });

  it('runs the poller on Node 22, arm64, without reserved concurrency and with the wired environment', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function').map(properties);
    // The poller, the dispatcher, the watchdog and the alert subscription check.
    expect(functions).toHaveLength(4);
    for (const other of functions) {
      expect(other.Runtime).toBe('nodejs22.x');
      expect(other.Architectures).toEqual(['arm64']);
      expect(other.ReservedConcurrentExecutions).toBeUndefined();
    }
    const fn =
      functions.find(
        (f) =>
          (f.Environment as Json | undefined)?.Variables &&
          'EVENTS_TOPIC_ARN' in ((f.Environment as Json).Variables as Json),
      ) ?? {};
    expect(fn.Timeout).toBe(240);
    expect(fn.LoggingConfig).toEqual({ LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } });
    expect((fn.Environment as Json).Variables).toEqual({
      GLEANTAP_BASE_URL: 'https://api.gleantap.com',
      GLEANTAP_CREDENTIALS_SECRET_ARN: stack.resolve(notifier.credentials.secretArn),
      NOTIFIER_TABLE_NAME: stack.resolve(notifier.table.tableName),
      EVENTS_TOPIC_ARN: stack.resolve(notifier.topic.topicArn),
      ALERTS_TOPIC_ARN: stack.resolve(notifier.optOutAlerts.alertsTopic?.topicArn),
      NOTIFIER_LOOKBACK_DAYS: '1',
      NOTIFIER_PAGE_SIZE: '1000',
      NOTIFIER_EMIT_BASELINE: 'false',
      POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: stack.resolve(notifier.function.functionName),
      MaximumRetryAttempts: 0,
    });
  });

  it('gives the poller a log group with one month of retention and no AWS managed policy', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    for (const role of resourcesOfType(template, 'AWS::IAM::Role').map(properties)) {
      expect(role.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('alarms on stale and failing apps through the watchdog, a constant number of alarms', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(properties);
    const alarmTopic = stack.resolve(notifier.alarmTopic.topicArn);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([alarmTopic]);
    const fleetWide = [{ Name: 'service', Value: METRICS_SERVICE }];
    const find = (metricName: string) =>
      alarms.filter((a) => a.Namespace === METRICS_NAMESPACE && a.MetricName === metricName);
    // EmptyBaseline: an unknown app id answers with no customers; its first poll says so.
    for (const metricName of [MetricName.AppsStale, MetricName.AppsFailing, MetricName.EmptyBaseline]) {
      expect(find(metricName)).toEqual([
        expect.objectContaining({
          Dimensions: fleetWide,
          Statistic: 'Maximum',
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          TreatMissingData: 'notBreaching',
        }),
      ]);
    }
    expect(find(MetricName.AppsRegistered)).toEqual([
      expect.objectContaining({
        Statistic: 'SampleCount',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        EvaluationPeriods: 3,
        TreatMissingData: 'breaching',
      }),
    ]);
    expect(find(MetricName.PublishFailed)).toEqual([
      expect.objectContaining({ Dimensions: fleetWide, Statistic: 'Sum' }),
    ]);
    const queues = alarms
      .filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')
      .map((a) => JSON.stringify(a.Dimensions));
    expect(queues.sort()).toEqual(
      [notifier.scheduleDeadLetterQueue, notifier.dispatch.deadLetterQueue]
        .map((q) => JSON.stringify([{ Name: 'QueueName', Value: stack.resolve(q.queueName) }]))
        .sort(),
    );
    const errors = alarms.filter((a) => a.MetricName === 'Errors').map((a) => JSON.stringify(a.Dimensions));
    expect(errors.sort()).toEqual(
      [notifier.function, notifier.dispatch.dispatcher]
        .map((f) => JSON.stringify([{ Name: 'FunctionName', Value: stack.resolve(f.functionName) }]))
        .sort(),
    );
    // A refused reconciliation deleted nobody; an operator must decide (README, Operations).
    expect(find(MetricName.ReconcileRefused)).toEqual([
      expect.objectContaining({
        Dimensions: fleetWide,
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
      }),
    ]);
    // Ten, and the alert subscription watch's two (this stack has an alert email).
    expect(alarms).toHaveLength(10 + 2);
    expect(notifier.alarms).toHaveLength(alarms.length);
  });

  it('builds a dashboard over the metrics the poller emits', () => {
    const dashboards = resourcesOfType(template, 'AWS::CloudWatch::Dashboard').map(properties);
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(stack.resolve(dashboards[0]?.DashboardBody));
    for (const metricName of [
      MetricName.CustomersFetched,
      MetricName.EventsCreated,
      MetricName.EventsUpdated,
      MetricName.EventsOptoutChanged,
      MetricName.EventsDeleted,
      MetricName.PollDuration,
      MetricName.Lag,
      MetricName.PollFailed,
      MetricName.PublishFailed,
      MetricName.ReconcileRefused,
      MetricName.ReconcileFailed,
    ]) {
      expect(body).toContain(`\\"${metricName}\\"`);
    }
    expect(body).toContain(METRICS_NAMESPACE);
  });
});

describe('addSubscriber', () => {
  it('subscribes the queue with a filter policy, raw delivery and a DLQ with an alarm', () => {
    const { stack, notifier } = newStack();
    const queue = new Queue(stack, 'Downstream', { enforceSSL: true });
    notifier.addSubscriber(queue, {
      types: ['customer.updated', 'customer.optout_changed'],
      changedFields: ['email', 'email_optout'],
      appIds: ['app-2'],
    });
    const template = Template.fromStack(stack);
    const dlqArn = new Capture();
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: stack.resolve(queue.queueArn),
      TopicArn: stack.resolve(notifier.topic.topicArn),
      RawMessageDelivery: true,
      FilterPolicy: {
        type: ['customer.updated', 'customer.optout_changed'],
        app_id: ['app-2'],
        changed_fields: ['email', 'email_optout'],
      },
      RedrivePolicy: { deadLetterTargetArn: dlqArn },
    });
    const dlqId = (dlqArn.asObject() as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const dlq = template.toJSON().Resources[dlqId] as Json;
    expect(dlq.Type).toBe('AWS::SQS::Queue');
    expect(properties(dlq).SqsManagedSseEnabled).toBe(true);
    // SNS may send to the DLQ, and the topic may send to the subscriber's queue.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'sns.amazonaws.com' },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
    });
  });

  it('omits the filter policy when no option narrows it', () => {
    const { stack, notifier } = newStack();
    notifier.addSubscriber(new Queue(stack, 'All', { enforceSSL: true }), { rawMessageDelivery: false });
    const subscriptions = resourcesOfType(Template.fromStack(stack), 'AWS::SNS::Subscription').map(
      properties,
    );
    expect(subscriptions).toEqual([expect.not.objectContaining({ FilterPolicy: expect.anything() })]);
    expect(subscriptions[0]?.RawMessageDelivery).toBe(false);
  });

  it.each([
    [{ types: [] }, /types/],
    [{ types: ['customer.merged' as 'customer.created'] }, /types.*customer\.merged/],
    [{ appIds: ['app#9'] }, /appIds.*app#9/],
    [{ changedFields: [''] }, /changedFields/],
  ])('rejects %j naming the option', (options, message) => {
    const { stack, notifier } = newStack();
    expect(() => notifier.addSubscriber(new Queue(stack, 'Q'), options)).toThrow(message);
  });

  it('refuses to subscribe the same queue twice', () => {
    const { stack, notifier } = newStack();
    const queue = new Queue(stack, 'Q');
    notifier.addSubscriber(queue);
    expect(() => notifier.addSubscriber(queue)).toThrow(/already subscribed/);
  });
});

describe('props', () => {
  it('honours schedule, timeout, reserved concurrency, paging, baseline, watched fields and extra env', () => {
    const { stack } = newStack({
      schedule: Duration.minutes(10),
      timeout: Duration.minutes(8),
      reservedConcurrency: 1,
      lookbackDays: 2,
      pageSize: 500,
      emitBaseline: true,
      watchedFields: ['custom_1', 'custom_2'],
      gleantapBaseUrl: 'https://eu.gleantap.example',
      environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG', NODE_OPTIONS: '--max-old-space-size=400' },
    });
    const template = Template.fromStack(stack);
    template.allResourcesProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(10 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 480,
      ReservedConcurrentExecutions: 1,
      Environment: {
        Variables: Match.objectLike({
          GLEANTAP_BASE_URL: 'https://eu.gleantap.example',
          NOTIFIER_LOOKBACK_DAYS: '2',
          NOTIFIER_PAGE_SIZE: '500',
          NOTIFIER_EMIT_BASELINE: 'true',
          NOTIFIER_WATCHED_FIELDS: 'custom_1,custom_2',
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          NODE_OPTIONS: '--max-old-space-size=400 --enable-source-maps',
        }),
      },
    });
  });

  it('defaults the timeout under a short schedule interval', () => {
    const { stack } = newStack({ schedule: Duration.minutes(2) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Timeout: 96 });
  });

  it('gives a 1-minute schedule at least 30 s of scanning per invocation, by the deadline the handler uses (issue 12)', () => {
    const { stack } = newStack({ schedule: Duration.minutes(1) });
    const timeouts = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(
      (fn) => Number(fn.Properties?.Timeout),
    );
    // The poller's (the dispatcher and the watchdog have their own).
    expect(timeouts).toContain(48);
    const start = new Date('2026-01-01T00:00:00Z');
    const scanMs = pollDeadline(start, 48_000).getTime() - start.getTime();
    expect(scanMs).toBeGreaterThanOrEqual(30_000);
  });

  it('tells the dispatcher the reconciliation interval: daily by default, or the prop', () => {
    const dispatcherEnvironment = (props: Partial<GleantapChangeNotifierProps>) => {
      const { stack, notifier } = newStack(props);
      const id = stack.resolve(notifier.dispatch.dispatcher.functionName) as { Ref: string };
      const fn = properties(Template.fromStack(stack).toJSON().Resources[id.Ref] as Json);
      return (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    };
    expect(dispatcherEnvironment({})).toMatchObject({ NOTIFIER_RECONCILE_INTERVAL_DAYS: '1' });
    const weekly = dispatcherEnvironment({ reconcileIntervalDays: 7 });
    expect(weekly).toMatchObject({ NOTIFIER_RECONCILE_INTERVAL_DAYS: '7' });
    // What the construct accepts, the dispatcher's configuration accepts.
    const env = Object.fromEntries(
      Object.entries(weekly).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : 'https://sqs.local/1/polls.fifo',
      ]),
    );
    expect(loadFleetConfig({ ...env, NOTIFIER_TABLE_NAME: 'state-table' }, { queue: true })).toMatchObject({
      ok: true,
      config: { reconcileIntervalDays: 7 },
    });
  });

  it('accepts a schedule expression with an explicit poll interval for the staleness alarm', () => {
    const { stack } = newStack({
      schedule: ScheduleExpression.expression('cron(0/15 6-22 * * ? *)'),
      pollInterval: Duration.minutes(15),
      missedPollsBeforeAlarm: 4,
    });
    const template = Template.fromStack(stack);
    template.allResourcesProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0/15 6-22 * * ? *)',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ NOTIFIER_DISPATCH_MINUTES: '15', NOTIFIER_MISSED_POLLS: '4' }),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: MetricName.AppsStale,
      Period: 900,
    });
  });

  it('uses an existing secret and puts only its ARN in the environment', () => {
    const app = newApp();
    const stack = new Stack(app, 'Existing');
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gleantap-AbCdEf';
    const notifier = new GleantapChangeNotifier(stack, 'Notifier', {
      appIds: ['a'],
      credentials: Secret.fromSecretCompleteArn(stack, 'Keys', arn),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ GLEANTAP_CREDENTIALS_SECRET_ARN: arn }) },
    });
    expect(notifier.credentials.secretArn).toBe(arn);
  });

  const bad: [string, Partial<GleantapChangeNotifierProps>, RegExp][] = [
    ['an empty app id', { appIds: ['a', ' '] }, /appIds/],
    ['an app id with a comma', { appIds: ['a,b'] }, /appIds/],
    ['an app id with the key separator', { appIds: ['a#b'] }, /appIds.*"a#b"/],
    ['a lookback over 30 days', { lookbackDays: 60 }, /lookbackDays must be from 1 to 30/],
    ['a lookback of 0 days', { lookbackDays: 0 }, /lookbackDays/],
    ['a watched field that is not a field name', { watchedFields: ['membership-tier'] }, /watchedFields/],
    ['watching id', { watchedFields: ['id'] }, /watchedFields cannot include id/],
    ['one alert email list for several apps', { alertEmails: ['staff@example.com'] }, /alertEmailsByApp/],
    ['alert emails of an invalid app id', { alertEmailsByApp: { 'a#b': ['s@example.com'] } }, /"a#b"/],
    ['a maximum concurrency of 1', { maxConcurrency: 1 }, /maxConcurrency/],
    ['a duplicate app id', { appIds: ['a', 'a'] }, /appIds.*"a"/],
    ['a schedule under a minute', { schedule: Duration.seconds(30) }, /schedule/],
    ['a schedule of fractional minutes', { schedule: Duration.seconds(90) }, /schedule/],
    [
      'an expression schedule without a poll interval',
      { schedule: ScheduleExpression.expression('cron(0 * * * ? *)') },
      /pollInterval/,
    ],
    ['a timeout as long as the interval', { timeout: Duration.minutes(5) }, /timeout/],
    ['a timeout over 15 minutes', { schedule: Duration.hours(1), timeout: Duration.minutes(16) }, /timeout/],
    ['a negative lookback', { lookbackDays: -1 }, /lookbackDays/],
    ['a lookback of 0 days (issue 12: at least one)', { lookbackDays: 0 }, /lookbackDays/],
    ['a lookback the poller would reject', { lookbackDays: 31 }, /lookbackDays/],
    ['a fractional lookback', { lookbackDays: 1.5 }, /lookbackDays/],
    [
      'a reconciliation interval of 0 days',
      { reconcileIntervalDays: 0 },
      /reconcileIntervalDays must be from 1 to 7/,
    ],
    ['a reconciliation interval over a week', { reconcileIntervalDays: 8 }, /reconcileIntervalDays/],
    ['a fractional reconciliation interval', { reconcileIntervalDays: 1.5 }, /reconcileIntervalDays/],
    ['a page size of 0', { pageSize: 0 }, /pageSize/],
    ['a page size over 1000', { pageSize: 1001 }, /pageSize/],
    ['a base URL with a path', { gleantapBaseUrl: 'https://api.gleantap.com/v2' }, /gleantapBaseUrl/],
    ['a plain-HTTP base URL', { gleantapBaseUrl: 'http://api.gleantap.com' }, /gleantapBaseUrl/],
    ['a base URL that is not a URL', { gleantapBaseUrl: 'api.gleantap.com' }, /gleantapBaseUrl/],
    ['a reserved concurrency of 0', { reservedConcurrency: 0 }, /reservedConcurrency/],
    ['a watched field with a comma', { watchedFields: ['a,b'] }, /watchedFields/],
    ['an alert email that is not one', { alertEmails: ['staff'] }, /alertEmails/],
    ['an alarm email that is not one', { alarmEmails: ['ops@'] }, /alarmEmails/],
    ['no missed polls', { missedPollsBeforeAlarm: 0 }, /missedPollsBeforeAlarm/],
    [
      'a staleness window over a day',
      { schedule: Duration.hours(12), timeout: Duration.minutes(5), missedPollsBeforeAlarm: 3 },
      /missedPollsBeforeAlarm/,
    ],
    [
      'an environment overriding a wired variable',
      { environment: { EVENTS_TOPIC_ARN: 'x' } },
      /EVENTS_TOPIC_ARN/,
    ],
  ];
  it.each(bad)('rejects %s, naming the prop', (_name, props, message) => {
    expect(() => newStack(props)).toThrow(message);
  });

  it("with alertDelivery 'each' mails every opt-out event of the address's apps from the events topic", () => {
    const { stack, notifier } = newStack({
      alertDelivery: 'each',
      alertEmailsByApp: { 'app-1': ['desk@example.com'], 'app-2': ['Desk@example.com'] },
    });
    const template = Template.fromStack(stack);
    expect(notifier.optOutAlerts.alertsTopic).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Topic', 2);
    // One subscription for the address, both apps in its filter (SNS refuses a second one).
    expect(
      resourcesOfType(template, 'AWS::SNS::Subscription')
        .map(properties)
        .filter((s) => s.Protocol === 'email'),
    ).toEqual([
      {
        Protocol: 'email',
        Endpoint: 'desk@example.com',
        TopicArn: stack.resolve(notifier.topic.topicArn),
        FilterPolicy: { type: ['customer.optout_changed'], app_id: ['app-1', 'app-2'] },
      },
    ]);
    const env = (pollerProperties(stack, notifier, template).Environment as Json).Variables as Json;
    expect(env).not.toHaveProperty('ALERTS_TOPIC_ARN');
  });

  it('rejects the same alert email twice for one app, and one without an app when there are several', () => {
    const { notifier } = newStack({ alertEmailsByApp: { 'app-1': ['staff@example.com'] } });
    expect(() => notifier.addAlertEmail('staff@example.com', 'app-1')).toThrow(/already subscribed/);
    expect(() => notifier.addAlertEmail('staff@example.com')).toThrow(/name the app/);
    expect(() => notifier.addAlertEmail('staff@example.com', 'app-2')).not.toThrow();
  });

  it('reports every invalid prop at once, with the construct path', () => {
    let error: unknown;
    try {
      newStack({ lookbackDays: 60, pageSize: 5000, watchedFields: ['id'] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    const message = error instanceof Error ? error.message : '';
    expect(message).toMatch(/^Invalid props of Test\/Notifier:/);
    expect(message).toMatch(/lookbackDays[\s\S]*pageSize[\s\S]*watchedFields/);
    expect(error).toHaveProperty('constructPath', 'Test/Notifier');
  });
});

describe('NotifierStack', () => {
  it('passes cdk-nag AwsSolutions with every acknowledged finding explained', () => {
    const app = newApp();
    const stack = new NotifierStack(app, 'Nag', {
      notifier: {
        appIds: ['a', 'b'],
        alertEmailsByApp: { a: ['staff@example.com'] },
        alarmEmails: ['ops@example.com'],
      },
    });
    const queue = new Queue(stack, 'Downstream', {
      enforceSSL: true,
      deadLetterQueue: { queue: new Queue(stack, 'DownstreamDlq', { enforceSSL: true }), maxReceiveCount: 5 },
    });
    stack.notifier.addSubscriber(queue, { types: ['customer.optout_changed'] });

    const report = new AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations.map(
      (v) =>
        `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);

    // Each acknowledgement carries a specific reason, not a placeholder.
    const acknowledgements = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    const logicalId = (fn: { node: { defaultChild?: unknown } }) =>
      stack.getLogicalId(fn.node.defaultChild as CfnFunction);
    const { dispatch, watchdog } = stack.notifier;
    expect(acknowledgements.map(([id]) => id.replace(/^annotation::/i, '')).sort()).toEqual(
      [
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        `AwsSolutions-IAM5[Resource::<${logicalId(dispatch.dispatcher)}.Arn>:*]`,
        `AwsSolutions-IAM5[Resource::<${logicalId(watchdog.function)}.Arn>:*]`,
        'AwsSolutions-L1',
        'AwsSolutions-L1',
        'AwsSolutions-L1',
        'AwsSolutions-L1',
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS3',
        // Poller, dispatcher, watchdog and the alert subscription check (this stack has an alert
        // email): their log groups and their place outside a VPC.
        ...['poller', 'dispatcher', 'watchdog', 'alert check'].flatMap(() => [
          'CT.CLOUDWATCH.PR.2',
          'CT.CLOUDWATCH.PR.3',
          'CT.LAMBDA.PR.3',
        ]),
        'CT.KMS.PR.3',
        // The schedule DLQ, the poll DLQ, the subscriber's DLQ.
        'CT.SQS.PR.1',
        'CT.SQS.PR.1',
        'CT.SQS.PR.1',
      ].sort(),
    );
    for (const [, reason] of acknowledgements) expect(String(reason).length).toBeGreaterThan(40);
  });

  it('rejects a credentials ARN that is not a secret ARN', () => {
    const app = newApp();
    expect(
      () =>
        new NotifierStack(app, 'Bad', {
          notifier: { appIds: ['a'] },
          credentialsSecretArn: 'arn:aws:ssm:eu-west-1:123456789012:parameter/keys',
        }),
    ).toThrow(/credentialsSecretArn/);
  });
});

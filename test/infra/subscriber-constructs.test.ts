import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { GleantapChangeNotifier } from '../../lib/infra/gleantap-change-notifier.ts';
import { SUBSCRIBER_TABLE_ENV } from '../../lib/subscriber/sqs-handler.ts';

const ENTRY = fileURLToPath(new URL('../../examples/sqs-subscriber/handler.ts', import.meta.url));

/** See gleantap-change-notifier.test.ts: no bundling, no schema validation, so synth stays cheap. */
const newNotifier = () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Subscribers');
  const notifier = new GleantapChangeNotifier(stack, 'Notifier', { appIds: ['app-1', 'app-2'] });
  return { app, stack, notifier };
};

type Json = Record<string, unknown>;
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('addSubscriberFunction', () => {
  const build = () => {
    const { app, stack, notifier } = newNotifier();
    const subscriber = notifier.addSubscriberFunction('Crm', {
      entry: ENTRY,
      filter: { types: ['customer.optout_changed'], appIds: ['app-2'] },
    });
    return { app, stack, notifier, subscriber, template: Template.fromStack(stack) };
  };

  it('subscribes its own queue, raw and filtered, with a dead-letter queue for deliveries and for records', () => {
    const { stack, subscriber, template } = build();
    const queue = stack.resolve(subscriber.queue.queueArn);
    const dlq = stack.resolve(subscriber.deadLetterQueue.queueArn);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: queue,
      RawMessageDelivery: true,
      FilterPolicy: { type: ['customer.optout_changed'], app_id: ['app-2'] },
      RedrivePolicy: { deadLetterTargetArn: dlq },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: dlq, maxReceiveCount: 5 },
      VisibilityTimeout: 180,
      SqsManagedSseEnabled: true,
    });
  });

  it('maps the queue to the function with partial batch responses and passes the state table by name', () => {
    const { stack, subscriber, template } = build();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(subscriber.queue.queueArn),
      FunctionName: stack.resolve(subscriber.function.functionName),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [SUBSCRIBER_TABLE_ENV]: stack.resolve(subscriber.table.tableName) }),
      },
      Architectures: ['arm64'],
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
  });

  it('grants the function its table (read and update only) and its queue, and nothing with a wildcard action', () => {
    const { stack, subscriber, template } = build();
    const role = stack.resolve(subscriber.function.role?.roleName);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify((p as Json).Properties).includes(JSON.stringify(role)),
    );
    const statements = policies.flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    );
    const all = statements.flatMap(actions);
    expect(all.filter((a) => a.endsWith('*') && !a.startsWith('logs:'))).toEqual([]);
    const table = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(table.flatMap(actions).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(JSON.stringify(table.map((s) => s.Resource))).toContain(
      JSON.stringify(stack.resolve(subscriber.table.tableArn)),
    );
    const queue = statements.filter((s) => actions(s).some((a) => a.startsWith('sqs:')));
    expect(queue.map((s) => s.Resource)).toEqual([stack.resolve(subscriber.queue.queueArn)]);
  });

  it('alarms when its dead-letter queue holds messages', () => {
    const { stack, subscriber, template } = build();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(subscriber.deadLetterQueue.queueName) }],
    });
  });

  it('names the option it rejects', () => {
    const { notifier } = newNotifier();
    expect(() => notifier.addSubscriberFunction('Bad', { entry: ENTRY, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => notifier.addSubscriberFunction('Bad2', { entry: ENTRY, filter: { appIds: [] } })).toThrow(
      /appIds/,
    );
  });
});

describe('addWebhook', () => {
  it('adds an https subscription with a delivery policy and a dead-letter queue', () => {
    const { stack, notifier } = newNotifier();
    const webhook = notifier.addWebhook('Crm', 'https://hooks.example.com/gleantap', {
      filter: { types: ['customer.updated'] },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://hooks.example.com/gleantap',
      FilterPolicy: { type: ['customer.updated'] },
      RedrivePolicy: { deadLetterTargetArn: stack.resolve(webhook.deadLetterQueue.queueArn) },
      DeliveryPolicy: {
        healthyRetryPolicy: Match.objectLike({ numRetries: 12, backoffFunction: 'EXPONENTIAL' }),
        throttlePolicy: { maxReceivesPerSecond: 10 },
      },
    });
  });

  it.each(['http://hooks.example.com/x', 'not a url'])('refuses %s', (url) => {
    const { notifier } = newNotifier();
    expect(() => notifier.addWebhook('Crm', url)).toThrow(/url/);
  });
});

describe('subscriber constructs under cdk-nag', () => {
  it('pass AwsSolutions', () => {
    const { app, notifier } = newNotifier();
    notifier.addSubscriberFunction('Crm', { entry: ENTRY });
    notifier.addWebhook('Hook', 'https://hooks.example.com/gleantap');
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations.map(
      (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });
});

import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ALERT_WATCH_ENVIRONMENT } from '../../lib/alert-watch-environment.ts';
import { OPTOUT_DIGEST_TYPE } from '../../lib/core/optout-digest.ts';
import { type AlertDelivery, OptOutAlerts } from '../../lib/infra/opt-out-alerts.ts';
import { AlertWatchMetricName } from '../../lib/metric-names.ts';

type Json = Record<string, unknown>;

/** Template tests skip esbuild and the CloudFormation schema check (see gleantap-change-notifier.test.ts). */
function setup(delivery?: AlertDelivery, appIds: readonly string[] = ['studio-a', 'studio-b']) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test');
  const key = new Key(stack, 'Key', { enableKeyRotation: true });
  const events = new Topic(stack, 'Events', { masterKey: key, enforceSSL: true });
  const alarms = new Topic(stack, 'Alarms', { masterKey: key, enforceSSL: true });
  const alerts = new OptOutAlerts(stack, 'Alerts', {
    eventsTopic: events,
    masterKey: key,
    appIds,
    alarmAction: new SnsAction(alarms),
    ...(delivery === undefined ? {} : { delivery }),
  });
  return { app, stack, key, events, alarms, alerts, template: () => Template.fromStack(stack) };
}

function subscriptions(template: Template): Json[] {
  return Object.values(template.findResources('AWS::SNS::Subscription')).map(
    (r) => (r as { Properties: Json }).Properties,
  );
}

describe('OptOutAlerts', () => {
  it('by default puts staff mail on an alerts topic of its own, under the same key, TLS only', () => {
    const { stack, alerts, events, key, template } = setup();
    expect(alerts.delivery).toBe('digest');
    expect(alerts.alertsTopic).toBeDefined();
    const alertsRef = stack.resolve(alerts.alertsTopic?.topicArn);
    expect(alertsRef).not.toEqual(stack.resolve(events.topicArn));
    expect(alerts.subscriptionTopic).toBe(alerts.alertsTopic);
    const t = template();
    t.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Gleantap opt-out alerts',
      KmsMasterKeyId: stack.resolve(key.keyArn),
    });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [alertsRef],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('gives each address one subscription, filtered to digests of its own apps', () => {
    const { stack, alerts, template } = setup('digest', ['studio-a', 'studio-b', 'studio-c']);
    alerts.addEmail('desk@a.example', ['studio-a']);
    alerts.addEmail('owner@example.com', ['studio-b']);
    // The same address for another app (in another case) widens its one subscription: SNS
    // refuses a second subscription of an endpoint with another filter policy.
    alerts.addEmail('Owner@Example.com', ['studio-c', 'studio-b']);
    const subs = subscriptions(template());
    expect(subs).toHaveLength(2);
    const topic = stack.resolve(alerts.alertsTopic?.topicArn);
    expect(subs).toEqual(
      expect.arrayContaining([
        {
          TopicArn: topic,
          Protocol: 'email',
          Endpoint: 'desk@a.example',
          FilterPolicy: { type: [OPTOUT_DIGEST_TYPE], app_id: ['studio-a'] },
        },
        {
          TopicArn: topic,
          Protocol: 'email',
          Endpoint: 'owner@example.com',
          FilterPolicy: { type: [OPTOUT_DIGEST_TYPE], app_id: ['studio-b', 'studio-c'] },
        },
      ]),
    );
    expect(Object.fromEntries(alerts.recipients)).toEqual({
      'desk@a.example': ['studio-a'],
      'owner@example.com': ['studio-b', 'studio-c'],
    });
  });

  it('with each delivery subscribes staff to the opt-out events of their apps on the events topic', () => {
    const { stack, alerts, events, template } = setup('each');
    expect(alerts.alertsTopic).toBeUndefined();
    alerts.addEmail('desk@a.example', ['studio-a']);
    const t = template();
    t.resourceCountIs('AWS::SNS::Topic', 2);
    expect(subscriptions(t)).toEqual([
      {
        TopicArn: stack.resolve(events.topicArn),
        Protocol: 'email',
        Endpoint: 'desk@a.example',
        FilterPolicy: { type: ['customer.optout_changed'], app_id: ['studio-a'] },
      },
    ]);
  });

  it.each([
    { apps: [], error: /name the apps/ },
    { apps: ['studio-z'], error: /"studio-z" is not one of the polled appIds/ },
  ])('refuses an address for apps $apps', ({ apps, error }) => {
    const { alerts } = setup();
    expect(() => alerts.addEmail('desk@a.example', apps)).toThrow(error);
  });

  it('refuses more apps for one address than a filter policy can list', () => {
    const appIds = Array.from({ length: 151 }, (_, i) => `s${i}`);
    const { alerts } = setup('digest', appIds);
    alerts.addEmail('hq@example.com', appIds.slice(0, 150));
    expect(() => alerts.addEmail('hq@example.com', ['s150'])).toThrow(/at most 150/);
  });

  it('refuses an unknown delivery', () => {
    expect(() => setup('weekly' as AlertDelivery)).toThrow(/alertDelivery must be one of digest, each/);
  });
});

describe('AlertSubscriptionWatch (created with the first address)', () => {
  it('does not exist without addresses', () => {
    const { alerts, template } = setup();
    expect(alerts.watch).toBeUndefined();
    template().resourceCountIs('AWS::Lambda::Function', 0);
    template().resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  it('checks every address, hourly, with list access to the subscription topic alone', () => {
    const { stack, alerts, template } = setup();
    alerts.addEmail('desk@a.example', ['studio-a']);
    alerts.addEmail('owner@example.com', ['studio-b']);
    const t = template();
    const fn = Object.values(t.findResources('AWS::Lambda::Function'))[0] as { Properties: Json };
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.parse(String(variables[ALERT_WATCH_ENVIRONMENT.emails]))).toEqual([
      'desk@a.example',
      'owner@example.com',
    ]);
    expect(variables[ALERT_WATCH_ENVIRONMENT.topicArn]).toEqual(
      stack.resolve(alerts.subscriptionTopic.topicArn),
    );

    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => ((p as { Properties: Json }).Properties.PolicyDocument as { Statement: Json[] }).Statement,
    );
    const sns = statements.filter((s) => JSON.stringify(s.Action).includes('sns:'));
    expect(sns).toEqual([
      {
        Effect: 'Allow',
        Action: 'sns:ListSubscriptionsByTopic',
        Resource: stack.resolve(alerts.subscriptionTopic.topicArn),
      },
    ]);
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: stack.resolve(alerts.watch?.function.functionArn) })],
    });
  });

  it('alarms when an address is missing two checks in a row (or the check is silent) and when one stays pending a day', () => {
    const { stack, alerts, alarms, template } = setup();
    alerts.addEmail('desk@a.example', ['studio-a']);
    const t = template();
    const action = [stack.resolve(alarms.topicArn)];
    t.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: AlertWatchMetricName.AlertSubscriptionsMissing,
      Period: 3600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'breaching',
      AlarmActions: action,
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: AlertWatchMetricName.AlertSubscriptionsPending,
      Period: 3600,
      EvaluationPeriods: 24,
      DatapointsToAlarm: 24,
      TreatMissingData: 'notBreaching',
      AlarmActions: action,
    });
  });

  it('keeps the same alarm count for two apps and for 150', () => {
    const few = setup('digest', ['a', 'b']);
    few.alerts.addEmail('x@example.com', ['a', 'b']);
    const appIds = Array.from({ length: 150 }, (_, i) => `s${i}`);
    const many = setup('digest', appIds);
    for (const [i, appId] of appIds.entries()) many.alerts.addEmail(`desk${i}@example.com`, [appId]);
    const count = (t: Template) => Object.keys(t.findResources('AWS::CloudWatch::Alarm')).length;
    expect(count(many.template())).toBe(count(few.template()));
  });

  it.each([
    { checkInterval: Duration.seconds(30), error: /checkInterval/ },
    { checkInterval: Duration.hours(5), error: /pendingFor/ },
  ])('refuses checkInterval $checkInterval', ({ checkInterval, error }) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'T');
    const key = new Key(stack, 'K', { enableKeyRotation: true });
    const topic = new Topic(stack, 'E', { masterKey: key });
    const alerts = new OptOutAlerts(stack, 'A', {
      eventsTopic: topic,
      masterKey: key,
      appIds: ['a'],
      alarmAction: new SnsAction(topic),
      checkInterval,
    });
    expect(() => alerts.addEmail('x@example.com', ['a'])).toThrow(error);
  });

  it('passes cdk-nag AwsSolutions', () => {
    const { app, alerts } = setup();
    alerts.addEmail('desk@a.example', ['studio-a']);
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations
      .map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)
      .filter((finding) => finding.includes('/Alerts/'));
    expect(findings).toEqual([]);
  });
});

/**
 * The notifier's two topics of its own: the events topic subscribers attach to, and the alarm
 * topic CloudWatch publishes to. Both are encrypted with the notifier's key and TLS-only.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** The events topic (id `Events`). */
export function createEventsTopic(scope: Construct, key: IKey): Topic {
  return new Topic(scope, 'Events', {
    displayName: 'Gleantap customer changes',
    masterKey: key,
    enforceSSL: true,
  });
}

/**
 * The alarm topic (id `Alarms`), which CloudWatch may publish to for this account's alarms
 * only.
 */
export function createAlarmTopic(scope: Construct, key: IKey): Topic {
  const topic = new Topic(scope, 'Alarms', {
    displayName: 'Gleantap notifier alarms',
    masterKey: key,
    enforceSSL: true,
  });
  const stack = Stack.of(scope);
  topic.grantPublish(
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
  return topic;
}

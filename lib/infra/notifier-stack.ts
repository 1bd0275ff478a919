import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { GleantapChangeNotifier, type GleantapChangeNotifierProps } from './gleantap-change-notifier.ts';

/**
 * Properties for a {@link NotifierStack}.
 */
export interface NotifierStackProps extends StackProps {
  /** Everything the notifier construct takes, except `credentials` (see below). */
  readonly notifier: Omit<GleantapChangeNotifierProps, 'credentials'>;

  /**
   * ARN of an existing Secrets Manager secret with the Gleantap keys as
   * `{"apiKey":"...","secretKey":"..."}`.
   *
   * @default - the stack creates a secret with placeholder values
   */
  readonly credentialsSecretArn?: string;
}

/** A complete secret ARN ends in the six random characters Secrets Manager appends to the name. */
const COMPLETE_SECRET_ARN = /^arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const PARTIAL_SECRET_ARN = /^arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:[^:]+$/;

/**
 * The deployable app: one {@link GleantapChangeNotifier} and outputs naming what an operator
 * needs next (the secret to fill in, the topic to subscribe to, the dashboard).
 *
 * @throws Error when `credentialsSecretArn` is not a Secrets Manager secret ARN, or a notifier
 * prop is invalid.
 */
export class NotifierStack extends Stack {
  public readonly notifier: GleantapChangeNotifier;

  constructor(scope: Construct, id: string, props: NotifierStackProps) {
    super(scope, id, props);

    const arn = props.credentialsSecretArn;
    let credentials: GleantapChangeNotifierProps['credentials'];
    if (arn !== undefined) {
      if (COMPLETE_SECRET_ARN.test(arn)) {
        credentials = Secret.fromSecretCompleteArn(this, 'Credentials', arn);
      } else if (PARTIAL_SECRET_ARN.test(arn)) {
        credentials = Secret.fromSecretPartialArn(this, 'Credentials', arn);
      } else {
        throw new Error(`credentialsSecretArn is not a Secrets Manager secret ARN: "${arn}"`);
      }
    }

    this.notifier = new GleantapChangeNotifier(this, 'Notifier', {
      ...props.notifier,
      ...(credentials === undefined ? {} : { credentials }),
    });

    new CfnOutput(this, 'EventsTopicArn', {
      description: 'Subscribe your queues and functions to this topic',
      value: this.notifier.topic.topicArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Alarms publish here',
      value: this.notifier.alarmTopic.topicArn,
    });
    new CfnOutput(this, 'CredentialsSecretArn', {
      description: 'Put the Gleantap keys here as {"apiKey":"...","secretKey":"..."}',
      value: this.notifier.credentials.secretArn,
    });
    new CfnOutput(this, 'TableName', { value: this.notifier.table.tableName });
    new CfnOutput(this, 'PollerFunctionName', { value: this.notifier.function.functionName });
    new CfnOutput(this, 'DashboardName', { value: this.notifier.dashboard.dashboardName });
  }
}

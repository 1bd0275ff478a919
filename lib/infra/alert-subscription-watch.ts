import { fileURLToPath } from 'node:url';
import { Duration, Lazy, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarm,
  type IAlarmAction,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ALERT_WATCH_ENVIRONMENT } from '../alert-watch-environment.ts';
import { AlertWatchMetricName, METRICS_NAMESPACE, METRICS_SERVICE } from '../metric-names.ts';
import { NotifierFunction } from './notifier-function.ts';

const WATCH_ENTRY = fileURLToPath(new URL('../../functions/alert-watch/handler.ts', import.meta.url));

/** CloudWatch evaluates at most one day of periods per alarm. */
const MAX_ALARM_EVALUATION = Duration.days(1);

/**
 * Properties for an {@link AlertSubscriptionWatch}.
 */
export interface AlertSubscriptionWatchProps {
  /** The topic the staff e-mail subscriptions are on. */
  readonly topic: ITopic;

  /**
   * The addresses expected to be subscribed. Read when the template is synthesized, so
   * addresses added after the construct is created are watched too.
   */
  readonly emails: () => readonly string[];

  /** What the two alarms notify. */
  readonly alarmAction: IAlarmAction;

  /**
   * How often the subscriptions are listed.
   *
   * @default Duration.hours(1)
   */
  readonly checkInterval?: Duration;

  /**
   * How long a subscription may wait for its confirmation before the pending alarm fires
   * (SNS deletes an unconfirmed one after a few days; the missing alarm then fires).
   *
   * @default Duration.days(1)
   */
  readonly pendingFor?: Duration;
}

/**
 * Watches the watchers: a scheduled function lists the alert topic's subscriptions and
 * reports how many expected staff addresses are missing or unconfirmed; one alarm fires when
 * an address is missing (or the check stops reporting) two checks in a row, another when one
 * stays unconfirmed for `pendingFor`. SNS's delivery metrics cannot see either: an address
 * that clicked "unsubscribe" no longer exists to fail, and an unconfirmed one is never tried.
 * Its cost does not grow with the number of apps.
 *
 * @throws Error when `checkInterval` is not a whole number of minutes of at least one, or
 * `pendingFor` is not a multiple of it within one day.
 */
export class AlertSubscriptionWatch extends Construct {
  /** The checking function. */
  public readonly function: IFunction;

  /** Fires when an expected address is not subscribed, or the check stopped reporting. */
  public readonly missingAlarm: IAlarm;

  /** Fires when an expected address stays unconfirmed for `pendingFor`. */
  public readonly pendingAlarm: IAlarm;

  constructor(scope: Construct, id: string, props: AlertSubscriptionWatchProps) {
    super(scope, id);
    const interval = props.checkInterval ?? Duration.hours(1);
    const minutes = interval.toSeconds() / 60;
    if (!Number.isInteger(minutes) || minutes < 1) {
      throw new Error(
        `AlertSubscriptionWatch: checkInterval must be a whole number of minutes, at least one; got ${interval.toHumanString()}`,
      );
    }
    const pendingFor = props.pendingFor ?? Duration.days(1);
    const periods = pendingFor.toSeconds() / interval.toSeconds();
    if (
      !Number.isInteger(periods) ||
      periods < 1 ||
      pendingFor.toSeconds() > MAX_ALARM_EVALUATION.toSeconds()
    ) {
      throw new Error(
        `AlertSubscriptionWatch: pendingFor must be a multiple of checkInterval of at most one day; got ${pendingFor.toHumanString()}`,
      );
    }

    const watcher = new NotifierFunction(this, 'Check', {
      entry: WATCH_ENTRY,
      description: 'Checks that the staff opt-out alert e-mails are still subscribed and confirmed',
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment: {
        [ALERT_WATCH_ENVIRONMENT.topicArn]: props.topic.topicArn,
        [ALERT_WATCH_ENVIRONMENT.emails]: Lazy.string({ produce: () => JSON.stringify([...props.emails()]) }),
        POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    this.function = watcher.function;
    Validations.of(watcher.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the design fixes and the toolchain tests against; moving to a newer runtime is a deliberate upgrade, not a synth-time default.',
    });
    // The Control Tower controls acknowledged on the construct's other functions, with this
    // function's own reasons (it is created only when an alert email is added).
    Validations.of(watcher.logGroup).acknowledge({
      id: 'CT.CLOUDWATCH.PR.2',
      reason:
        'The check logs subscription counts and staff addresses, never customer data, so a year of retention buys nothing; logRetention follows the construct.',
    });
    Validations.of(watcher.logGroup).acknowledge({
      id: 'CT.CLOUDWATCH.PR.3',
      reason:
        'The log group holds no customer data (see CT.CLOUDWATCH.PR.2); CloudWatch Logs encrypts it at rest with its own key.',
    });
    Validations.of(watcher.function).acknowledge({
      id: 'CT.LAMBDA.PR.3',
      reason:
        'The check calls only the SNS API; in a VPC it would need a NAT gateway or an endpoint and would gain no isolation.',
    });
    // ListSubscriptionsByTopic is authorised on the topic itself: this one topic, nothing else.
    watcher.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sns:ListSubscriptionsByTopic'], resources: [props.topic.topicArn] }),
    );

    new Rule(this, 'Schedule', {
      description: 'Runs the staff alert subscription check',
      schedule: Schedule.rate(interval),
      targets: [new LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: interval })],
    });

    const metric = (metricName: AlertWatchMetricName, statistic: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: METRICS_SERVICE },
        statistic,
        period: interval,
      });

    // Two checks in a row, so a deploy (the first check runs one interval later) is not an
    // alarm; missing data breaches, because a check that stopped reporting watches nobody.
    const missing = new Alarm(this, 'MissingAlarm', {
      alarmDescription:
        'A staff opt-out alert address is no longer subscribed (someone clicked unsubscribe, or it expired unconfirmed), or the subscription check stopped reporting. The check function log names the address; subscribe it again with cdk deploy.',
      metric: metric(AlertWatchMetricName.AlertSubscriptionsMissing, 'Minimum'),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.BREACHING,
    });
    missing.addAlarmAction(props.alarmAction);
    this.missingAlarm = missing;

    const pending = new Alarm(this, 'PendingAlarm', {
      alarmDescription: `A staff opt-out alert address has not confirmed its subscription for ${pendingFor.toHumanString()}: it gets no alerts until someone clicks the link in the mail from AWS.`,
      metric: metric(AlertWatchMetricName.AlertSubscriptionsPending, 'Minimum'),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      // The missing alarm already covers a check that does not report.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    pending.addAlarmAction(props.alarmAction);
    this.pendingAlarm = pending;
  }
}

import { Duration, Validations } from 'aws-cdk-lib';
import { ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISchedule, Schedule, type ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, METRICS_SERVICE, MetricName } from '../metric-names.ts';
import { sourceOrCompiled } from './function-entry.ts';
import { NotifierFunction } from './notifier-function.ts';
import type { AlarmOptions } from './private/notifier-alarms.ts';

const WATCHDOG_ENTRY = sourceOrCompiled(new URL('../../functions/watchdog/handler.ts', import.meta.url));

/** What an alarm needs; the parent construct creates it (and its action). */
export interface WatchdogAlarm extends AlarmOptions {
  readonly id: string;
}

/** Properties for a {@link Watchdog}. */
export interface WatchdogProps {
  readonly table: ITableV2;
  /** When the watchdog runs (the dispatch interval). */
  readonly scheduleExpression: ScheduleExpression;
  readonly dispatchMinutes: number;
  /** Intervals without a complete scan before an app counts as stale. */
  readonly missedPolls: number;
  readonly schedulerRole: IRole;
  readonly scheduleDeadLetterQueue: IQueue;
  readonly logRetention: RetentionDays;
  /** Creates the watchdog's alarms in the parent's alarm list. */
  readonly addAlarm: (scope: Construct, alarm: WatchdogAlarm) => void;
}

/**
 * Per-app health in constant resources: a scheduled function reads every registered app's poll
 * state and emits fleet-wide counts (AppsStale, AppsFailing, AppsRegistered), with the app ids
 * in its log line; three alarms watch the counts, whatever the number of apps.
 */
export class Watchdog extends Construct {
  public readonly function: IFunction;
  public readonly schedule: ISchedule;

  constructor(scope: Construct, id: string, props: WatchdogProps) {
    super(scope, id);
    const watchdog = new NotifierFunction(this, 'Function', {
      entry: WATCHDOG_ENTRY,
      description: 'Reports Gleantap apps whose polls are stale or failing',
      timeout: Duration.minutes(2),
      memorySize: 256,
      logRetention: props.logRetention,
      environment: {
        NOTIFIER_TABLE_NAME: props.table.tableName,
        NOTIFIER_DISPATCH_MINUTES: String(props.dispatchMinutes),
        NOTIFIER_MISSED_POLLS: String(props.missedPolls),
        POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    this.function = watchdog.function;
    props.table.grantReadData(watchdog.function);
    Validations.of(watchdog.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the design fixes and the toolchain tests against; moving to a newer runtime is a deliberate upgrade.',
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Checks every registered Gleantap app for stale or failing polls',
      schedule: props.scheduleExpression,
      target: new LambdaInvoke(watchdog.function, {
        role: props.schedulerRole,
        retryAttempts: 2,
        deadLetterQueue: props.scheduleDeadLetterQueue,
      }),
    });

    const period = Duration.minutes(props.dispatchMinutes);
    const metric = (metricName: string, statistic: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: METRICS_SERVICE },
        statistic,
        period,
      });
    props.addAlarm(this, {
      id: 'StaleAppsAlarm',
      description: `Some Gleantap apps had no complete poll for ${props.missedPolls} poll intervals; the watchdog's log line lists them`,
      metric: metric(MetricName.AppsStale, 'Maximum'),
    });
    props.addAlarm(this, {
      id: 'FailingAppsAlarm',
      description: "Some Gleantap apps' last poll failed; the watchdog's log line lists them",
      metric: metric(MetricName.AppsFailing, 'Maximum'),
    });
    // No report for three intervals: the watchdog itself is broken, so the two above are blind.
    props.addAlarm(this, {
      id: 'WatchdogSilentAlarm',
      description: 'The watchdog has not reported for three intervals',
      metric: metric(MetricName.AppsRegistered, 'SampleCount'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.BREACHING,
    });
  }
}

/**
 * The notifier's alarms: the one way they are made (notify the alarm topic, fire on
 * `metric > 0` by default), the list `GleantapChangeNotifier.alarms` reports, and the
 * fleet-wide alarms of the poller, dispatcher and schedules. Per-app health (stale, failing) is
 * the watchdog's, whose alarms are made here too (through `NotifierAlarms.add`).
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarm,
  type IAlarmAction,
  type IMetric,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { MetricName } from '../../metric-names.ts';
import type { PollDispatch } from '../poll-dispatch.ts';
import { notifierMetric as metric } from './notifier-metrics.ts';

/** What one alarm needs; the threshold, comparison and missing-data treatment have defaults. */
export interface AlarmOptions {
  readonly description: string;
  readonly metric: IMetric;
  /** @default 0 */
  readonly threshold?: number;
  /** @default ComparisonOperator.GREATER_THAN_THRESHOLD */
  readonly comparisonOperator?: ComparisonOperator;
  /** Periods evaluated, all of which must breach. @default 1 */
  readonly evaluationPeriods?: number;
  /** @default TreatMissingData.NOT_BREACHING: nothing happened */
  readonly treatMissingData?: TreatMissingData;
}

/** Makes the notifier's alarms, each notifying `action`, and keeps the list of them. */
export class NotifierAlarms {
  readonly #alarms: IAlarm[] = [];

  /** @param action what every alarm does when it fires (notify the alarm topic) */
  constructor(public readonly action: IAlarmAction) {}

  /** Every alarm made so far, in the order made. */
  public get list(): readonly IAlarm[] {
    return this.#alarms;
  }

  /**
   * An alarm notifying the alarm topic; by default it fires on `metric > 0` in one period,
   * with missing data (nothing happened) not breaching.
   */
  public add(scope: Construct, id: string, options: AlarmOptions): Alarm {
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
    alarm.addAlarmAction(this.action);
    this.#alarms.push(alarm);
    return alarm;
  }

  /** An alarm (id `DeadLetterAlarm`) on messages waiting in a dead-letter queue. */
  public addDeadLetterAlarm(scope: Construct, queue: IQueue, description: string): Alarm {
    return this.add(scope, 'DeadLetterAlarm', { description, metric: waitingIn(queue) });
  }
}

/** What the fleet-wide alarms watch. */
export interface FleetAlarmSources {
  readonly poller: IFunction;
  readonly dispatch: PollDispatch;
  readonly scheduleDeadLetterQueue: IQueue;
}

/**
 * The fleet-wide alarms, constant in number whatever the number of apps: publish failures,
 * an empty first poll, a refused reconciliation, dead letters of the poll queue and the
 * schedules, dispatcher and poller errors.
 */
export function addFleetAlarms(alarms: NotifierAlarms, scope: Construct, sources: FleetAlarmSources): void {
  const { poller, dispatch, scheduleDeadLetterQueue } = sources;
  alarms.add(scope, 'PublishFailedAlarm', {
    description: 'Events could not be published to SNS (the poller log names the apps)',
    metric: metric(MetricName.PublishFailed),
  });
  // Gleantap answers an unknown (mistyped) app id with an empty list: its first poll finding
  // no customers is the only sign of one.
  alarms.add(scope, 'EmptyBaselineAlarm', {
    description:
      'A first poll found no customers: an app id is probably wrong (the poller log names the app)',
    metric: metric(MetricName.EmptyBaseline, { statistic: 'Maximum' }),
  });
  // A reconciliation that would delete more than its share of an app's customers publishes
  // nothing: a wrong app id, an outage answering empty pages, or a real mass deletion, which
  // only an operator can tell apart (README, Operations: "ReconcileRefused").
  alarms.add(scope, 'ReconcileRefusedAlarm', {
    description:
      "A reconciliation missed too many of an app's customers and deleted nobody (the poller log names the app): check the app, then run reconcile --max-delete-share by hand if the deletions are real",
    metric: metric(MetricName.ReconcileRefused),
  });
  alarms.add(scope, 'PollDeadLetterAlarm', {
    description: 'Poll messages the poller could not handle are waiting in the poll dead-letter queue',
    metric: waitingIn(dispatch.deadLetterQueue),
  });
  alarms.add(scope, 'DispatcherErrorsAlarm', {
    description: 'The dispatcher threw: polls of this tick may not have been enqueued',
    metric: dispatch.dispatcher.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
  });
  alarms.add(scope, 'ScheduleDeadLetterAlarm', {
    description:
      'Dispatcher or watchdog runs that could not be invoked are waiting in the schedule dead-letter queue',
    metric: waitingIn(scheduleDeadLetterQueue),
  });
  alarms.add(scope, 'FunctionErrorsAlarm', {
    description: 'The poller function threw (crash, timeout or out of memory)',
    metric: poller.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
  });
}

/** The most messages visible in `queue` over five minutes. */
function waitingIn(queue: IQueue): Metric {
  return queue.metricApproximateNumberOfMessagesVisible({
    statistic: 'Maximum',
    period: Duration.minutes(5),
  });
}

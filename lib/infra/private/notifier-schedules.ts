/**
 * What runs on a schedule: the dispatcher (with the poll queue it fills) and the watchdog, both
 * invoked by EventBridge Scheduler through one role of the notifier's, with one dead-letter
 * queue for invocations that fail after their retries.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { GleantapChangeNotifierProps } from '../gleantap-change-notifier-props.ts';
import { PollDispatch } from '../poll-dispatch.ts';
import { Watchdog } from '../watchdog.ts';
import { acknowledge, acknowledgeDeadLetterQueue } from './accepted-findings.ts';
import type { NotifierAlarms } from './notifier-alarms.ts';
import type { NotifierSettings } from './notifier-settings.ts';

/** The scheduled parts, as the construct exposes them. */
export interface NotifierSchedules {
  readonly scheduleDeadLetterQueue: IQueue;
  readonly dispatch: PollDispatch;
  readonly watchdog: Watchdog;
}

/** What the scheduled parts are wired to. */
export interface ScheduleResources {
  readonly table: ITableV2;
  readonly poller: IFunction;
  /** Where the watchdog's alarms are made. */
  readonly alarms: NotifierAlarms;
}

/**
 * The schedule dead-letter queue (id `ScheduleDeadLetterQueue`), the scheduler role
 * (`SchedulerRole`), the dispatch (`Dispatch`) and the watchdog (`Watchdog`).
 */
export function createSchedules(
  scope: Construct,
  props: GleantapChangeNotifierProps,
  settings: NotifierSettings,
  resources: ScheduleResources,
): NotifierSchedules {
  const { table, poller, alarms } = resources;
  const stack = Stack.of(scope);
  const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
  const scheduleDeadLetterQueue = new Queue(scope, 'ScheduleDeadLetterQueue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeDeadLetterQueue(scheduleDeadLetterQueue, 'the EventBridge Scheduler targets');

  // A role of our own (instead of the one LambdaInvoke creates at stack level) keeps it,
  // and its acknowledgement, inside this construct.
  const schedulerRole = new Role(scope, 'SchedulerRole', {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': stack.account },
    }),
    description: 'Lets EventBridge Scheduler invoke the Gleantap notifier dispatcher and watchdog',
  });
  const dispatch = new PollDispatch(scope, 'Dispatch', {
    table,
    poller,
    pollerTimeout: settings.timeout,
    scheduleExpression: settings.scheduleExpression,
    dispatchMinutes: settings.pollInterval.toMinutes(),
    reconcileIntervalDays: settings.reconcileIntervalDays,
    maxEventAge: settings.maxEventAge,
    schedulerRole,
    scheduleDeadLetterQueue,
    seedAppIds: settings.appIds,
    maxConcurrency: settings.maxConcurrency,
    logRetention,
  });
  const watchdog = new Watchdog(scope, 'Watchdog', {
    table,
    scheduleExpression: settings.scheduleExpression,
    dispatchMinutes: settings.pollInterval.toMinutes(),
    missedPolls: settings.missedPolls,
    schedulerRole,
    scheduleDeadLetterQueue,
    logRetention,
    addAlarm: (alarmScope, { id, ...options }) => alarms.add(alarmScope, id, options),
  });
  for (const fn of [dispatch.dispatcher, watchdog.function]) {
    const cfnFunction = fn.node.defaultChild;
    if (!(cfnFunction instanceof CfnFunction)) throw new Error(`${fn.node.path} has no CfnFunction`);
    acknowledge(schedulerRole, `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(cfnFunction)}.Arn>:*]`, [
      'Added by LambdaInvoke (function.grantInvoke): the function ARN plus its qualified',
      'versions and aliases (`<arn>:*`) of this one function, nothing else.',
    ]);
  }
  acknowledge(dispatch.deadLetterQueue, 'CT.SQS.PR.1', [
    'This queue is itself the dead-letter queue of the poll queue.',
  ]);
  return { scheduleDeadLetterQueue, dispatch, watchdog };
}

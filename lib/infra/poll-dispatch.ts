import { CustomResource, Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  ContextAttribute,
  type ISchedule,
  Schedule,
  type ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import {
  DeduplicationScope,
  FifoThroughputLimit,
  type IQueue,
  Queue,
  QueueEncryption,
} from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { sourceOrCompiled } from './function-entry.ts';
import { NotifierFunction } from './notifier-function.ts';

const DISPATCHER_ENTRY = sourceOrCompiled(new URL('../../functions/dispatcher/handler.ts', import.meta.url));

/** Properties for a {@link PollDispatch}. */
export interface PollDispatchProps {
  /** The state table: the registry lives in it. */
  readonly table: ITableV2;
  /** The poller; it receives the poll queue through an event source mapping. */
  readonly poller: IFunction;
  /** The poller's timeout: the queue's visibility timeout must cover it. */
  readonly pollerTimeout: Duration;
  /** When the dispatcher runs. */
  readonly scheduleExpression: ScheduleExpression;
  /** Minutes between dispatcher ticks (the default poll interval of an app). */
  readonly dispatchMinutes: number;
  /** Days between reconciliations of each app (see `isReconcileDue` in lib/core/dispatch-plan.ts). */
  readonly reconcileIntervalDays: number;
  /** A tick later than this is dropped to the schedule dead-letter queue: the next tick covers it. */
  readonly maxEventAge: Duration;
  /** The role EventBridge Scheduler assumes to invoke the dispatcher. */
  readonly schedulerRole: IRole;
  /** Where ticks that could not invoke the dispatcher land. */
  readonly scheduleDeadLetterQueue: IQueue;
  /** App ids to seed the registry with (the `gleantap:appIds` context); may be empty. */
  readonly seedAppIds: readonly string[];
  /** Poller invocations the event source mapping runs at once. */
  readonly maxConcurrency: number;
  readonly logRetention: RetentionDays;
}

/**
 * The dispatch half of the fleet: one EventBridge Scheduler schedule invokes the dispatcher,
 * which reads the app registry and enqueues one poll per due app on an SQS FIFO queue (group =
 * app id, so one app is never polled twice at once; deduplication id = app + tick, so a retried
 * tick enqueues nothing twice), and each app's reconciliation once per interval (group
 * `<app>#reconcile`, so a scan does not hold the app's polls back); the poller consumes the queue through an event source mapping
 * whose maximum concurrency bounds the fleet's concurrency (no reserved concurrency needed).
 * A custom resource served by the dispatcher seeds the registry from the CDK context. Every
 * resource here exists once, whatever the number of apps.
 */
export class PollDispatch extends Construct {
  /** The FIFO queue of polls. */
  public readonly queue: IQueue;
  /** Polls that failed to be handled `maxReceiveCount` times. */
  public readonly deadLetterQueue: IQueue;
  /** The dispatcher function (also the registry-seed custom resource's provider). */
  public readonly dispatcher: IFunction;
  /** The one dispatcher schedule. */
  public readonly schedule: ISchedule;

  constructor(scope: Construct, id: string, props: PollDispatchProps) {
    super(scope, id);

    const deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the poll queue.',
    });
    this.deadLetterQueue = deadLetterQueue;
    this.queue = new Queue(this, 'Queue', {
      fifo: true,
      // High-throughput FIFO: quotas per message group, not per queue (5,000 apps enqueue at once).
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda requires the visibility timeout to cover the function's timeout.
      visibilityTimeout: props.pollerTimeout.plus(Duration.seconds(30)),
      // A poll older than a day is pointless: later ticks cover its window.
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 3 },
    });

    const dispatcher = new NotifierFunction(this, 'Dispatcher', {
      entry: DISPATCHER_ENTRY,
      description:
        'Enqueues a poll of every due Gleantap app and its daily reconciliation; seeds the app registry on deploy',
      timeout: Duration.minutes(2),
      memorySize: 256,
      logRetention: props.logRetention,
      environment: {
        NOTIFIER_TABLE_NAME: props.table.tableName,
        POLL_QUEUE_URL: this.queue.queueUrl,
        NOTIFIER_DISPATCH_MINUTES: String(props.dispatchMinutes),
        NOTIFIER_RECONCILE_INTERVAL_DAYS: String(props.reconcileIntervalDays),
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    this.dispatcher = dispatcher.function;
    props.table.grantReadWriteData(dispatcher.function);
    this.queue.grantSendMessages(dispatcher.function);
    Validations.of(dispatcher.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the design fixes and the toolchain tests against; moving to a newer runtime is a deliberate upgrade.',
    });

    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Dispatches a poll of every due Gleantap app',
      schedule: props.scheduleExpression,
      target: new LambdaInvoke(dispatcher.function, {
        role: props.schedulerRole,
        // The scheduled time makes a retried tick enqueue the same deduplication ids.
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: 2,
        maxEventAge: props.maxEventAge,
        deadLetterQueue: props.scheduleDeadLetterQueue,
      }),
    });

    props.poller.addEventSource(
      new SqsEventSource(this.queue, {
        // One app per invocation: each poll gets the whole timeout.
        batchSize: 1,
        maxConcurrency: props.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    // CloudFormation invokes the dispatcher with the deployer's credentials; the ids travel
    // comma-separated in one property (the template stays far below 1 MB at 5,000 ids).
    new CustomResource(this, 'RegistrySeed', {
      serviceToken: dispatcher.function.functionArn,
      resourceType: 'Custom::GleantapAppRegistrySeed',
      properties: { AppIds: props.seedAppIds.join(',') },
    });
  }
}

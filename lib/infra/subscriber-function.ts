import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic, Subscription, SubscriptionFilter } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SUBSCRIBER_TABLE_KEY } from '../subscriber/dynamo-apply-once-store.ts';
import { SUBSCRIBER_TABLE_ENV } from '../subscriber/sqs-handler.ts';
import { NotifierFunction } from './notifier-function.ts';

/** Properties of a {@link SubscriberFunction}. */
export interface SubscriberFunctionProps {
  /** The events topic to subscribe to. */
  readonly topic: ITopic;

  /**
   * The handler's source file (TypeScript or JavaScript), bundled with esbuild. Its export
   * is typically `createSqsHandler({ ... })` from `gleantap-notifier/subscriber`, which
   * finds the apply-once table through `GLEANTAP_SUBSCRIBER_TABLE_NAME`.
   */
  readonly entry: string;

  /** The exported handler's name in `entry`. @default 'handler' */
  readonly handler?: string;

  /** The SNS filter policy of the subscription. @default - every event */
  readonly filterPolicy?: Readonly<Record<string, SubscriptionFilter>>;

  /** More environment for the function; merged with the table variable, never replacing it. @default - none */
  readonly environment?: Readonly<Record<string, string>>;

  /** The function's timeout; the queue's visibility timeout is six times it. @default Duration.seconds(30) */
  readonly timeout?: Duration;

  /** Records per invocation. @default 10 */
  readonly batchSize?: number;

  /**
   * Receives of one message before it moves to the dead-letter queue (a malformed event
   * or a handler that keeps failing). @default 5
   */
  readonly maxReceiveCount?: number;

  /** What happens to the apply-once table when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
}

/**
 * A Lambda function that receives the events of a topic through its own SQS queue: the
 * queue (SQS-managed encryption, TLS only), one dead-letter queue for both what SNS could
 * not deliver and what the function kept failing on, an event source mapping that reports
 * batch item failures, the subscriber kit's apply-once table, and only the grants these
 * need (the function may read and conditionally update its table; nothing else).
 *
 * @throws Error when a prop is out of range; the message names the prop.
 */
export class SubscriberFunction extends Construct {
  /** The function (its role and log group come from {@link NotifierFunction}). */
  public readonly function: IFunction;

  /** The queue the topic delivers to. */
  public readonly queue: IQueue;

  /** Where failed deliveries and failed records wait; `gleantap-notifier redrive` moves them back. */
  public readonly deadLetterQueue: IQueue;

  /** The apply-once state table (`pk` string key, on demand, point-in-time recovery). */
  public readonly table: ITableV2;

  /** The topic subscription. */
  public readonly subscription: Subscription;

  constructor(scope: Construct, id: string, props: SubscriberFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(30);
    if (timeout.toSeconds() < 1 || timeout.toSeconds() > 900) {
      throw new Error(`${this.node.path}: timeout must be between 1 second and 15 minutes`);
    }
    const batchSize = props.batchSize ?? 10;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new Error(
        `${this.node.path}: batchSize must be a whole number from 1 to 10000, got ${batchSize}`,
      );
    }
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new Error(
        `${this.node.path}: maxReceiveCount must be a whole number from 1 to 1000, got ${maxReceiveCount}`,
      );
    }

    const deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.deadLetterQueue = deadLetterQueue;
    const queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for a Lambda event source: six times the function's timeout.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount },
    });
    this.queue = queue;

    const table = new TableV2(this, 'State', {
      partitionKey: {
        name: SUBSCRIBER_TABLE_KEY.partitionKey.name,
        type: AttributeType.STRING,
      },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // ITableV2 has `T?`, which exactOptionalPropertyTypes rejects although the class is one.
    this.table = table as ITableV2;

    const fn = new NotifierFunction(this, 'Handler', {
      entry: props.entry,
      ...(props.handler === undefined ? {} : { handler: props.handler }),
      description: `Subscriber ${this.node.path} of the Gleantap change events`,
      timeout,
      memorySize: 256,
      environment: { ...(props.environment ?? {}), [SUBSCRIBER_TABLE_ENV]: table.tableName },
    });
    this.function = fn.function;
    // The kit reads and conditionally updates one item per customer; it never scans or deletes.
    table.grant(fn.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    fn.function.addEventSource(
      new SqsEventSource(queue, {
        batchSize,
        reportBatchItemFailures: true,
        ...(batchSize > 10 ? { maxBatchingWindow: Duration.seconds(1) } : {}),
      }),
    );

    this.subscription = props.topic.addSubscription(
      new SqsSubscription(queue, {
        rawMessageDelivery: true,
        deadLetterQueue,
        ...(props.filterPolicy === undefined || Object.keys(props.filterPolicy).length === 0
          ? {}
          : { filterPolicy: { ...props.filterPolicy } }),
      }),
    );
    Validations.of(fn.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the design fixes and the toolchain tests against; moving to a newer runtime is a deliberate upgrade, not a synth-time default.',
    });
  }
}

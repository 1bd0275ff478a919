/**
 * The deployed fleet's moving parts on this machine, beside a {@link LocalStack}: the SQS
 * stand-in with the poll queue (FIFO) and its dead-letter queue, the dispatcher handler, and a
 * consumer standing in for the poller's event source mapping. Dev tooling for the tests.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalStack } from '../../dev/local-stack.ts';
import { LOCAL_CREDENTIALS } from '../../dev/local-stack.ts';
import { createDispatcherHandler } from '../../functions/dispatcher/handler.ts';
import { DynamoAppRegistry } from '../../lib/aws/app-registry.ts';
import type { DispatchSummary } from '../../lib/dispatch.ts';
import { type PollQueueConsumer, startPollQueueConsumer } from './poll-queue-consumer.ts';
import { type SqsStandIn, startSqsStandIn } from './sqs-stand-in.ts';

export const POLL_QUEUE_NAME = 'gleantap-notifier-polls.fifo';
export const POLL_DEAD_LETTER_QUEUE_NAME = 'gleantap-notifier-polls-dlq.fifo';

export interface LocalFleetOptions {
  /** The poller handler the consumer invokes with SQS events. */
  readonly poller: (event: unknown) => Promise<unknown>;
  /** Handlers at once (the event source mapping's maximum concurrency). @default 10 */
  readonly maxConcurrency?: number;
  /** Minutes between dispatcher ticks. @default 5 */
  readonly dispatchMinutes?: number;
  /** Days between reconciliations of each app. @default none: the dispatcher plans polls only */
  readonly reconcileIntervalDays?: number;
  /** Where the dispatcher and the registry reach DynamoDB (a counting proxy). @default the stack's */
  readonly dynamodbEndpoint?: string;
}

export interface LocalFleet {
  readonly sqs: SqsStandIn;
  readonly queueUrl: string;
  /** The stack's environment plus the dispatcher's (POLL_QUEUE_URL, NOTIFIER_DISPATCH_MINUTES). */
  readonly env: Readonly<Record<string, string>>;
  readonly registry: DynamoAppRegistry;
  readonly consumer: PollQueueConsumer;
  /** One dispatcher tick, as EventBridge Scheduler would invoke it. */
  dispatch(scheduledTime: Date): Promise<DispatchSummary>;
  close(): Promise<void>;
}

/** Starts the SQS stand-in, creates the queues and starts the consumer. */
export async function startLocalFleet(stack: LocalStack, options: LocalFleetOptions): Promise<LocalFleet> {
  const sqs = await startSqsStandIn({ region: stack.sns.region });
  const sqsClient = new SQSClient({
    endpoint: sqs.endpoint,
    region: sqs.region,
    credentials: LOCAL_CREDENTIALS,
  });
  const dynamodb = new DynamoDBClient({
    endpoint: options.dynamodbEndpoint ?? stack.dynamodbEndpoint,
    region: sqs.region,
    credentials: LOCAL_CREDENTIALS,
  });
  await sqsClient.send(
    new CreateQueueCommand({ QueueName: POLL_DEAD_LETTER_QUEUE_NAME, Attributes: { FifoQueue: 'true' } }),
  );
  const created = await sqsClient.send(
    new CreateQueueCommand({
      QueueName: POLL_QUEUE_NAME,
      Attributes: {
        FifoQueue: 'true',
        VisibilityTimeout: '60',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: sqs.queueArn(POLL_DEAD_LETTER_QUEUE_NAME),
          maxReceiveCount: 3,
        }),
      },
    }),
  );
  const queueUrl = created.QueueUrl ?? '';
  const env = {
    ...stack.env,
    POLL_QUEUE_URL: queueUrl,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    NOTIFIER_DISPATCH_MINUTES: String(options.dispatchMinutes ?? 5),
    NOTIFIER_RECONCILE_INTERVAL_DAYS: String(options.reconcileIntervalDays ?? 'off'),
  };
  const dispatcher = createDispatcherHandler({
    env,
    dynamodb,
    sqs: sqsClient,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  const consumer = startPollQueueConsumer({
    client: sqsClient,
    queueUrl,
    handler: options.poller,
    maxConcurrency: options.maxConcurrency ?? 10,
  });
  return {
    sqs,
    queueUrl,
    env,
    registry: new DynamoAppRegistry({ client: dynamodb, tableName: stack.tableName }),
    consumer,
    async dispatch(scheduledTime) {
      const summary = await dispatcher({ scheduledTime: scheduledTime.toISOString() });
      if (summary === undefined) throw new Error('The dispatcher answered a tick like a custom resource.');
      return summary;
    },
    async close() {
      await consumer.stop();
      sqsClient.destroy();
      dynamodb.destroy();
      await sqs.close();
    },
  };
}

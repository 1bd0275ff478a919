/**
 * What Lambda's SQS event source mapping does for the poller, on this machine: receive from the
 * poll queue with at most `maxConcurrency` handlers running, hand each batch to the handler as
 * an SQS event, and delete what it did not report in `batchItemFailures` (those come back after
 * the visibility timeout). Dev tooling for the local stack and the tests, not product code.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';

/** Options of {@link startPollQueueConsumer}. */
export interface PollQueueConsumerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Handlers running at once, like the mapping's `MaximumConcurrency`. @default 10 */
  readonly maxConcurrency?: number;
  /** Messages per invocation, like the mapping's `BatchSize`. @default 1 */
  readonly batchSize?: number;
  /** The poller handler; an SQS event in, a partial batch response out. */
  readonly handler: (event: unknown) => Promise<unknown>;
}

/** A running consumer. */
export interface PollQueueConsumer {
  /** Invocations made so far. */
  readonly invocations: number;
  /** Resolves once the queue holds nothing visible or in flight and no handler runs. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

const IDLE_WAIT_MS = 20;

/** Starts `maxConcurrency` workers that receive, invoke and delete until stopped. */
export function startPollQueueConsumer(options: PollQueueConsumerOptions): PollQueueConsumer {
  const { client, queueUrl, handler } = options;
  const batchSize = options.batchSize ?? 1;
  let running = true;
  let busy = 0;
  let invocations = 0;

  const worker = async () => {
    while (running) {
      const out = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: batchSize,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, IDLE_WAIT_MS));
        continue;
      }
      busy++;
      try {
        invocations++;
        const event = {
          Records: messages.map((m) => ({
            messageId: m.MessageId ?? '',
            receiptHandle: m.ReceiptHandle ?? '',
            body: m.Body ?? '',
            attributes: m.Attributes ?? {},
            messageAttributes: {},
            md5OfBody: m.MD5OfBody ?? '',
            eventSource: 'aws:sqs',
            eventSourceARN: queueUrl,
            awsRegion: 'us-east-1',
          })),
        };
        let failed = new Set<string>(messages.map((m) => m.MessageId ?? ''));
        try {
          const response = (await handler(event)) as Partial<SQSBatchResponse> | undefined;
          failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        } catch {
          // A thrown handler fails the whole batch, as in Lambda.
        }
        for (const message of messages) {
          if (failed.has(message.MessageId ?? '')) continue;
          await client.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        }
      } finally {
        busy--;
      }
    }
  };
  const workers = Array.from({ length: options.maxConcurrency ?? 10 }, () => worker());

  return {
    get invocations() {
      return invocations;
    },
    async drained() {
      for (;;) {
        const out = await client.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        const left =
          Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
          Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
        if (left === 0 && busy === 0) return;
        await new Promise((resolve) => setTimeout(resolve, IDLE_WAIT_MS));
      }
    },
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

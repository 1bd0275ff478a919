/**
 * Sends events to one SQS queue, and moves messages from a dead-letter queue back to its
 * queue: the operator's tools for one subscriber, never the whole topic.
 *
 * SQS's own redrive (StartMessageMoveTask) cannot serve the dead-letter queues of SNS
 * subscriptions: it only moves messages whose source is an SQS queue's redrive policy.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { isLoopback } from '../config.ts';
import type { OutboundMessage } from '../core/types.ts';
import type { PublishFailure, PublishResult } from '../ports.ts';

/** SQS's batch limit. */
const BATCH = 10;

/**
 * An SQS client whose endpoint is the queue URL's origin (so a local stand-in's URL works
 * as it is) and whose region is the one in an AWS queue URL.
 * @throws Error when `queueUrl` is not an http(s) URL
 */
export const sqsClientFor = (
  queueUrl: string,
  env: Readonly<Record<string, string | undefined>>,
): SQSClient => {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    throw new Error(`${queueUrl} is not a queue URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`${queueUrl} is not a queue URL`);
  const region =
    /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname)?.[1] ?? env.AWS_REGION ?? 'us-east-1';
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : isLoopback(url.origin)
        ? { accessKeyId: 'local', secretAccessKey: 'local' }
        : undefined;
  return new SQSClient({
    region,
    endpoint: url.origin,
    maxAttempts: 5,
    ...(credentials ? { credentials } : {}),
  });
};

/** The text SNS hands an SQS subscriber: the `sqs` or `default` entry of a structured message. */
export const queueBodyOf = (message: OutboundMessage): string => {
  if (message.messageStructure !== 'json') return message.message;
  const structured: unknown = JSON.parse(message.message);
  if (typeof structured === 'object' && structured !== null) {
    for (const key of ['sqs', 'default']) {
      if (key in structured) {
        const text: unknown = Reflect.get(structured, key);
        if (typeof text === 'string') return text;
      }
    }
  }
  return JSON.stringify(message.event);
};

/** What a send or move did. */
export interface QueueTally {
  sent: number;
  failed: number;
}

/**
 * Sends archived events to one queue as raw SNS delivery would (the CloudEvent as the body,
 * the SNS attributes as message attributes), ten per request.
 * @returns the ids sent and those SQS refused, with its reason
 */
export const sendEventsToQueue = async (
  client: SQSClient,
  queueUrl: string,
  messages: readonly OutboundMessage[],
): Promise<PublishResult> => {
  const published: string[] = [];
  const failed: PublishFailure[] = [];
  for (let start = 0; start < messages.length; start += BATCH) {
    const chunk = messages.slice(start, start + BATCH);
    const result = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, index) => ({
          Id: String(index),
          MessageBody: queueBodyOf(message),
          MessageAttributes: Object.fromEntries(
            Object.entries(message.attributes).map(([name, attribute]) => [
              name,
              { DataType: attribute.DataType, StringValue: attribute.StringValue },
            ]),
          ),
        })),
      }),
    );
    for (const entry of result.Successful ?? []) {
      const message = chunk[Number(entry.Id)];
      if (message !== undefined) published.push(message.id);
    }
    for (const entry of result.Failed ?? []) {
      const message = chunk[Number(entry.Id)];
      if (message !== undefined) {
        failed.push({
          id: message.id,
          reason: `${entry.Code ?? 'error'}: ${entry.Message ?? ''}`,
          permanent: entry.SenderFault === true,
        });
      }
    }
  }
  return { published, failed };
};

/** Options of {@link redrive}. */
export interface RedriveOptions {
  readonly from: { readonly client: SQSClient; readonly url: string };
  readonly to: { readonly client: SQSClient; readonly url: string };
  /** Move at most this many messages. */
  readonly max: number;
  /** Count (and list) what would move, and move nothing. */
  readonly dryRun: boolean;
  /** Told of each message that moved (or would). */
  readonly onMessage?: (message: Message) => void;
}

// Long enough that a message read in this run is not read again before the run ends.
const HOLD_SECONDS = 120;

/**
 * Moves up to `max` messages from one queue to another, bodies and attributes unchanged;
 * a message is deleted from the source only once the target accepted it. A dry run reads
 * the messages and then makes them visible again.
 */
export const redrive = async (options: RedriveOptions): Promise<QueueTally> => {
  const { from, to } = options;
  const tally: QueueTally = { sent: 0, failed: 0 };
  const held: Message[] = [];
  while (tally.sent + tally.failed + held.length < options.max) {
    const want = Math.min(BATCH, options.max - tally.sent - tally.failed - held.length);
    const { Messages: received = [] } = await from.client.send(
      new ReceiveMessageCommand({
        QueueUrl: from.url,
        MaxNumberOfMessages: want,
        VisibilityTimeout: HOLD_SECONDS,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    if (received.length === 0) break;
    for (const message of received) options.onMessage?.(message);
    if (options.dryRun) {
      held.push(...received);
      continue;
    }
    const result = await to.client.send(
      new SendMessageBatchCommand({
        QueueUrl: to.url,
        Entries: received.map((message, index) => ({
          Id: String(index),
          MessageBody: message.Body ?? '',
          ...(message.MessageAttributes
            ? { MessageAttributes: attributesOf(message.MessageAttributes) }
            : {}),
        })),
      }),
    );
    const sent = new Set((result.Successful ?? []).map((entry) => entry.Id));
    tally.sent += sent.size;
    tally.failed += received.length - sent.size;
    const moved = received.filter((_, index) => sent.has(String(index)));
    if (moved.length > 0) {
      await from.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: from.url,
          Entries: moved.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? '',
          })),
        }),
      );
    }
  }
  for (const message of held) {
    await from.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: from.url,
        ReceiptHandle: message.ReceiptHandle ?? '',
        VisibilityTimeout: 0,
      }),
    );
  }
  return options.dryRun ? { sent: held.length, failed: 0 } : tally;
};

const attributesOf = (
  attributes: Record<string, MessageAttributeValue>,
): Record<string, MessageAttributeValue> =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
        ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
      },
    ]),
  );

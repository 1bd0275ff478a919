import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import pLimit from 'p-limit';
import { entrySize, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES } from '../core/sns-limits.ts';
import type {
  AlertPublisher,
  EventPublisher,
  PublishFailure,
  PublishResult,
  TopicMessage,
} from '../ports.ts';
import { isPermanentSnsError } from './service-errors.ts';

export { entrySize, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES } from '../core/sns-limits.ts';

export interface SnsPublisherOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
  /** PublishBatch calls in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Rounds of re-sending failed entries (and failed calls) before reporting them. @default 3 */
  readonly maxRetries?: number;
  /** Injectable for tests. @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Splits messages into PublishBatch groups that respect both the entry and the byte limit, keeping order. */
export function planBatches(messages: readonly TopicMessage[]): TopicMessage[][] {
  const batches: TopicMessage[][] = [];
  let current: TopicMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = entrySize(message);
    if (current.length > 0 && (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function toEntry(message: TopicMessage, index: number): PublishBatchRequestEntry {
  return {
    // Entry ids only need to be unique within one call; the CloudEvent id stays in the body.
    Id: `m${index}`,
    Message: message.message,
    ...(message.messageStructure ? { MessageStructure: message.messageStructure } : {}),
    ...(message.subject ? { Subject: message.subject } : {}),
    MessageAttributes: Object.fromEntries(
      Object.entries(message.attributes).map(([name, a]) => [
        name,
        { DataType: a.DataType, StringValue: a.StringValue },
      ]),
    ),
  };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Publishes to one topic (the events topic, or the alerts topic) with PublishBatch. Failed
 * entries and failed calls are re-sent a bounded number of times with backoff; whatever still
 * fails is reported, so the poll can leave those customers uncommitted for the next poll to
 * re-detect.
 *
 * A call that fails for a reason no retry can fix (the topic does not exist, no permission,
 * the KMS key refuses) is thrown at once, naming the topic: every later message would fail
 * the same way, and the page's intent record already covers what was not published.
 */
export class SnsPublisher implements EventPublisher, AlertPublisher {
  readonly #client: SNSClient;
  readonly #topicArn: string;
  readonly #limit: ReturnType<typeof pLimit>;
  readonly #maxRetries: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: SnsPublisherOptions) {
    this.#client = options.client;
    this.#topicArn = options.topicArn;
    this.#limit = pLimit(options.concurrency ?? 8);
    this.#maxRetries = options.maxRetries ?? 3;
    this.#sleep = options.sleep ?? realSleep;
  }

  async publish(messages: readonly TopicMessage[]): Promise<PublishResult> {
    const published: string[] = [];
    const failed: PublishFailure[] = [];
    const sendable: TopicMessage[] = [];
    for (const message of messages) {
      const size = entrySize(message);
      if (size > MAX_BATCH_BYTES) {
        failed.push({
          id: message.id,
          reason: `message is ${size} bytes, over SNS's ${MAX_BATCH_BYTES}-byte limit`,
          permanent: true,
        });
      } else {
        sendable.push(message);
      }
    }
    await Promise.all(
      planBatches(sendable).map((batch) =>
        this.#limit(async () => {
          const outcome = await this.#publishBatch(batch);
          published.push(...outcome.published);
          failed.push(...outcome.failed);
        }),
      ),
    );
    return { published, failed };
  }

  async #publishBatch(batch: readonly TopicMessage[]): Promise<PublishResult> {
    const published: string[] = [];
    const failed: PublishFailure[] = [];
    let pending = batch;
    let reasons = new Map<string, string>();
    for (let attempt = 0; pending.length > 0 && attempt <= this.#maxRetries; attempt++) {
      if (attempt > 0) await this.#sleep(Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
      const next: TopicMessage[] = [];
      reasons = new Map();
      try {
        const out = await this.#client.send(
          new PublishBatchCommand({
            TopicArn: this.#topicArn,
            PublishBatchRequestEntries: pending.map(toEntry),
          }),
        );
        const failedByIndex = new Map<number, { reason: string; senderFault: boolean }>();
        for (const f of out.Failed ?? []) {
          failedByIndex.set(Number(f.Id?.slice(1)), {
            reason: `${f.Code ?? 'Failed'}: ${f.Message ?? 'no message'}`,
            senderFault: f.SenderFault === true,
          });
        }
        pending.forEach((message, index) => {
          const failure = failedByIndex.get(index);
          if (failure === undefined) published.push(message.id);
          // A sender fault (the entry itself is unacceptable) will not pass on a retry.
          else if (failure.senderFault)
            failed.push({ id: message.id, reason: failure.reason, permanent: true });
          else {
            next.push(message);
            reasons.set(message.id, failure.reason);
          }
        });
      } catch (error) {
        if (isPermanentSnsError(error)) throw error;
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'PublishBatch failed';
        for (const message of pending) {
          next.push(message);
          reasons.set(message.id, reason);
        }
      }
      pending = next;
    }
    for (const m of pending)
      failed.push({ id: m.id, reason: reasons.get(m.id) ?? 'Failed', permanent: false });
    return { published, failed };
  }
}

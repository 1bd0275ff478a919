/**
 * The poll queue: an SQS FIFO queue with one message per due app and dispatcher tick. The
 * message group is the app id, so SQS never hands out two polls of one app at once (a group
 * with a message in flight delivers nothing else), and the deduplication id is app + tick, so
 * a retried tick enqueues nothing twice. Reconciliation messages (`"task": "reconcile"`) go to
 * a group of their own per app (`<app>#reconcile`): a scan of minutes must not hold that app's
 * polls back, and the reconciliation has its own claim (it takes the poll lease only to delete).
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import * as z from 'zod/mini';

/** SendMessageBatch takes at most ten entries. */
const SEND_BATCH_LIMIT = 10;

/** What a message asks the poller to do with its app. */
export const POLL_TASKS = ['poll', 'reconcile'] as const;
export type PollTask = (typeof POLL_TASKS)[number];

/** The body of a poll message. */
export const pollMessageSchema = z.object({
  appId: z.string().check(z.minLength(1)),
  /** The dispatcher tick's scheduled time (ISO), for logs. */
  scheduledTime: z.optional(z.string()),
  /** @default 'poll' */
  task: z.optional(z.enum(POLL_TASKS)),
  /** A reconciliation's last message of its interval: a scan unfinished after it is reported. */
  last: z.optional(z.boolean()),
});
export type PollMessage = z.infer<typeof pollMessageSchema>;

/** One message to enqueue. */
export interface PollRequest {
  readonly appId: string;
  /** @default 'poll' */
  readonly task?: PollTask;
  /** See {@link pollMessageSchema}'s `last`. @default false */
  readonly last?: boolean;
  readonly deduplicationId: string;
  readonly scheduledTime: string;
}

/** The message group of a request: the app's own for polls, a second one for its reconciliations. */
export function messageGroupOf(request: Pick<PollRequest, 'appId' | 'task'>): string {
  return request.task === 'reconcile' ? `${request.appId}#reconcile` : request.appId;
}

/** The message body of a request (`task` only when it is not a poll, as before reconciliations). */
export function messageBodyOf(request: PollRequest): string {
  const body: PollMessage = {
    appId: request.appId,
    scheduledTime: request.scheduledTime,
    ...(request.task === 'reconcile' ? { task: request.task } : {}),
    ...(request.last === true ? { last: true } : {}),
  };
  return JSON.stringify(body);
}

/** Where the dispatcher puts polls. */
export interface PollQueue {
  /**
   * Enqueues every request; returns the requests SQS refused (after one retry of each), as
   * app ids (reconciliations as `<app> (reconcile)`).
   */
  send(requests: readonly PollRequest[]): Promise<{ readonly failed: readonly string[] }>;
}

/** The SQS adapter. The client is injected, so tests point it at the SQS stand-in. */
export class SqsPollQueue implements PollQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #limit: ReturnType<typeof pLimit>;

  constructor(options: {
    readonly client: SQSClient;
    readonly queueUrl: string;
    readonly concurrency?: number;
  }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#limit = pLimit(options.concurrency ?? 10);
  }

  async send(requests: readonly PollRequest[]): Promise<{ readonly failed: readonly string[] }> {
    const batches: PollRequest[][] = [];
    for (let i = 0; i < requests.length; i += SEND_BATCH_LIMIT) {
      batches.push(requests.slice(i, i + SEND_BATCH_LIMIT));
    }
    const failed = await Promise.all(batches.map((batch) => this.#limit(() => this.#sendBatch(batch))));
    return { failed: failed.flat() };
  }

  async #sendBatch(batch: readonly PollRequest[]): Promise<string[]> {
    let pending = [...batch];
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
      const out = await this.#client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: pending.map((request, index) => ({
            Id: String(index),
            MessageBody: messageBodyOf(request),
            MessageGroupId: messageGroupOf(request),
            MessageDeduplicationId: request.deduplicationId,
          })),
        }),
      );
      const refused = new Set((out.Failed ?? []).map((entry) => entry.Id));
      pending = pending.filter((_, index) => refused.has(String(index)));
    }
    return pending.map((request) =>
      request.task === 'reconcile' ? `${request.appId} (reconcile)` : request.appId,
    );
  }
}

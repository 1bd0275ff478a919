/**
 * The poller's side of the poll queue: an SQS event from the event source mapping, one task per
 * record (a poll, or a reconciliation when the body says `"task": "reconcile"`), and the partial
 * batch response Lambda needs (`ReportBatchItemFailures`).
 */
import type { SQSBatchResponse } from 'aws-lambda';
import * as z from 'zod/mini';
import { type PollTask, pollMessageSchema } from '../../lib/aws/poll-queue.ts';

const sqsEventSchema = z.object({
  Records: z.array(
    z.object({
      messageId: z.string(),
      body: z.string(),
      eventSource: z.literal('aws:sqs'),
    }),
  ),
});

/** What one message asks for. */
export interface QueuedTask {
  readonly appId: string;
  readonly task: PollTask;
  /** The interval's last reconciliation message (see lib/aws/poll-queue.ts). */
  readonly last: boolean;
}

/** One record taken from the queue. */
export interface QueuedPoll {
  readonly messageId: string;
  /** The task, or null when the body is not a valid poll message (it is reported as failed). */
  readonly request: QueuedTask | null;
  /** Why the body is not a valid poll message, naming the field; null when it is one. */
  readonly problem: string | null;
}

/** What is wrong with a message body, naming each bad field, without echoing the body. */
function bodyProblem(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const fields = issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
    return `${field}: ${issue.message}`;
  });
  return `Bad input: the message body is not {"appId": "...", "task"?: "poll" | "reconcile"} (${fields.join('; ')}).`;
}

/** Parses one record's body. */
export function parseQueuedTask(body: string): { request: QueuedTask | null; problem: string | null } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { request: null, problem: 'Bad input: the message body is not JSON.' };
  }
  const message = pollMessageSchema.safeParse(json);
  if (!message.success) return { request: null, problem: bodyProblem(message.error.issues) };
  const { appId, task = 'poll', last = false } = message.data;
  return { request: { appId, task, last }, problem: null };
}

/** The records of an SQS event, or null when `event` is not one (a direct `{"appId"}` invocation). */
export function parseSqsPollEvent(event: unknown): QueuedPoll[] | null {
  const parsed = sqsEventSchema.safeParse(event);
  if (!parsed.success) return null;
  return parsed.data.Records.map((record) => ({
    messageId: record.messageId,
    ...parseQueuedTask(record.body),
  }));
}

/**
 * Runs each record's task in order. A task that throws (bad message, configuration, an outage
 * before it could record its outcome) is reported as a batch item failure, and so is every
 * record after it: the queue is FIFO, and Lambda must not delete a later message of a group
 * whose earlier one is retried. A bad message is therefore never deleted: SQS retries it and
 * then moves it to the dead-letter queue, where it can be read and redriven. A task that ran
 * and failed does not throw here: its outcome is recorded in the app's state (the watchdog and
 * the metrics report it) and a later message covers it, so retrying the message would only run
 * it twice.
 */
export async function pollBatch(
  records: readonly QueuedPoll[],
  runOne: (request: QueuedTask) => Promise<unknown>,
  onError: (messageId: string, error: unknown) => void,
): Promise<SQSBatchResponse> {
  for (const [index, record] of records.entries()) {
    try {
      if (record.request === null)
        throw new Error(record.problem ?? 'Bad input: the message body is invalid.');
      await runOne(record.request);
    } catch (error) {
      onError(record.messageId, error);
      return {
        batchItemFailures: records.slice(index).map((r) => ({ itemIdentifier: r.messageId })),
      };
    }
  }
  return { batchItemFailures: [] };
}

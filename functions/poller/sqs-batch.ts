/**
 * The poller's side of the poll queue: an SQS event from the event source mapping, one poll
 * per record, and the partial batch response Lambda needs (`ReportBatchItemFailures`).
 */
import type { SQSBatchResponse } from 'aws-lambda';
import * as z from 'zod/mini';
import { pollMessageSchema } from '../../lib/aws/poll-queue.ts';

const sqsEventSchema = z.object({
  Records: z.array(
    z.object({
      messageId: z.string(),
      body: z.string(),
      eventSource: z.literal('aws:sqs'),
    }),
  ),
});

/** One poll request taken from the queue. */
export interface QueuedPoll {
  readonly messageId: string;
  /** The app id, or null when the body is not a poll message (it is reported as failed). */
  readonly appId: string | null;
}

/** The records of an SQS event, or null when `event` is not one (a direct `{"appId"}` invocation). */
export function parseSqsPollEvent(event: unknown): QueuedPoll[] | null {
  const parsed = sqsEventSchema.safeParse(event);
  if (!parsed.success) return null;
  return parsed.data.Records.map((record) => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const message = pollMessageSchema.safeParse(body);
    return { messageId: record.messageId, appId: message.success ? message.data.appId : null };
  });
}

/**
 * Polls each record's app in order. A poll that throws (bad message, configuration, an outage
 * before the poll could record its outcome) is reported as a batch item failure, and so is
 * every record after it: the queue is FIFO, and Lambda must not delete a later message of a
 * group whose earlier one is retried. A poll that ran and failed does not throw here: its
 * outcome is recorded in the app's state (the watchdog reports it) and the next tick polls the
 * same window again, so retrying the message would only poll twice.
 */
export async function pollBatch(
  records: readonly QueuedPoll[],
  pollOne: (appId: string) => Promise<unknown>,
  onError: (messageId: string, error: unknown) => void,
): Promise<SQSBatchResponse> {
  for (const [index, record] of records.entries()) {
    try {
      if (record.appId === null) throw new Error('Bad input: the message body is not {"appId": "..."}.');
      await pollOne(record.appId);
    } catch (error) {
      onError(record.messageId, error);
      return {
        batchItemFailures: records.slice(index).map((r) => ({ itemIdentifier: r.messageId })),
      };
    }
  }
  return { batchItemFailures: [] };
}

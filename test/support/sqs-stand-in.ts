/**
 * An SQS-compatible HTTP endpoint for tests and the local stack. It speaks the protocol that
 * `@aws-sdk/client-sqs` speaks (AWS JSON 1.0: `POST /` with `X-Amz-Target: AmazonSQS.<Action>`,
 * JSON in and out, errors as `{"__type", "message"}`), so the real `SQSClient` works against it
 * with `endpoint` set. No signature is checked.
 *
 * It keeps what the poll queue relies on, with SQS's own limits and errors: FIFO queues (a
 * message group with a message in flight delivers nothing else until that message is deleted
 * or its visibility times out; a deduplication id seen in the last five minutes is accepted
 * and dropped), visibility timeouts, batches of at most ten entries, the redrive policy's
 * `maxReceiveCount` into a dead-letter queue, and MD5 digests the SDK verifies. Standard
 * queues deliver in send order here (real ones may reorder); nothing else of SQS is modelled.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';

/** Options of {@link startSqsStandIn}. */
export interface SqsStandInOptions {
  /** Region in queue ARNs. @default 'us-east-1' */
  readonly region?: string;
  /** Account id in queue URLs and ARNs. @default '000000000000' */
  readonly accountId?: string;
  /** The clock visibility timeouts and deduplication windows run on. @default Date.now */
  readonly now?: () => number;
}

/** A message as the stand-in holds it, for assertions. */
export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly groupId: string | undefined;
  readonly deduplicationId: string | undefined;
  readonly sequenceNumber: string;
  readonly sentAt: number;
  receiveCount: number;
  /** Epoch ms until which the message is in flight; 0 when visible. */
  invisibleUntil: number;
  receiptHandle: string | undefined;
}

/** A running SQS stand-in. */
export interface SqsStandIn {
  /** `http://127.0.0.1:PORT`: pass as `endpoint` to `SQSClient`. */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  /** Requests per action (a snapshot). */
  readonly requestsByAction: Readonly<Record<string, number>>;
  /** The URL the stand-in gives a queue of this name (whether or not it exists). */
  queueUrl(name: string): string;
  /** The ARN the stand-in gives a queue of this name. */
  queueArn(name: string): string;
  /** The messages a queue holds now, visible or in flight, in order. */
  messages(name: string): readonly QueuedMessage[];
  close(): Promise<void>;
}

/** A queue's settings and contents. */
interface Queue {
  readonly name: string;
  readonly fifo: boolean;
  readonly contentBasedDeduplication: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly redrive: { readonly targetName: string; readonly maxReceiveCount: number } | undefined;
  readonly attributes: Record<string, string>;
  messages: QueuedMessage[];
  /** Deduplication id → [message id, sequence number, first sent at]. */
  readonly dedup: Map<string, { messageId: string; sequenceNumber: string; at: number }>;
  sequence: bigint;
}

class SqsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly queryCode = code,
  ) {
    super(message);
  }
}

const DEDUP_WINDOW_MS = 5 * 60_000;
const MAX_BATCH = 10;
const MAX_PAYLOAD_BYTES = 262_144;
const MAX_WAIT_SECONDS = 20;
const WAIT_STEP_MS = 20;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

function stringField(body: Record<string, unknown>, name: string, required: true): string;
function stringField(body: Record<string, unknown>, name: string, required?: false): string | undefined;
function stringField(body: Record<string, unknown>, name: string, required = false): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);
    return undefined;
  }
  if (typeof value !== 'string') throw new SqsError('InvalidParameterValue', `${name} must be a string.`);
  return value;
}

function integerField(body: Record<string, unknown>, name: string, min: number, max: number) {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SqsError(
      'InvalidParameterValue',
      `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`,
    );
  }
  return value;
}

/** Starts an SQS stand-in on 127.0.0.1 on a free port. */
export async function startSqsStandIn(options: SqsStandInOptions = {}): Promise<SqsStandIn> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const now = options.now ?? Date.now;
  const queues = new Map<string, Queue>();
  const requestsByAction: Record<string, number> = {};
  let endpoint = '';
  let closed = false;

  const queueUrl = (name: string) => `${endpoint}/${accountId}/${name}`;
  const queueArn = (name: string) => `arn:aws:sqs:${region}:${accountId}:${name}`;
  const queueOf = (body: Record<string, unknown>): Queue => {
    const url = stringField(body, 'QueueUrl', true);
    const name = url.split('/').pop() ?? '';
    const queue = queues.get(name);
    if (!queue || !url.endsWith(`/${accountId}/${name}`)) {
      throw new SqsError(
        'QueueDoesNotExist',
        'The specified queue does not exist.',
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    }
    return queue;
  };

  /** Returns expired in-flight messages to view, moving those past maxReceiveCount to the DLQ. */
  const expire = (queue: Queue, at: number) => {
    for (const message of [...queue.messages]) {
      if (message.invisibleUntil === 0 || message.invisibleUntil > at) continue;
      message.invisibleUntil = 0;
      message.receiptHandle = undefined;
      const target = queue.redrive && queues.get(queue.redrive.targetName);
      if (queue.redrive && target && message.receiveCount >= queue.redrive.maxReceiveCount) {
        queue.messages = queue.messages.filter((m) => m !== message);
        target.messages.push({ ...message, receiveCount: 0 });
      }
    }
  };

  const createQueue = (body: Record<string, unknown>) => {
    const name = stringField(body, 'QueueName', true);
    const attributes = (body.Attributes ?? {}) as Record<string, string>;
    const fifo = attributes.FifoQueue === 'true';
    if (!(fifo ? FIFO_QUEUE_NAME : QUEUE_NAME).test(name)) {
      throw new SqsError(
        'InvalidParameterValue',
        fifo
          ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
          : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const existing = queues.get(name);
    if (existing) {
      if (JSON.stringify(existing.attributes) !== JSON.stringify(attributes)) {
        throw new SqsError(
          'QueueNameExists',
          'A queue already exists with the same name and a different value for attribute(s)',
          'QueueAlreadyExists',
        );
      }
      return { QueueUrl: queueUrl(name) };
    }
    let redrive: Queue['redrive'];
    if (attributes.RedrivePolicy) {
      const policy = JSON.parse(attributes.RedrivePolicy) as {
        deadLetterTargetArn?: string;
        maxReceiveCount?: unknown;
      };
      const targetName = policy.deadLetterTargetArn?.split(':').pop() ?? '';
      if (!queues.has(targetName)) {
        throw new SqsError(
          'InvalidParameterValue',
          'Value for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.',
        );
      }
      redrive = { targetName, maxReceiveCount: Number(policy.maxReceiveCount ?? 10) };
    }
    queues.set(name, {
      name,
      fifo,
      contentBasedDeduplication: attributes.ContentBasedDeduplication === 'true',
      visibilityTimeoutSeconds: Number(attributes.VisibilityTimeout ?? 30),
      redrive,
      attributes,
      messages: [],
      dedup: new Map(),
      sequence: 10_000_000_000_000_000_000n,
    });
    return { QueueUrl: queueUrl(name) };
  };

  /** Enqueues one entry; returns what SendMessage / a batch's Successful entry reports. */
  const send = (queue: Queue, entry: Record<string, unknown>) => {
    const body = stringField(entry, 'MessageBody', true);
    if (body.length === 0)
      throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    if (Buffer.byteLength(body) > MAX_PAYLOAD_BYTES) {
      throw new SqsError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_PAYLOAD_BYTES} bytes.`,
      );
    }
    const groupId = stringField(entry, 'MessageGroupId');
    let deduplicationId = stringField(entry, 'MessageDeduplicationId');
    if (queue.fifo) {
      if (groupId === undefined)
        throw new SqsError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
      if (entry.DelaySeconds !== undefined && entry.DelaySeconds !== 0) {
        throw new SqsError(
          'InvalidParameterValue',
          'Value for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.',
        );
      }
      if (deduplicationId === undefined) {
        if (!queue.contentBasedDeduplication) {
          throw new SqsError(
            'InvalidParameterValue',
            'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        }
        deduplicationId = createHash('sha256').update(body).digest('hex');
      }
    } else if (deduplicationId !== undefined || groupId !== undefined) {
      throw new SqsError(
        'InvalidParameterValue',
        'The request include parameter that is not valid for this queue type',
      );
    }
    const at = now();
    if (deduplicationId !== undefined) {
      const seen = queue.dedup.get(deduplicationId);
      if (seen && at - seen.at < DEDUP_WINDOW_MS) {
        return {
          MessageId: seen.messageId,
          MD5OfMessageBody: md5(body),
          SequenceNumber: seen.sequenceNumber,
        };
      }
    }
    queue.sequence += 1n;
    const message: QueuedMessage = {
      messageId: randomUUID(),
      body,
      groupId,
      deduplicationId,
      sequenceNumber: queue.sequence.toString(),
      sentAt: at,
      receiveCount: 0,
      invisibleUntil: 0,
      receiptHandle: undefined,
    };
    queue.messages.push(message);
    if (deduplicationId !== undefined) {
      queue.dedup.set(deduplicationId, {
        messageId: message.messageId,
        sequenceNumber: message.sequenceNumber,
        at,
      });
    }
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: md5(body),
      ...(queue.fifo ? { SequenceNumber: message.sequenceNumber } : {}),
    };
  };

  const batchEntries = (body: Record<string, unknown>, field: string) => {
    const entries = body[field];
    if (!Array.isArray(entries) || entries.length === 0) {
      throw new SqsError(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
        'AWS.SimpleQueueService.EmptyBatchRequest',
      );
    }
    if (entries.length > MAX_BATCH) {
      throw new SqsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_BATCH}. You have sent ${entries.length}.`,
        'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      );
    }
    const ids = entries.map((e: Record<string, unknown>) => e.Id);
    if (new Set(ids).size !== ids.length) {
      throw new SqsError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
        'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
      );
    }
    return entries as Record<string, unknown>[];
  };

  const receive = async (body: Record<string, unknown>) => {
    const queue = queueOf(body);
    const max = integerField(body, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibility = integerField(body, 'VisibilityTimeout', 0, 43_200) ?? queue.visibilityTimeoutSeconds;
    const waitSeconds = integerField(body, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS) ?? 0;
    const until = Date.now() + waitSeconds * 1000;
    for (;;) {
      const at = now();
      expire(queue, at);
      const taken: QueuedMessage[] = [];
      // A FIFO group with a message in flight is locked; within a group only the head is eligible,
      // and one receive may take several messages of an unlocked group in order.
      const locked = new Set<string | undefined>();
      if (queue.fifo) for (const m of queue.messages) if (m.invisibleUntil > at) locked.add(m.groupId);
      for (const message of queue.messages) {
        if (taken.length >= max) break;
        if (message.invisibleUntil > at) continue;
        if (queue.fifo && locked.has(message.groupId)) continue;
        taken.push(message);
      }
      if (taken.length > 0 || closed || Date.now() >= until) {
        return {
          Messages: taken.map((message) => {
            message.receiveCount += 1;
            message.invisibleUntil = at + visibility * 1000;
            message.receiptHandle = `${message.messageId}#${randomUUID()}`;
            return {
              MessageId: message.messageId,
              ReceiptHandle: message.receiptHandle,
              MD5OfBody: md5(message.body),
              Body: message.body,
              Attributes: {
                ApproximateReceiveCount: String(message.receiveCount),
                SentTimestamp: String(message.sentAt),
                ...(message.groupId === undefined ? {} : { MessageGroupId: message.groupId }),
                ...(message.deduplicationId === undefined
                  ? {}
                  : { MessageDeduplicationId: message.deduplicationId }),
                ...(queue.fifo ? { SequenceNumber: message.sequenceNumber } : {}),
              },
            };
          }),
        };
      }
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    }
  };

  const byHandle = (queue: Queue, handle: string) => {
    const message = queue.messages.find((m) => m.receiptHandle === handle);
    if (!message) {
      throw new SqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
      );
    }
    return message;
  };
  const remove = (queue: Queue, handle: string) => {
    expire(queue, now());
    const message = queue.messages.find((m) => m.receiptHandle === handle);
    // SQS accepts a delete with a stale handle of a message already gone; an unknown handle is an error.
    if (message) queue.messages = queue.messages.filter((m) => m !== message);
    else if (!handle.includes('#')) byHandle(queue, handle);
  };

  const actions: Record<string, (body: Record<string, unknown>) => unknown> = {
    CreateQueue: createQueue,
    GetQueueUrl: (body) => {
      const name = stringField(body, 'QueueName', true);
      if (!queues.has(name)) {
        throw new SqsError(
          'QueueDoesNotExist',
          'The specified queue does not exist.',
          'AWS.SimpleQueueService.NonExistentQueue',
        );
      }
      return { QueueUrl: queueUrl(name) };
    },
    GetQueueAttributes: (body) => {
      const queue = queueOf(body);
      const at = now();
      expire(queue, at);
      const inFlight = queue.messages.filter((m) => m.invisibleUntil > at).length;
      return {
        Attributes: {
          ...queue.attributes,
          QueueArn: queueArn(queue.name),
          ApproximateNumberOfMessages: String(queue.messages.length - inFlight),
          ApproximateNumberOfMessagesNotVisible: String(inFlight),
        },
      };
    },
    SendMessage: (body) => send(queueOf(body), body),
    SendMessageBatch: (body) => {
      const queue = queueOf(body);
      const entries = batchEntries(body, 'Entries');
      const total = entries.reduce((sum, e) => sum + Buffer.byteLength(String(e.MessageBody ?? '')), 0);
      if (total > MAX_PAYLOAD_BYTES) {
        throw new SqsError(
          'BatchRequestTooLong',
          `Batch requests cannot be longer than ${MAX_PAYLOAD_BYTES} bytes.`,
          'AWS.SimpleQueueService.BatchRequestTooLong',
        );
      }
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const entry of entries) {
        try {
          Successful.push({ Id: entry.Id, ...send(queue, entry) });
        } catch (error) {
          if (!(error instanceof SqsError)) throw error;
          Failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
        }
      }
      return { Successful, Failed };
    },
    ReceiveMessage: receive,
    DeleteMessage: (body) => {
      remove(queueOf(body), stringField(body, 'ReceiptHandle', true));
      return {};
    },
    DeleteMessageBatch: (body) => {
      const queue = queueOf(body);
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const entry of batchEntries(body, 'Entries')) {
        try {
          remove(queue, stringField(entry, 'ReceiptHandle', true));
          Successful.push({ Id: entry.Id });
        } catch (error) {
          if (!(error instanceof SqsError)) throw error;
          Failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
        }
      }
      return { Successful, Failed };
    },
    ChangeMessageVisibility: (body) => {
      const queue = queueOf(body);
      const message = byHandle(queue, stringField(body, 'ReceiptHandle', true));
      const seconds = integerField(body, 'VisibilityTimeout', 0, 43_200) ?? 0;
      message.invisibleUntil = seconds === 0 ? 0 : now() + seconds * 1000;
      if (seconds === 0) expire(queue, now());
      return {};
    },
    PurgeQueue: (body) => {
      queueOf(body).messages = [];
      return {};
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      requestsByAction[action || '(none)'] = (requestsByAction[action || '(none)'] ?? 0) + 1;
      const reply = (status: number, payload: unknown, queryError?: string) => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': randomUUID(),
          ...(queryError ? { 'x-amzn-query-error': queryError } : {}),
        });
        res.end(JSON.stringify(payload));
      };
      const fail = (error: SqsError) =>
        reply(
          400,
          { __type: `com.amazonaws.sqs#${error.code}`, message: error.message },
          `${error.queryCode};Sender`,
        );
      const handler = actions[action];
      if (req.method !== 'POST' || !handler) {
        fail(
          new SqsError('InvalidAction', `The action ${action || '(none)'} is not valid for this endpoint.`),
        );
        return;
      }
      let body: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      } catch {
        fail(new SqsError('MalformedQueryString', 'The request body is not a JSON object.'));
        return;
      }
      Promise.resolve()
        .then(() => handler(body))
        .then(
          (result) => reply(200, result),
          (error: unknown) => {
            if (error instanceof SqsError) fail(error);
            else reply(500, { __type: 'com.amazonaws.sqs#InternalError', message: String(error) });
          },
        );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('The SQS stand-in did not bind a TCP port.');
  endpoint = `http://127.0.0.1:${address.port}`;

  return {
    endpoint,
    region,
    accountId,
    get requestsByAction() {
      return { ...requestsByAction };
    },
    queueUrl,
    queueArn,
    messages: (name) => [...(queues.get(name)?.messages ?? [])],
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

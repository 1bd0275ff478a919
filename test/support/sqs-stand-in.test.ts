import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsStandIn, startSqsStandIn } from './sqs-stand-in.ts';

/** The real SQSClient against the stand-in: the protocol, the FIFO rules and the limits. */
describe('SQS stand-in', () => {
  let clock = 1_000_000;
  let sqs: SqsStandIn;
  let client: SQSClient;

  beforeAll(async () => {
    sqs = await startSqsStandIn({ now: () => clock });
    client = new SQSClient({
      endpoint: sqs.endpoint,
      region: sqs.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await sqs.close();
  });

  const fifo = async (name: string, extra: Record<string, string> = {}) =>
    (
      await client.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: { FifoQueue: 'true', VisibilityTimeout: '30', ...extra },
        }),
      )
    ).QueueUrl ?? '';
  const receive = async (url: string, max = 10) =>
    (
      await client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: max,
          MessageSystemAttributeNames: ['All'],
        }),
      )
    ).Messages ?? [];

  it('keeps a FIFO group locked while one of its messages is in flight', async () => {
    const url = await fifo('locks.fifo');
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: '1', MessageBody: 'a1', MessageGroupId: 'a', MessageDeduplicationId: 'a1' },
          { Id: '2', MessageBody: 'a2', MessageGroupId: 'a', MessageDeduplicationId: 'a2' },
          { Id: '3', MessageBody: 'b1', MessageGroupId: 'b', MessageDeduplicationId: 'b1' },
        ],
      }),
    );
    const first = await receive(url, 1);
    expect(first.map((m) => m.Body)).toEqual(['a1']);
    // Group a is locked by a1 in flight: only b1 comes, never a2.
    const second = await receive(url);
    expect(second.map((m) => m.Body)).toEqual(['b1']);
    expect(await receive(url)).toEqual([]);
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[0]?.ReceiptHandle }));
    const third = await receive(url);
    expect(third.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([['a2', 'a']]);
  });

  it('returns a message after its visibility timeout and counts receives', async () => {
    const url = await fifo('visibility.fifo');
    await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'x',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'x',
      }),
    );
    expect((await receive(url)).length).toBe(1);
    clock += 29_000;
    expect(await receive(url)).toEqual([]);
    clock += 2_000;
    const again = await receive(url);
    expect(again[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('drops a deduplication id seen in the last five minutes, accepts it after', async () => {
    const url = await fifo('dedup.fifo');
    const send = () =>
      client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: 'p',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'tick-1',
        }),
      );
    const a = await send();
    const b = await send();
    expect(b.MessageId).toBe(a.MessageId);
    expect(sqs.messages('dedup.fifo')).toHaveLength(1);
    clock += 5 * 60_000;
    await send();
    expect(sqs.messages('dedup.fifo')).toHaveLength(2);
  });

  it('moves a message past maxReceiveCount to the dead-letter queue', async () => {
    await fifo('dead.fifo');
    const url = await fifo('redrive.fifo', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn('dead.fifo'), maxReceiveCount: 2 }),
    });
    await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'r',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'r',
      }),
    );
    for (let i = 0; i < 2; i++) {
      expect((await receive(url)).length).toBe(1);
      clock += 31_000;
    }
    expect(await receive(url)).toEqual([]);
    expect(sqs.messages('dead.fifo').map((m) => m.body)).toEqual(['r']);
    const attributes = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: sqs.queueUrl('dead.fifo'), AttributeNames: ['All'] }),
    );
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('1');
  });

  it('rejects what SQS rejects: no group id on FIFO, eleven entries, an unknown queue', async () => {
    const url = await fifo('limits.fifo');
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'x' })),
    ).rejects.toThrow(/MessageGroupId/);
    await expect(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: 11 }, (_, i) => ({
            Id: String(i),
            MessageBody: 'x',
            MessageGroupId: 'g',
            MessageDeduplicationId: String(i),
          })),
        }),
      ),
    ).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl('nope.fifo'), MessageBody: 'x' })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
  });
});

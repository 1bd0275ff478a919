import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '../../dev/local-stack.ts';
import { parseEvent } from '../../lib/subscriber/parse-event.ts';
import { runCliProcess } from '../support/harness.ts';
import { type SqsStandIn, startSqsStandIn } from '../support/sqs-stand-in.ts';

const APP = 'studio-replay';

describe('replay --to-queue and redrive, against the stand-ins', () => {
  let sqs: SqsStandIn;
  let stack: LocalStack;
  let sqsClient: SQSClient;
  let env: Record<string, string>;
  const urls: Record<string, string> = {};

  const drain = async (url: string): Promise<Message[]> => {
    const all: Message[] = [];
    for (;;) {
      const { Messages = [] } = await sqsClient.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return all;
      all.push(...Messages);
      await sqsClient.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
  };

  beforeAll(async () => {
    sqs = await startSqsStandIn();
    stack = await startLocalStack({ appIds: [APP], sns: { sqsEndpoint: sqs.endpoint } });
    env = { ...stack.env };
    const common = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
    sqsClient = new SQSClient({ ...common, endpoint: sqs.endpoint });
    const sns = new SNSClient({ ...common, endpoint: stack.sns.endpoint });
    try {
      for (const [name, raw] of [
        ['mine', 'true'],
        ['theirs', 'false'],
        ['mine-dlq', undefined],
      ] as const) {
        urls[name] = (await sqsClient.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
        if (raw === undefined) continue;
        await sns.send(
          new SubscribeCommand({
            TopicArn: stack.topicArn,
            Protocol: 'sqs',
            Endpoint: sqs.queueArn(name),
            Attributes: { RawMessageDelivery: raw },
          }),
        );
      }
    } finally {
      sns.destroy();
    }
    stack.gleantap.app(APP).seed(25, { seed: 5 });
  });
  afterAll(async () => {
    sqsClient?.destroy();
    await stack?.close();
    await sqs?.close();
  });

  it('sends archived events to that one queue, with the same ids, and to no other subscriber', async () => {
    const poll = await runCliProcess(['poll', '--emit-baseline', '--json'], env);
    expect(poll.code, poll.stderr).toBe(0);
    await stack.sns.settled();
    const published = stack.sns.messages();
    expect(published).toHaveLength(25);
    const ids = published.map((m) => parseEvent(m.message).id).sort();
    // Both subscribers got them once, as SNS delivered them (raw and in the envelope).
    expect((await drain(urls.mine ?? '')).map((m) => parseEvent(m.Body).id).sort()).toEqual(ids);
    expect((await drain(urls.theirs ?? '')).map((m) => parseEvent(m.Body).id).sort()).toEqual(ids);

    const since = new Date(Date.now() - 3_600_000).toISOString();
    const replay = await runCliProcess(
      ['replay', '--app-id', APP, '--since', since, '--to-queue', urls.mine ?? '', '--json'],
      env,
    );
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({
      found: 25,
      published: 25,
      failed: 0,
      to_queue: urls.mine,
    });
    await stack.sns.settled();

    const replayed = await drain(urls.mine ?? '');
    expect(replayed.map((m) => parseEvent(m.Body).id).sort()).toEqual(ids);
    expect(await drain(urls.theirs ?? '')).toEqual([]);
    expect(stack.sns.messages()).toHaveLength(25);
  });

  it('refuses a --to-queue that is not a URL, naming the flag', async () => {
    const run = await runCliProcess(
      ['replay', '--app-id', APP, '--since', '2026-01-01', '--to-queue', 'mine'],
      env,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--to-queue');
  });

  it('redrive moves dead letters back, bounded, and a dry run moves nothing', async () => {
    const bodies = ['a', 'b', 'c', 'd', 'e'].map((x) => `{"letter":"${x}"}`);
    await sqsClient.send(
      new SendMessageBatchCommand({
        QueueUrl: urls['mine-dlq'],
        Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    const from = urls['mine-dlq'] ?? '';
    const to = urls.mine ?? '';

    const dry = await runCliProcess(['redrive', '--from', from, '--to', to, '--dry-run', '--json'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ moved: 5, failed: 0, dry_run: true });
    expect(sqs.messages('mine')).toHaveLength(0);
    expect(sqs.messages('mine-dlq').filter((m) => m.invisibleUntil === 0)).toHaveLength(5);

    const two = await runCliProcess(['redrive', '--from', from, '--to', to, '--max', '2', '--json'], env);
    expect(two.code, two.stderr).toBe(0);
    expect(JSON.parse(two.stdout)).toMatchObject({ moved: 2, failed: 0, dry_run: false });
    expect(sqs.messages('mine')).toHaveLength(2);
    expect(sqs.messages('mine-dlq')).toHaveLength(3);

    const rest = await runCliProcess(['redrive', '--from', from, '--to', to], env);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toContain('moved 3 message(s)');
    expect(sqs.messages('mine-dlq')).toHaveLength(0);
    expect(
      sqs
        .messages('mine')
        .map((m) => m.body)
        .sort(),
    ).toEqual(bodies);
  });

  it('redrive answers --help and refuses bad usage with exit 2', async () => {
    const help = await runCliProcess(['redrive', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: gleantap-notifier redrive');
    const bad = await runCliProcess(['redrive', '--from', urls['mine-dlq'] ?? ''], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--to');
    const max = await runCliProcess(
      ['redrive', '--from', 'http://127.0.0.1:1/0/a', '--to', 'http://127.0.0.1:1/0/b', '--max', '0'],
      env,
    );
    expect(max.code).toBe(2);
    expect(max.stderr).toContain('--max');
  });
});

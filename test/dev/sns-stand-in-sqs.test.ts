import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../dev/local-stack.ts';
import { type SnsStandIn, startSnsStandIn } from '../../dev/sns-stand-in.ts';
import { type SqsStandIn, startSqsStandIn } from '../support/sqs-stand-in.ts';

describe('SNS stand-in delivering to SQS queues', () => {
  let sqs: SqsStandIn;
  let sns: SnsStandIn;
  let snsClient: SNSClient;
  let sqsClient: SQSClient;
  let topicArn: string;

  beforeAll(async () => {
    sqs = await startSqsStandIn();
    sns = await startSnsStandIn({ sqsEndpoint: sqs.endpoint });
    const common = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
    snsClient = new SNSClient({ ...common, endpoint: sns.endpoint });
    sqsClient = new SQSClient({ ...common, endpoint: sqs.endpoint });
    topicArn = (await snsClient.send(new CreateTopicCommand({ Name: 'events' }))).TopicArn ?? '';
  });
  afterAll(async () => {
    snsClient?.destroy();
    sqsClient?.destroy();
    await sns?.close();
    await sqs?.close();
  });

  const queue = async (name: string, attributes: Record<string, string>) => {
    const url = (await sqsClient.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
    await snsClient.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: sqs.queueArn(name),
        Attributes: attributes,
      }),
    );
    return url;
  };

  const receive = async (url: string) =>
    (
      await sqsClient.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
      )
    ).Messages ?? [];

  it('delivers raw or enveloped, picks the sqs key of a structured message, and honours String.Array filters', async () => {
    const raw = await queue('raw', { RawMessageDelivery: 'true' });
    const enveloped = await queue('enveloped', {});
    const emailOnly = await queue('email-fields', {
      RawMessageDelivery: 'true',
      FilterPolicy: JSON.stringify({ changed_fields: ['email'] }),
    });
    const changed = (fields: string[]) => ({
      changed_fields: { DataType: 'String.Array', StringValue: JSON.stringify(fields) },
      type: { DataType: 'String', StringValue: 'customer.updated' },
    });
    await snsClient.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: '{"n":1}',
        MessageAttributes: changed(['email', 'phone']),
      }),
    );
    await snsClient.send(
      new PublishCommand({
        TopicArn: topicArn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: '{"n":2}', sqs: '{"n":2,"for":"sqs"}', email: 'Hello' }),
        MessageAttributes: changed(['sms_optout']),
      }),
    );
    await sns.settled();

    const rawBodies = (await receive(raw)).map((m) => m.Body);
    expect(rawBodies).toEqual(['{"n":1}', '{"n":2,"for":"sqs"}']);

    const envelopes = (await receive(enveloped)).map((m) => JSON.parse(m.Body ?? '{}'));
    expect(envelopes.map((e) => [e.Type, e.TopicArn, e.Message])).toEqual([
      ['Notification', topicArn, '{"n":1}'],
      ['Notification', topicArn, '{"n":2,"for":"sqs"}'],
    ]);
    expect(envelopes[0]?.MessageAttributes?.changed_fields).toEqual({
      Type: 'String.Array',
      Value: '["email","phone"]',
    });

    expect((await receive(emailOnly)).map((m) => m.Body)).toEqual(['{"n":1}']);
  });

  it('records a delivery to a queue that does not exist as failed', async () => {
    await snsClient.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: sqs.queueArn('missing') }),
    );
    sns.reset();
    await snsClient.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' }));
    await sns.settled();
    const toMissing = sns.deliveries().filter((d) => d.endpoint === sqs.queueArn('missing'));
    expect(toMissing.map((d) => d.status)).toEqual(['failed']);
  });
});

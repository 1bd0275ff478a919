import http from 'node:http';
import {
  BatchEntryIdsNotDistinctException,
  BatchRequestTooLongException,
  CreateTopicCommand,
  DeleteTopicCommand,
  EmptyBatchRequestException,
  GetTopicAttributesCommand,
  InternalErrorException,
  InvalidBatchEntryIdException,
  InvalidParameterException,
  InvalidParameterValueException,
  ListPhoneNumbersOptedOutCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  type MessageAttributeValue,
  NotFoundException,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  PublishCommand,
  SNSClient,
  SNSServiceException,
  SubscribeCommand,
  ThrottledException,
  TooManyEntriesInBatchRequestException,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type DeliveredMessage, type SnsStandIn, startSnsStandIn } from '../../dev/sns-stand-in.ts';

const client = (standIn: SnsStandIn, maxAttempts = 1): SNSClient =>
  new SNSClient({
    endpoint: standIn.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
  });

/** Resolves to what the promise rejected with; fails the test if it resolved. */
const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
};

const entries = (count: number, make: (i: number) => Partial<PublishBatchRequestEntry> = () => ({})) =>
  Array.from({ length: count }, (_, i) => ({ Id: `e${i}`, Message: `message ${i}`, ...make(i) }));

let standIn: SnsStandIn;
let sns: SNSClient;
let topicArn: string;

beforeEach(async () => {
  standIn = await startSnsStandIn({ seed: 7 });
  sns = client(standIn);
  const created = await sns.send(new CreateTopicCommand({ Name: 'events' }));
  topicArn = created.TopicArn ?? '';
});

afterEach(async () => {
  sns.destroy();
  await standIn.close();
});

describe('topics', () => {
  it('CreateTopic returns the ARN for the configured region and account, idempotently by name', async () => {
    const other = await startSnsStandIn({ region: 'eu-west-1', accountId: '123456789012' });
    const otherSns = client(other);
    try {
      const first = await otherSns.send(new CreateTopicCommand({ Name: 'orders' }));
      const second = await otherSns.send(new CreateTopicCommand({ Name: 'orders' }));
      expect(first.TopicArn).toBe('arn:aws:sns:eu-west-1:123456789012:orders');
      expect(second.TopicArn).toBe(first.TopicArn);
      const listed = await otherSns.send(new ListTopicsCommand({}));
      expect(listed.Topics).toEqual([{ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:orders' }]);
    } finally {
      otherSns.destroy();
      await other.close();
    }
  });

  it.each([['has space'], ['x'.repeat(257)], ['bad.name'], ['']])(
    'CreateTopic rejects the name %j',
    async (name) => {
      const error = await rejection(sns.send(new CreateTopicCommand({ Name: name })));
      expect(error).toBeInstanceOf(InvalidParameterException);
    },
  );

  it('CreateTopic of an existing name with different attributes is rejected', async () => {
    await sns.send(new CreateTopicCommand({ Name: 'branded', Attributes: { DisplayName: 'A' } }));
    const error = await rejection(
      sns.send(new CreateTopicCommand({ Name: 'branded', Attributes: { DisplayName: 'B' } })),
    );
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error).toMatchObject({ message: expect.stringContaining('different attributes') });
  });

  it('ListTopics pages by 100 with a NextToken', async () => {
    for (let i = 0; i < 120; i += 1) await sns.send(new CreateTopicCommand({ Name: `t${i}` }));
    const first = await sns.send(new ListTopicsCommand({}));
    expect(first.Topics).toHaveLength(100);
    expect(first.NextToken).toBeTruthy();
    const second = await sns.send(new ListTopicsCommand({ NextToken: first.NextToken }));
    expect(second.Topics).toHaveLength(21);
    expect(second.NextToken).toBeUndefined();
    const all = [...(first.Topics ?? []), ...(second.Topics ?? [])].map((t) => t.TopicArn);
    expect(new Set(all).size).toBe(121);
    expect(all).toContain(topicArn);
  });

  it('GetTopicAttributes reports the topic, its owner and confirmed subscriptions', async () => {
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'ops@example.com' }),
    );
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    expect(Attributes).toMatchObject({
      TopicArn: topicArn,
      Owner: '000000000000',
      SubscriptionsConfirmed: '1',
      SubscriptionsPending: '0',
    });
    expect(JSON.parse(Attributes?.Policy ?? '')).toMatchObject({ Version: '2008-10-17' });
  });

  it('an unknown topic is NotFound (404) for GetTopicAttributes, Subscribe, Publish and PublishBatch', async () => {
    const missing = standIn.topicArn('missing');
    const calls = [
      sns.send(new GetTopicAttributesCommand({ TopicArn: missing })),
      sns.send(
        new SubscribeCommand({ TopicArn: missing, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:1:q' }),
      ),
      sns.send(new PublishCommand({ TopicArn: missing, Message: 'x' })),
      sns.send(new PublishBatchCommand({ TopicArn: missing, PublishBatchRequestEntries: entries(1) })),
    ];
    for (const call of calls) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(NotFoundException);
      expect(error).toMatchObject({
        name: 'NotFoundException',
        message: 'Topic does not exist',
        $metadata: { httpStatusCode: 404 },
      });
    }
    expect(standIn.messages()).toEqual([]);
  });

  it('DeleteTopic removes the topic and its subscriptions; deleting again succeeds as in SNS', async () => {
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: 'q' }));
    await sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
    await sns.send(new DeleteTopicCommand({ TopicArn: topicArn }));
    expect((await sns.send(new ListTopicsCommand({}))).Topics ?? []).toEqual([]);
    expect(standIn.subscriptions()).toEqual([]);
    expect(
      await rejection(sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' }))),
    ).toBeInstanceOf(NotFoundException);
  });

  it('a malformed TopicArn is InvalidParameter, not NotFound', async () => {
    const error = await rejection(sns.send(new PublishCommand({ TopicArn: 'events', Message: 'x' })));
    expect(error).toBeInstanceOf(InvalidParameterException);
  });
});

describe('subscriptions', () => {
  it('Subscribe returns a subscription ARN under the topic, idempotently, and lists it', async () => {
    const input = { TopicArn: topicArn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:q' };
    const first = await sns.send(new SubscribeCommand(input));
    const second = await sns.send(new SubscribeCommand(input));
    expect(first.SubscriptionArn).toMatch(new RegExp(`^${topicArn}:[0-9a-f-]{36}$`));
    expect(second.SubscriptionArn).toBe(first.SubscriptionArn);
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(listed.Subscriptions).toEqual([
      {
        SubscriptionArn: first.SubscriptionArn,
        Owner: '000000000000',
        Protocol: 'sqs',
        Endpoint: input.Endpoint,
        TopicArn: topicArn,
      },
    ]);
  });

  it.each([
    ['an unsupported protocol', { Protocol: 'sms', Endpoint: '+15555550100' }],
    ['an http endpoint that is not http', { Protocol: 'http', Endpoint: 'https://example.com' }],
    ['an invalid filter policy', { Protocol: 'sqs', Endpoint: 'q', Attributes: { FilterPolicy: '{nope' } }],
    [
      'the MessageBody filter scope',
      { Protocol: 'sqs', Endpoint: 'q', Attributes: { FilterPolicyScope: 'MessageBody' } },
    ],
    ['an unknown attribute', { Protocol: 'sqs', Endpoint: 'q', Attributes: { Colour: 'blue' } }],
  ])('Subscribe rejects %s', async (_, input) => {
    const error = await rejection(sns.send(new SubscribeCommand({ TopicArn: topicArn, ...input })));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(standIn.subscriptions()).toEqual([]);
  });

  it('email and sqs subscriptions are recorded, with the text their protocol would get', async () => {
    const email = await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'a@b.c' }),
    );
    const queue = await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: 'q' }),
    );
    const message = JSON.stringify({ default: '{"id":"1"}', email: 'Alex opted out of email' });
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: message,
        MessageStructure: 'json',
        Subject: 'Opt-out',
      }),
    );
    expect(standIn.deliveries(email.SubscriptionArn)).toEqual([
      expect.objectContaining({
        status: 'recorded',
        protocol: 'email',
        endpoint: 'a@b.c',
        message: expect.objectContaining({ message: 'Alex opted out of email', subject: 'Opt-out' }),
      }),
    ]);
    expect(standIn.deliveries(queue.SubscriptionArn).map((d) => d.message.message)).toEqual(['{"id":"1"}']);
  });

  it('Unsubscribe stops deliveries; a second Unsubscribe is NotFound', async () => {
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'lambda',
        Endpoint: 'arn:aws:lambda:us-east-1:1:function:f',
      }),
    );
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'after' }));
    expect(standIn.deliveries()).toEqual([]);
    expect(standIn.subscriptions()).toEqual([]);
    const error = await rejection(sns.send(new UnsubscribeCommand({ SubscriptionArn })));
    expect(error).toBeInstanceOf(NotFoundException);
  });
});

describe('Publish', () => {
  it('records the message with decoded attributes and returns its MessageId', async () => {
    const attributes: Record<string, MessageAttributeValue> = {
      type: { DataType: 'String', StringValue: 'customer.updated' },
      changed_fields: { DataType: 'String.Array', StringValue: '["email","phone"]' },
      sequence: { DataType: 'Number', StringValue: '3' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 254]) },
    };
    const before = Date.now();
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: '{"a":1} & <b>',
        Subject: 'Hello',
        MessageAttributes: attributes,
      }),
    );
    const [recorded, ...rest] = standIn.messages(topicArn);
    expect(rest).toEqual([]);
    expect(recorded).toEqual({
      messageId: MessageId,
      topicArn,
      message: '{"a":1} & <b>',
      subject: 'Hello',
      attributes: {
        type: { DataType: 'String', StringValue: 'customer.updated' },
        changed_fields: { DataType: 'String.Array', StringValue: '["email","phone"]' },
        sequence: { DataType: 'Number', StringValue: '3' },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 254]) },
      },
      receivedAt: expect.any(Date),
      action: 'Publish',
    });
    expect(recorded?.receivedAt.getTime()).toBeGreaterThanOrEqual(before - 1);
  });

  it('accepts MessageStructure=json and hands each protocol its own text', async () => {
    const seen: Record<string, string> = {};
    for (const protocol of ['email', 'sqs', 'lambda', 'email-json'] as const) {
      standIn.subscribe(
        topicArn,
        (m) => {
          seen[protocol] = m.message;
        },
        { protocol },
      );
    }
    const message = JSON.stringify({ default: 'the event', email: 'the email text', lambda: 'for lambda' });
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: message, MessageStructure: 'json' }));
    expect(seen).toEqual({
      email: 'the email text',
      sqs: 'the event',
      lambda: 'for lambda',
      'email-json': 'the event',
    });
    expect(standIn.messages()[0]).toMatchObject({ message, messageStructure: 'json' });
  });

  const at = (n: number) => 'x'.repeat(n);
  const tooManyAttributes = Object.fromEntries(
    Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
  );
  it.each([
    [
      'a missing message',
      { Message: undefined },
      InvalidParameterException,
      'Invalid parameter: Empty message',
    ],
    ['an empty message', { Message: '' }, InvalidParameterException, 'Invalid parameter: Empty message'],
    [
      'a message over 256 KiB',
      { Message: at(262_145) },
      InvalidParameterException,
      'Invalid parameter: Message too long',
    ],
    [
      'a message whose attributes take it over 256 KiB',
      // 262_138 + name (1) + "String" (6) + value (1) = 262_146 bytes
      { Message: at(262_138), MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
      InvalidParameterException,
      'Message too long',
    ],
    ['a subject of 100 characters', { Subject: at(100) }, InvalidParameterException, 'Subject'],
    ['a subject with a line break', { Subject: 'two\nlines' }, InvalidParameterException, 'Subject'],
    [
      'MessageStructure json that is not JSON',
      { MessageStructure: 'json', Message: '{nope' },
      InvalidParameterException,
      'JSON message body failed to parse',
    ],
    [
      'MessageStructure json without a default key',
      { MessageStructure: 'json', Message: '{"email":"hi"}' },
      InvalidParameterException,
      'No default entry in JSON message body',
    ],
    [
      'more than 10 message attributes',
      { MessageAttributes: tooManyAttributes },
      InvalidParameterValueException,
      'Number of message attributes [11] exceeds the allowed maximum [10].',
    ],
    [
      'an empty attribute value',
      { MessageAttributes: { type: { DataType: 'String', StringValue: '' } } },
      InvalidParameterValueException,
      "The message attribute 'type' must contain non-empty message attribute value",
    ],
    [
      'a Number attribute that is not a number',
      { MessageAttributes: { n: { DataType: 'Number', StringValue: 'ten' } } },
      InvalidParameterValueException,
      "message attribute 'n'",
    ],
    [
      'a String.Array attribute that is not an array',
      { MessageAttributes: { a: { DataType: 'String.Array', StringValue: '"x"' } } },
      InvalidParameterValueException,
      'String.Array',
    ],
    [
      'an unknown attribute type',
      { MessageAttributes: { a: { DataType: 'Text', StringValue: 'x' } } },
      InvalidParameterValueException,
      'invalid message attribute type',
    ],
  ])('rejects %s', async (_, input, errorClass, message) => {
    const error = await rejection(
      sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'ok', ...input })),
    );
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({
      message: expect.stringContaining(message),
      $metadata: { httpStatusCode: 400 },
    });
    expect(standIn.messages()).toEqual([]);
  });

  it('accepts a message of exactly 256 KiB and a 99-character subject', async () => {
    await sns.send(
      new PublishCommand({ TopicArn: topicArn, Message: 'y'.repeat(262_144), Subject: 's'.repeat(99) }),
    );
    expect(standIn.messages().map((m) => m.message.length)).toEqual([262_144]);
  });
});

describe('PublishBatch', () => {
  it('accepts 10 entries, answers Successful in order and records them in order', async () => {
    const batch = entries(10, (i) => ({
      MessageAttributes: { n: { DataType: 'Number', StringValue: String(i) } },
    }));
    const result = await sns.send(
      new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: batch }),
    );
    expect(result.Failed ?? []).toEqual([]);
    expect(result.Successful?.map((s) => s.Id)).toEqual(batch.map((e) => e.Id));
    const recorded = standIn.messages(topicArn);
    expect(recorded.map((m) => m.messageId)).toEqual(result.Successful?.map((s) => s.MessageId));
    expect(recorded.map((m) => [m.batchEntryId, m.message, m.attributes.n?.StringValue])).toEqual(
      batch.map((e, i) => [e.Id, e.Message, String(i)]),
    );
    expect(result.Successful?.[0]).not.toHaveProperty('SequenceNumber');
  });

  it.each([
    [
      '11 entries',
      entries(11),
      TooManyEntriesInBatchRequestException,
      'TooManyEntriesInBatchRequestException',
    ],
    ['no entries', [], EmptyBatchRequestException, 'EmptyBatchRequestException'],
    [
      'duplicate ids',
      entries(3, (i) => ({ Id: i === 2 ? 'e0' : `e${i}` })),
      BatchEntryIdsNotDistinctException,
      'BatchEntryIdsNotDistinctException',
    ],
    [
      'an id of 81 characters',
      entries(1, () => ({ Id: 'a'.repeat(81) })),
      InvalidBatchEntryIdException,
      'InvalidBatchEntryIdException',
    ],
    [
      'an id with a dot',
      entries(1, () => ({ Id: 'a.b' })),
      InvalidBatchEntryIdException,
      'InvalidBatchEntryIdException',
    ],
    [
      'entries over 256 KiB together',
      entries(2, () => ({ Message: 'z'.repeat(140 * 1024) })),
      BatchRequestTooLongException,
      'BatchRequestTooLongException',
    ],
  ])('rejects a batch with %s as a whole', async (_, batch, errorClass, name) => {
    const error = await rejection(
      sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: batch })),
    );
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ name, $metadata: { httpStatusCode: 400 } });
    expect(standIn.messages()).toEqual([]);
  });

  it('accepts ids of 80 characters of letters, digits, hyphens and underscores', async () => {
    const id = `${'a'.repeat(40)}-_${'B9'.repeat(19)}`;
    const result = await sns.send(
      new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: [{ Id: id, Message: 'm' }] }),
    );
    expect(id).toHaveLength(80);
    expect(result.Successful?.map((s) => s.Id)).toEqual([id]);
  });

  it('reports invalid entries in Failed with SenderFault and publishes the rest', async () => {
    const batch = [
      { Id: 'ok1', Message: 'fine' },
      { Id: 'empty', Message: '' },
      { Id: 'nodefault', Message: '{"email":"x"}', MessageStructure: 'json' },
      { Id: 'ok2', Message: 'also fine' },
    ];
    const result = await sns.send(
      new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: batch }),
    );
    expect(result.Successful?.map((s) => s.Id)).toEqual(['ok1', 'ok2']);
    expect(result.Failed).toEqual([
      {
        Id: 'empty',
        Code: 'InvalidParameter',
        Message: 'Invalid parameter: Empty message',
        SenderFault: true,
      },
      {
        Id: 'nodefault',
        Code: 'InvalidParameter',
        Message: 'Invalid parameter: Message Structure - No default entry in JSON message body',
        SenderFault: true,
      },
    ]);
    expect(standIn.messages().map((m) => m.message)).toEqual(['fine', 'also fine']);
  });
});

describe('recording', () => {
  it('messages(topicArn) keeps topics apart; reset clears recordings and counts but keeps topics', async () => {
    const other = (await sns.send(new CreateTopicCommand({ Name: 'other' }))).TopicArn;
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'one' }));
    await sns.send(new PublishCommand({ TopicArn: other, Message: 'two' }));
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'three' }));
    expect(standIn.messages().map((m) => m.message)).toEqual(['one', 'two', 'three']);
    expect(standIn.messages(topicArn).map((m) => m.message)).toEqual(['one', 'three']);
    expect(standIn.messages(other).map((m) => m.message)).toEqual(['two']);
    standIn.reset();
    expect(standIn.messages()).toEqual([]);
    expect(standIn.messages(topicArn)).toEqual([]);
    expect(standIn.requestCount).toBe(0);
    expect(standIn.requestsByAction).toEqual({});
    await sns.send(new PublishCommand({ TopicArn: other, Message: 'four' }));
    expect(standIn.messages(other).map((m) => m.message)).toEqual(['four']);
  });

  it('counts requests per action, failed and unknown ones included', async () => {
    standIn.reset();
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'a' }));
    await sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries(3) }));
    await sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries(2) }));
    await rejection(sns.send(new PublishCommand({ TopicArn: topicArn, Message: '' })));
    await rejection(sns.send(new ListPhoneNumbersOptedOutCommand({})));
    await sns.send(new ListTopicsCommand({}));
    expect(standIn.requestsByAction).toEqual({
      Publish: 2,
      PublishBatch: 2,
      ListPhoneNumbersOptedOut: 1,
      ListTopics: 1,
    });
    expect(standIn.requestCount).toBe(6);
  });

  it('keeps every message of 1,000 concurrent batches (10,000 messages), in acceptance order per batch', async () => {
    standIn.reset();
    const batches = Array.from({ length: 1000 }, (_, b) =>
      sns.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: entries(10, (i) => ({ Message: `${b}:${i}` })),
        }),
      ),
    );
    const results = await Promise.all(batches);
    expect(results.every((r) => r.Successful?.length === 10)).toBe(true);
    const recorded = standIn.messages(topicArn);
    expect(recorded).toHaveLength(10_000);
    expect(new Set(recorded.map((m) => m.messageId)).size).toBe(10_000);
    const positions = new Map(recorded.map((m, index) => [m.message, index]));
    for (let b = 0; b < 1000; b += 1) {
      const order = Array.from({ length: 10 }, (_, i) => positions.get(`${b}:${i}`) ?? -1);
      // One batch is accepted in one step, so its entries sit next to each other, in entry order.
      const first = order[0] ?? -1;
      expect(order).toEqual(Array.from({ length: 10 }, (_, i) => first + i));
    }
    expect(standIn.requestsByAction).toEqual({ PublishBatch: 1000 });
  });
});

describe('protocol edges', () => {
  it('an unknown action is an error the SDK surfaces (InvalidAction, 400)', async () => {
    const error = await rejection(sns.send(new ListPhoneNumbersOptedOutCommand({})));
    expect(error).toBeInstanceOf(SNSServiceException);
    expect(error).toMatchObject({
      name: 'InvalidAction',
      message: 'The action ListPhoneNumbersOptedOut is not valid for this web service.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('answers a raw form POST with SNS XML and a request id header', async () => {
    const response = await fetch(standIn.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ Action: 'CreateTopic', Version: '2010-03-31', Name: 'raw' }),
    });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(text).toContain('<CreateTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">');
    expect(text).toContain('<TopicArn>arn:aws:sns:us-east-1:000000000000:raw</TopicArn>');
  });
});

describe('HTTP subscribers', () => {
  interface Received {
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
  }
  let receiver: http.Server;
  let receiverUrl: string;
  let received: Received[];
  let status: number;

  beforeEach(async () => {
    received = [];
    status = 200;
    receiver = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.statusCode = status;
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    if (address === null || typeof address === 'string') throw new Error('receiver has no port');
    receiverUrl = `http://127.0.0.1:${address.port}/sns`;
  });

  afterEach(async () => {
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('POSTs the SNS notification envelope with the x-amz-sns headers', async () => {
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: receiverUrl }),
    );
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: '{"specversion":"1.0"}',
        Subject: 'Customer updated',
        MessageAttributes: {
          type: { DataType: 'String', StringValue: 'customer.updated' },
          changed_fields: { DataType: 'String.Array', StringValue: '["email"]' },
        },
      }),
    );
    await standIn.settled();
    expect(received).toHaveLength(1);
    const [delivery] = received;
    expect(delivery?.headers).toMatchObject({
      'x-amz-sns-message-type': 'Notification',
      'x-amz-sns-message-id': MessageId,
      'x-amz-sns-topic-arn': topicArn,
      'x-amz-sns-subscription-arn': SubscriptionArn,
      'content-type': 'text/plain; charset=UTF-8',
    });
    const envelope: unknown = JSON.parse(delivery?.body ?? '');
    expect(envelope).toEqual({
      Type: 'Notification',
      MessageId,
      TopicArn: topicArn,
      Subject: 'Customer updated',
      Message: '{"specversion":"1.0"}',
      Timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      SignatureVersion: '1',
      Signature: expect.any(String),
      SigningCertURL: expect.stringMatching(/^https:\/\/sns\.us-east-1\.amazonaws\.com\/.+\.pem$/),
      UnsubscribeURL: expect.stringContaining(`${standIn.endpoint}/?Action=Unsubscribe&SubscriptionArn=`),
      MessageAttributes: {
        type: { Type: 'String', Value: 'customer.updated' },
        changed_fields: { Type: 'String.Array', Value: '["email"]' },
      },
    });
    expect(standIn.deliveries(SubscriptionArn)).toMatchObject([{ status: 'delivered', httpStatus: 200 }]);
  });

  it('omits Subject and MessageAttributes when the message has none, and the UnsubscribeURL unsubscribes', async () => {
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: receiverUrl }));
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'plain' }));
    await standIn.settled();
    const envelope: unknown = JSON.parse(received[0]?.body ?? '');
    expect(envelope).not.toHaveProperty('Subject');
    expect(envelope).not.toHaveProperty('MessageAttributes');
    expect(envelope).toMatchObject({ Message: 'plain' });
    const { UnsubscribeURL } = z.object({ UnsubscribeURL: z.string() }).parse(envelope);
    const response = await fetch(UnsubscribeURL);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<UnsubscribeResponse');
    expect(standIn.subscriptions(topicArn)).toEqual([]);
  });

  it('sends the raw message with RawMessageDelivery and filters by policy', async () => {
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'http',
        Endpoint: receiverUrl,
        Attributes: { RawMessageDelivery: 'true', FilterPolicy: '{"type":["customer.optout_changed"]}' },
      }),
    );
    await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: ['customer.updated', 'customer.optout_changed'].map((type, i) => ({
          Id: `e${i}`,
          Message: `raw ${type}`,
          MessageAttributes: { type: { DataType: 'String', StringValue: type } },
        })),
      }),
    );
    await standIn.settled();
    expect(received.map((r) => r.body)).toEqual(['raw customer.optout_changed']);
    expect(received[0]?.headers['x-amz-sns-rawdelivery']).toBe('true');
  });

  it('a failing or unreachable endpoint does not fail the publish', async () => {
    status = 500;
    const failing = await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: receiverUrl }),
    );
    const unreachable = await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: 'http://127.0.0.1:1/nothing' }),
    );
    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn: topicArn, Message: 'still accepted' }),
    );
    await standIn.settled();
    expect(MessageId).toBeTruthy();
    expect(standIn.messages()).toHaveLength(1);
    expect(standIn.deliveries(failing.SubscriptionArn)).toMatchObject([
      { status: 'failed', error: 'HTTP 500' },
    ]);
    expect(standIn.deliveries(unreachable.SubscriptionArn)).toMatchObject([{ status: 'failed' }]);
  });
});

describe('in-process subscribers', () => {
  it('receive matching messages; a throwing callback fails only its delivery; unsubscribe stops them', async () => {
    const got: DeliveredMessage[] = [];
    const stop = standIn.subscribe(
      topicArn,
      (m) => {
        got.push(m);
      },
      { filterPolicy: { type: ['customer.created'] } },
    );
    standIn.subscribe(topicArn, () => {
      throw new Error('subscriber bug');
    });
    const publish = (type: string) =>
      sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: type,
          MessageAttributes: { type: { DataType: 'String', StringValue: type } },
        }),
      );
    await publish('customer.created');
    await publish('customer.updated');
    stop();
    await publish('customer.created');
    expect(got.map((m) => [m.message, m.protocol, m.topicArn])).toEqual([
      ['customer.created', 'sqs', topicArn],
    ]);
    expect(
      standIn
        .deliveries()
        .filter((d) => d.status === 'failed')
        .map((d) => d.error),
    ).toEqual(['subscriber bug', 'subscriber bug', 'subscriber bug']);
    expect(standIn.messages()).toHaveLength(3);
  });

  it('subscribe throws for an unknown topic or an invalid policy', () => {
    expect(() => standIn.subscribe(standIn.topicArn('nope'), () => {})).toThrow(/does not exist/);
    expect(() => standIn.subscribe(topicArn, () => {}, { filterPolicy: '{"type": "x"}' })).toThrow(
      /non-empty list/,
    );
  });

  it('settled() waits for async callbacks', async () => {
    const done: string[] = [];
    standIn.subscribe(topicArn, async (m) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      done.push(m.messageId);
    });
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' }));
    await standIn.settled();
    expect(done).toEqual([MessageId]);
  });
});

describe('fault injection', () => {
  it('failCalls fails the next call with InternalError (500) and records nothing', async () => {
    standIn.faults.failCalls();
    const error = await rejection(sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'lost' })));
    expect(error).toBeInstanceOf(InternalErrorException);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 500 } });
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'kept' }));
    expect(standIn.messages().map((m) => m.message)).toEqual(['kept']);
  });

  it('failCalls targets one action, a number of times', async () => {
    standIn.faults.failCalls({ action: 'PublishBatch', times: 2 });
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'unaffected' }));
    const send = () =>
      sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries(2) }));
    expect(await rejection(send())).toBeInstanceOf(InternalErrorException);
    expect(await rejection(send())).toBeInstanceOf(InternalErrorException);
    const third = await send();
    expect(third.Successful).toHaveLength(2);
    expect(standIn.messages()).toHaveLength(3);
  });

  it('failCalls with 503 and with a code surface as those errors', async () => {
    standIn.faults.failCalls({ status: 503 });
    standIn.faults.failCalls({ status: 429, code: 'Throttled' });
    const unavailable = await rejection(sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })));
    expect(unavailable).toBeInstanceOf(SNSServiceException);
    expect(unavailable).toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    const throttled = await rejection(sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })));
    expect(throttled).toBeInstanceOf(ThrottledException);
  });

  it('the SDK retries an injected 500 and succeeds on the second attempt', async () => {
    const retrying = client(standIn, 3);
    try {
      standIn.reset();
      standIn.faults.failCalls({ action: 'Publish' });
      const result = await retrying.send(new PublishCommand({ TopicArn: topicArn, Message: 'retried' }));
      expect(result.$metadata.attempts).toBe(2);
      expect(standIn.requestsByAction).toEqual({ Publish: 2 });
      expect(standIn.messages().map((m) => m.message)).toEqual(['retried']);
    } finally {
      retrying.destroy();
    }
  });

  it('failEntries with count fails the first entries (SenderFault false) for one call only', async () => {
    standIn.faults.failEntries({ count: 3 });
    const send = () =>
      sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries(10) }));
    const first = await send();
    expect(first.Failed).toEqual(
      ['e0', 'e1', 'e2'].map((Id) => ({
        Id,
        Code: 'InternalError',
        Message: 'Internal Error',
        SenderFault: false,
      })),
    );
    expect(first.Successful?.map((s) => s.Id)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
    expect(standIn.messages().map((m) => m.batchEntryId)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
    const second = await send();
    expect(second.Failed ?? []).toEqual([]);
  });

  it('failEntries with ids and a code fails exactly those entries, for `times` calls', async () => {
    standIn.faults.failEntries({ ids: ['e1', 'e4'], code: 'KMSThrottling', times: 2 });
    const send = () =>
      sns.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries(5) }));
    for (let call = 0; call < 2; call += 1) {
      const result = await send();
      expect(result.Failed?.map((f) => [f.Id, f.Code, f.SenderFault])).toEqual([
        ['e1', 'KMSThrottling', false],
        ['e4', 'KMSThrottling', false],
      ]);
    }
    expect((await send()).Failed ?? []).toEqual([]);
    expect(standIn.messages()).toHaveLength(3 + 3 + 5);
  });

  it('failEntries with a probability is reproducible for a seed and fails some but not all', async () => {
    const failedIds = async (seed: number): Promise<string[]> => {
      const seeded = await startSnsStandIn({ seed });
      const seededSns = client(seeded);
      try {
        const arn = (await seededSns.send(new CreateTopicCommand({ Name: 'p' }))).TopicArn;
        seeded.faults.failEntries({ probability: 0.3, times: 10 });
        const failed: string[] = [];
        for (let call = 0; call < 10; call += 1) {
          const result = await seededSns.send(
            new PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: entries(10) }),
          );
          failed.push(...(result.Failed ?? []).map((f) => `${call}:${f.Id}`));
          expect((result.Failed?.length ?? 0) + (result.Successful?.length ?? 0)).toBe(10);
        }
        expect(seeded.messages()).toHaveLength(100 - failed.length);
        return failed;
      } finally {
        seededSns.destroy();
        await seeded.close();
      }
    };
    const a = await failedIds(11);
    const b = await failedIds(11);
    const c = await failedIds(12);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBeGreaterThan(10);
    expect(a.length).toBeLessThan(60);
  });

  it('faults.clear drops queued rules', async () => {
    standIn.faults.failCalls({ times: 5 });
    standIn.faults.failEntries({ times: 5 });
    standIn.faults.clear();
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' }));
    const result = await sns.send(
      new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries(2) }),
    );
    expect(result.Failed ?? []).toEqual([]);
    expect(standIn.messages()).toHaveLength(3);
  });

  it('rejects contradictory entry fault rules', () => {
    expect(() => standIn.faults.failEntries({ count: 1, ids: ['a'] })).toThrow(RangeError);
    expect(() => standIn.faults.failEntries({ probability: 2 })).toThrow(RangeError);
    expect(() => standIn.faults.failCalls({ times: 0 })).toThrow(RangeError);
  });
});

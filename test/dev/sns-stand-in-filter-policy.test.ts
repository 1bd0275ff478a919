import {
  CreateTopicCommand,
  InvalidParameterException,
  type MessageAttributeValue,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compileFilterPolicy, matchesFilterPolicy } from '../../dev/sns-stand-in/filter-policy.ts';
import { type SnsStandIn, startSnsStandIn } from '../../dev/sns-stand-in.ts';

let standIn: SnsStandIn;
let sns: SNSClient;
let topicArn: string;

beforeAll(async () => {
  standIn = await startSnsStandIn();
  sns = new SNSClient({
    endpoint: standIn.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'filtered' }))).TopicArn ?? '';
});

afterAll(async () => {
  sns.destroy();
  await standIn.close();
});

beforeEach(() => standIn.reset());

const str = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
const arr = (...values: unknown[]): MessageAttributeValue => ({
  DataType: 'String.Array',
  StringValue: JSON.stringify(values),
});
const num = (value: string): MessageAttributeValue => ({ DataType: 'Number', StringValue: value });
const bin: MessageAttributeValue = { DataType: 'Binary', BinaryValue: new Uint8Array([1]) };

type Case = [
  policy: Record<string, unknown[]>,
  attributes: Record<string, MessageAttributeValue>,
  delivered: boolean,
];

const cases: Case[] = [
  // exact string values: OR within a key's list
  [{ type: ['customer.updated'] }, { type: str('customer.updated') }, true],
  [{ type: ['customer.updated'] }, { type: str('customer.created') }, false],
  [{ type: ['customer.created', 'customer.updated'] }, { type: str('customer.updated') }, true],
  [{ type: ['customer.updated'] }, { type: str('Customer.Updated') }, false],
  // AND across keys; a missing attribute does not match
  [
    { type: ['customer.optout_changed'], channel: ['email'] },
    { type: str('customer.optout_changed'), channel: str('email') },
    true,
  ],
  [
    { type: ['customer.optout_changed'], channel: ['email'] },
    { type: str('customer.optout_changed'), channel: str('sms') },
    false,
  ],
  [
    { type: ['customer.optout_changed'], channel: ['email'] },
    { type: str('customer.optout_changed') },
    false,
  ],
  [{ type: ['customer.updated'] }, {}, false],
  // String.Array: matches when any element matches
  [{ changed_fields: ['email'] }, { changed_fields: arr('phone', 'email') }, true],
  [{ changed_fields: ['email'] }, { changed_fields: arr('phone') }, false],
  [{ changed_fields: ['email', 'sms_optout'] }, { changed_fields: arr('sms_optout') }, true],
  [{ changed_fields: ['email'] }, { changed_fields: arr() }, false],
  [{ changed_fields: [{ prefix: 'email' }] }, { changed_fields: arr('lastname', 'email_optout') }, true],
  // prefix / suffix
  [{ type: [{ prefix: 'customer.' }] }, { type: str('customer.created') }, true],
  [{ type: [{ prefix: 'customer.' }] }, { type: str('lead.created') }, false],
  [{ type: [{ suffix: '_changed' }] }, { type: str('customer.optout_changed') }, true],
  // anything-but: the attribute must exist; an array matches if some element is not excluded
  [{ type: [{ 'anything-but': ['customer.updated'] }] }, { type: str('customer.created') }, true],
  [{ type: [{ 'anything-but': ['customer.updated'] }] }, { type: str('customer.updated') }, false],
  [{ type: [{ 'anything-but': 'customer.updated' }] }, { type: str('customer.updated') }, false],
  [{ type: [{ 'anything-but': ['customer.updated'] }] }, {}, false],
  [{ changed_fields: [{ 'anything-but': ['email'] }] }, { changed_fields: arr('email', 'phone') }, true],
  [{ changed_fields: [{ 'anything-but': ['email'] }] }, { changed_fields: arr('email') }, false],
  [{ type: [{ 'anything-but': { prefix: 'customer.' } }] }, { type: str('lead.created') }, true],
  [{ type: [{ 'anything-but': { prefix: 'customer.' } }] }, { type: str('customer.created') }, false],
  // exists
  [{ channel: [{ exists: true }] }, { channel: str('sms') }, true],
  [{ channel: [{ exists: true }] }, { type: str('customer.updated') }, false],
  [{ channel: [{ exists: false }] }, { type: str('customer.updated') }, true],
  [{ channel: [{ exists: false }] }, { channel: str('sms') }, false],
  [{ blob: [{ exists: true }] }, { blob: bin }, true],
  [{ blob: ['x'] }, { blob: bin }, false],
  // numeric: compares Number attributes only
  [{ sequence: [{ numeric: ['>', 0, '<=', 5] }] }, { sequence: num('3') }, true],
  [{ sequence: [{ numeric: ['>', 0, '<=', 5] }] }, { sequence: num('5') }, true],
  [{ sequence: [{ numeric: ['>', 0, '<=', 5] }] }, { sequence: num('6') }, false],
  [{ sequence: [{ numeric: ['>', 0, '<=', 5] }] }, { sequence: str('3') }, false],
  [{ price: [{ numeric: ['=', 301.5] }] }, { price: num('3.015e2') }, true],
  [{ price: [{ numeric: ['<', 0] }] }, { price: num('-1') }, true],
  [{ price: [{ 'anything-but': [100, 500] }] }, { price: num('100.1') }, true],
  [{ price: [{ 'anything-but': [100, 500] }] }, { price: num('100') }, false],
  [{ price: [100] }, { price: num('100.0') }, true],
  [{ price: ['100'] }, { price: num('100') }, false],
];

describe('filter policies on Subscribe (FilterPolicyScope MessageAttributes)', () => {
  it.each(cases)('%j with %j → delivered: %s', async (policy, attributes, delivered) => {
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: 'arn:aws:sqs:us-east-1:000000000000:probe',
        Attributes: { FilterPolicy: JSON.stringify(policy), FilterPolicyScope: 'MessageAttributes' },
      }),
    );
    try {
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: 'probe',
          ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
        }),
      );
      expect(standIn.messages()).toHaveLength(1);
      expect(standIn.deliveries(SubscriptionArn)).toHaveLength(delivered ? 1 : 0);
    } finally {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    }
  });

  it.each([
    ['not JSON', '{type'],
    ['not an object', '["a"]'],
    ['a value that is not a list', '{"type":"customer.updated"}'],
    ['an empty list', '{"type":[]}'],
    ['six keys', JSON.stringify(Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => [k, ['x']])))],
    ['more than 150 combinations', JSON.stringify({ a: Array(13).fill('x'), b: Array(12).fill('y') })],
    ['an unknown numeric operator', '{"n":[{"numeric":["!",1]}]}'],
    ['an unsupported operator', '{"type":[{"wildcard":"customer.*"}]}'],
    ['a nested object value', '{"type":[{"prefix":{"a":1}}]}'],
  ])('Subscribe rejects a policy with %s', async (_, policy) => {
    const error = await (async () => {
      try {
        await sns.send(
          new SubscribeCommand({
            TopicArn: topicArn,
            Protocol: 'sqs',
            Endpoint: 'q',
            Attributes: { FilterPolicy: policy },
          }),
        );
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error).toMatchObject({ message: expect.stringMatching(/^Invalid parameter: FilterPolicy: /) });
  });
});

describe('filter policy laws', () => {
  const word = fc.stringMatching(/^[a-z_]{1,8}$/);
  it('an exact-value policy matches a String.Array exactly when some element is in its list', () => {
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 6 }),
        fc.array(word, { minLength: 1, maxLength: 5 }),
        (elements, wanted) => {
          const policy = compileFilterPolicy({ changed_fields: wanted });
          const matched = matchesFilterPolicy(policy, {
            changed_fields: { DataType: 'String.Array', StringValue: JSON.stringify(elements) },
          });
          expect(matched).toBe(elements.some((e) => wanted.includes(e)));
        },
      ),
    );
  });

  it('anything-but on a String is the negation of the exact match when the attribute is present', () => {
    fc.assert(
      fc.property(word, fc.array(word, { minLength: 1, maxLength: 5 }), (value, listed) => {
        const attributes = { type: { DataType: 'String', StringValue: value } };
        const exact = matchesFilterPolicy(compileFilterPolicy({ type: listed }), attributes);
        const anythingBut = matchesFilterPolicy(
          compileFilterPolicy({ type: [{ 'anything-but': listed }] }),
          attributes,
        );
        expect(anythingBut).toBe(!exact);
      }),
    );
  });
});

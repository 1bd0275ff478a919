import { describe, expect, it } from 'vitest';
import { EventParseError, parseEvent, safeParseEvent } from '../../lib/subscriber/parse-event.ts';
import { historyMessages, member, snsEnvelope, sqsRecord } from './event-fixtures.ts';

const [[created], [updated, optout]] = historyMessages('studio-1', [
  member('42'),
  member('42', { email_optout: 1 }),
]) as [[FixtureMessage], [FixtureMessage, FixtureMessage]];

import type { FixtureMessage } from './event-fixtures.ts';

describe('parseEvent', () => {
  it.each([
    ['a raw SQS record', () => sqsRecord('a', created.message)],
    ['an SQS record with the SNS envelope', () => sqsRecord('a', snsEnvelope(created.message))],
    [
      'an SNS Lambda record',
      () => ({ EventSource: 'aws:sns', EventVersion: '1.0', Sns: JSON.parse(snsEnvelope(created.message)) }),
    ],
    ['an SNS HTTPS body (text)', () => snsEnvelope(created.message)],
    ['an SNS HTTPS body (parsed)', () => JSON.parse(snsEnvelope(created.message))],
    ['the CloudEvent text', () => created.message],
    ['the CloudEvent object', () => JSON.parse(created.message)],
  ])('accepts %s', (_name, input) => {
    expect(parseEvent(input())).toEqual(created.event);
  });

  it('reads the default CloudEvent of an opt-out published with MessageStructure=json, as SNS delivers it', () => {
    // SNS hands SQS and HTTPS the `default` text of a structured message.
    expect(optout.messageStructure).toBe('json');
    const event = parseEvent(sqsRecord('b', optout.message));
    expect(event.type).toBe('customer.optout_changed');
    expect(event).toEqual(optout.event);
    expect(parseEvent(updated.message).type).toBe('customer.updated');
  });

  it.each([
    ['not_json', sqsRecord('c', '{not json')],
    ['not_json', 'plain text'],
    ['unrecognised_input', 42],
    ['unrecognised_input', { hello: 'world' }],
    ['not_a_cloudevent', sqsRecord('c', '{"hello":"world"}')],
    ['subscription_message', { ...JSON.parse(snsEnvelope('x')), Type: 'SubscriptionConfirmation' }],
    ['unknown_type', { ...created.event, type: 'customer.exploded' }],
    ['schema', { ...created.event, subject: '' }],
    ['schema', { ...created.event, data: { ...created.event.data, customer: { id: '42' } } }],
  ])('rejects with %s: %j', (code, input) => {
    const result = safeParseEvent(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(code);
    expect(() => parseEvent(input)).toThrow(EventParseError);
  });

  it('names the field that fails the schema, not its value', () => {
    const result = safeParseEvent({ ...created.event, data: { ...created.event.data, app_id: 7 } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.message).toContain('/data/app_id');
      expect(result.error.message).not.toContain('42@example.com');
    }
  });

  it('never throws, whatever the input', () => {
    let nested: unknown = created.event;
    for (let i = 0; i < 100_000; i += 1) nested = [nested];
    for (const input of [undefined, null, [], '', '[]', nested, { eventSource: 'aws:sqs', body: 3 }]) {
      expect(safeParseEvent(input).ok).toBe(false);
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentHash, DEFAULT_WATCHED_FIELDS, watchedValues } from '../../lib/core/content-hash.ts';
import { parseCustomer } from '../../lib/core/customer.ts';
import { diffCustomer } from '../../lib/core/diff.ts';
import {
  buildMessages,
  DATA_SCHEMAS,
  type EventIdInput,
  eventId,
  formatSequence,
  type GleantapNotifierEvent,
  MAX_EMAIL_TEXT_BYTES,
  optoutEmailSubject,
  optoutEmailText,
} from '../../lib/core/events.ts';
import type { Change, Customer, OutboundMessage, Snapshot } from '../../lib/core/types.ts';

const W = DEFAULT_WATCHED_FIELDS;
const ctx = { appId: 'studio-1', detectedAt: '2024-03-02T08:30:00.000Z' };

function parsed(value: unknown): Customer {
  const result = parseCustomer(value);
  if (!result.ok) throw new Error(result.rejection.reason);
  return result.customer;
}

function snapshotOf(c: Customer, version = 1): Snapshot {
  const fields = watchedValues(c, W);
  return { customerId: c.id, hash: contentHash(fields), fields, version };
}

function eventOf(message: OutboundMessage): GleantapNotifierEvent {
  const body: unknown = JSON.parse(message.message);
  const text =
    message.messageStructure === 'json' && typeof body === 'object' && body !== null && 'default' in body
      ? body.default
      : message.message;
  if (typeof text !== 'string') throw new Error('no CloudEvent in the message');
  return JSON.parse(text);
}

const jane = parsed({
  id: 7,
  firstname: 'Jane',
  lastname: 'Doe',
  email: 'jane@example.com',
  phone: '+1 555 0100',
  email_optout: 0,
  sms_optout: 0,
  created_date: '2024-03-01 10:00:00',
});
const created = diffCustomer(undefined, jane, W);
const bothOut = diffCustomer(
  snapshotOf(jane, 4),
  parsed({ ...jane, email: 'j@new', email_optout: 1, sms_optout: 1 }),
  W,
);

describe('buildMessages', () => {
  it('builds nothing for an unchanged customer', () => {
    expect(buildMessages(diffCustomer(snapshotOf(jane), jane, W), ctx)).toEqual([]);
  });

  it('builds one customer.created CloudEvent', () => {
    const [message, ...rest] = buildMessages(created, ctx);
    expect(rest).toEqual([]);
    if (message === undefined) throw new Error('no message');
    const event = eventOf(message);
    expect(event).toEqual({
      specversion: '1.0',
      id: message.id,
      type: 'customer.created',
      source: 'gleantap:app/studio-1',
      subject: '7',
      time: '2024-03-02T08:30:00.000Z',
      datacontenttype: 'application/json',
      dataschema: 'urn:gleantap-notifier:schema:customer.created:v1',
      sequence: '000000000001',
      data: { app_id: 'studio-1', customer: jane, changed_fields: [...W].sort() },
    });
    expect(event.data).not.toHaveProperty('previous');
    expect(message).toEqual({
      id: event.id,
      type: 'customer.created',
      customerId: '7',
      sequence: '000000000001',
      message: JSON.stringify(event),
      attributes: {
        type: { DataType: 'String', StringValue: 'customer.created' },
        app_id: { DataType: 'String', StringValue: 'studio-1' },
        changed_fields: { DataType: 'String.Array', StringValue: JSON.stringify([...W].sort()) },
      },
      event,
    });
    expect(message).not.toHaveProperty('subject');
    expect(message).not.toHaveProperty('messageStructure');
  });

  it('writes sequence as a 12-digit string and keeps null email/phone keys', () => {
    const bare = parsed({ id: '9' });
    const [message] = buildMessages(diffCustomer(undefined, bare, W), ctx);
    expect(message?.message).toContain('"sequence":"000000000001",');
    expect(message?.message).toContain('"email":null');
    expect(message?.message).toContain('"phone":null');
  });

  it.each([
    [1, '000000000001'],
    [42, '000000000042'],
    [999_999_999_999, '999999999999'],
  ])('formats version %d as the sequence %s', (version, sequence) => {
    expect(formatSequence(version)).toBe(sequence);
  });

  it.each([0, -1, 1.5, 1e12, Number.NaN])('refuses version %d as a sequence', (version) => {
    expect(() => formatSequence(version)).toThrow(RangeError);
  });

  it('law: string order of sequences is numeric order of versions', () => {
    const version = fc.integer({ min: 1, max: 999_999_999_999 });
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(formatSequence(a) < formatSequence(b)).toBe(a < b);
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('keeps the ids the integer sequence gave (a change in flight across the upgrade keeps its id)', () => {
    // Ids printed by the code before `sequence` became a string, for version 41 -> 42.
    const before = parsed({ id: 7, firstname: 'Jane', email: 'j@x', email_optout: 0, sms_optout: 0 });
    const after = parsed({ ...before, email_optout: 1 });
    const messages = buildMessages(diffCustomer(snapshotOf(before, 41), after, W), ctx);
    expect(messages.map((m) => [m.id, m.sequence])).toEqual([
      ['12dfb11d-1efa-8443-ac7c-2e5253570531', '000000000042'],
      ['d9e8d914-23b1-8355-a19f-0ddcbdc0bd3d', '000000000042'],
    ]);
  });

  it('builds one customer.updated and one customer.optout_changed per channel, sharing the sequence', () => {
    const messages = buildMessages(bothOut, ctx);
    expect(messages.map((m) => [m.type, m.attributes.channel?.StringValue])).toEqual([
      ['customer.updated', undefined],
      ['customer.optout_changed', 'email'],
      ['customer.optout_changed', 'sms'],
    ]);
    const events = messages.map(eventOf);
    expect(new Set(events.map((e) => e.sequence))).toEqual(new Set(['000000000005']));
    expect(new Set(messages.map((m) => m.id)).size).toBe(3);
    for (const [i, event] of events.entries()) {
      expect(event.data.changed_fields).toEqual(['email', 'email_optout', 'sms_optout']);
      expect(event.dataschema).toBe(DATA_SCHEMAS[event.type]);
      expect(messages[i]?.event).toEqual(event);
      expect(messages[i]?.attributes.changed_fields).toEqual({
        DataType: 'String.Array',
        StringValue: JSON.stringify(event.data.changed_fields),
      });
      if (event.type === 'customer.created' || event.type === 'customer.deleted')
        throw new Error(`unexpected ${event.type}`);
      expect(event.data.previous).toEqual({ email: 'jane@example.com', email_optout: 0, sms_optout: 0 });
    }
    const [, email, sms] = events;
    expect(email?.data).toMatchObject({ channel: 'email', opted_out: true, previous_opted_out: false });
    expect(sms?.data).toMatchObject({ channel: 'sms', opted_out: true, previous_opted_out: false });
  });

  it('sends opt-out events as MessageStructure=json with an e-mail text and a subject', () => {
    const [, optout] = buildMessages(bothOut, ctx);
    if (optout === undefined) throw new Error('no opt-out message');
    expect(optout.messageStructure).toBe('json');
    const body = JSON.parse(optout.message);
    expect(Object.keys(body).sort()).toEqual(['default', 'email']);
    expect(JSON.parse(body.default)).toEqual(optout.event);
    expect(body.email).toContain('Jane Doe');
    expect(body.email).toContain('customer 7');
    expect(body.email).toContain('opted out of email');
    expect(body.email).toContain('2024-03-02T08:30:00.000Z');
    expect(body.email).toContain('studio-1');
    expect(body.email).toContain('j@new');
    expect(body.email).toContain('+1 555 0100');
    expect(() => JSON.parse(body.email)).toThrow();
    expect(body.email).not.toContain('{"');
    expect(optout.subject).toBe('Gleantap: customer 7 opted out of email');
  });

  it('words opting back in', () => {
    const out = parsed({ ...jane, sms_optout: 1 });
    const [, optin] = buildMessages(diffCustomer(snapshotOf(out, 2), jane, W), ctx);
    expect(optin?.subject).toBe('Gleantap: customer 7 opted back in to SMS');
    expect(JSON.parse(optin?.message ?? '{}').email).toContain('opted back in to SMS messages');
    expect(optin?.event.data).toMatchObject({ channel: 'sms', opted_out: false, previous_opted_out: true });
  });

  it('normalises detectedAt to the canonical UTC form', () => {
    const [message] = buildMessages(created, { ...ctx, detectedAt: '2024-03-02T08:30:00Z' });
    expect(message?.event.time).toBe('2024-03-02T08:30:00.000Z');
  });

  it.each([
    ['an empty appId', { appId: '', detectedAt: ctx.detectedAt }, /appId/],
    ['a lone surrogate in appId', { appId: 'a\uD800', detectedAt: ctx.detectedAt }, /appId/],
    ['a detectedAt with an offset', { appId: 'a', detectedAt: '2024-03-02T08:30:00+01:00' }, /detectedAt/],
    ['a naive detectedAt', { appId: 'a', detectedAt: '2024-03-02T08:30:00' }, /detectedAt/],
    ['a detectedAt that is not a date', { appId: 'a', detectedAt: 'now' }, /detectedAt/],
  ])('throws on %s', (_, badCtx, message) => {
    expect(() => buildMessages(created, badCtx)).toThrow(message);
  });

  it('URI-encodes an app id in source but keeps it verbatim in data and attributes', () => {
    const [message] = buildMessages(created, { ...ctx, appId: 'my app/1' });
    expect(message?.event.source).toBe('gleantap:app/my%20app%2F1');
    expect(message?.attributes.app_id?.StringValue).toBe('my app/1');
  });
});

describe('opt-out e-mail text and subject', () => {
  const optout = { channel: 'email', optedOut: true, previousOptedOut: false } as const;

  it('stays within 4 KiB and on its lines when values are huge or hostile', () => {
    const hostile = parsed({
      id: 'x'.repeat(256),
      firstname: `Ana\nSubject: fake\r\n${'é'.repeat(5000)}`,
      lastname: '😀'.repeat(5000),
      email: `${'a'.repeat(5000)}@x`,
      phone: '\u0000\u001b[31m555',
    });
    const text = optoutEmailText(hostile, optout, { appId: 'é'.repeat(3000), detectedAt: ctx.detectedAt });
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(MAX_EMAIL_TEXT_BYTES);
    for (const line of text.split('\n')) expect(line).not.toMatch(/\p{Cc}/u);
    expect(text).not.toContain('\nSubject: fake');
    expect(text).not.toMatch(/\p{Cs}/u);
    const subject = optoutEmailSubject(hostile.id, optout);
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('says so when the customer has no name', () => {
    expect(optoutEmailText(parsed({ id: '3' }), optout, ctx)).toMatch(
      /^Customer 3 opted out of email messages\./,
    );
  });

  it('replaces non-ASCII in the subject', () => {
    expect(optoutEmailSubject('ü-1', optout)).toBe('Gleantap: customer ?-1 opted out of email');
  });
});

describe('eventId', () => {
  const input: EventIdInput = {
    appId: 'a',
    customerId: '1',
    type: 'customer.updated',
    channel: null,
    previousHash: 'h0',
    hash: 'h1',
    sequence: 2,
  };

  it('is a lowercase UUIDv8', () => {
    expect(eventId(input)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it.each([
    ['appId', { appId: 'b' }],
    ['customerId', { customerId: '2' }],
    ['type', { type: 'customer.optout_changed' }],
    ['channel', { channel: 'email' }],
    ['previousHash', { previousHash: null }],
    ['hash', { hash: 'h2' }],
    ['sequence', { sequence: 3 }],
    ['a shifted boundary', { appId: 'a1', customerId: '' }],
  ] as const)('changes with %s', (_, patch) => {
    expect(eventId({ ...input, ...patch })).not.toBe(eventId(input));
  });

  it('gives a repeated detection the same ids, at any detection time', () => {
    const again = diffCustomer(
      snapshotOf(jane, 4),
      parsed({ ...jane, email: 'j@new', email_optout: 1, sms_optout: 1 }),
      W,
    );
    const first = buildMessages(bothOut, ctx).map((m) => m.id);
    const second = buildMessages(again, { ...ctx, detectedAt: '2025-01-01T00:00:00.000Z' }).map((m) => m.id);
    expect(second).toEqual(first);
  });

  it('gives the same change again later (A→B→A→B) a new id', () => {
    const a = jane;
    const b = parsed({ ...jane, email: 'b@x' });
    const first = buildMessages(diffCustomer(snapshotOf(a, 1), b, W), ctx)[0]?.id;
    const third = buildMessages(diffCustomer(snapshotOf(a, 3), b, W), ctx)[0]?.id;
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(third).not.toBe(first);
  });

  const idInput = fc.record({
    appId: fc.string({ minLength: 1, maxLength: 8 }),
    customerId: fc.string({ minLength: 1, maxLength: 8 }),
    type: fc.constantFrom('customer.created', 'customer.updated', 'customer.optout_changed'),
    channel: fc.constantFrom(null, 'email', 'sms'),
    previousHash: fc.option(fc.string({ maxLength: 4 }), { nil: null }),
    hash: fc.string({ maxLength: 4 }),
    sequence: fc.integer({ min: 1, max: 5 }),
  });

  it('law: a pure function of its input', () => {
    fc.assert(
      fc.property(idInput, (i) => {
        expect(eventId({ ...i })).toBe(eventId(JSON.parse(JSON.stringify(i))));
      }),
    );
  });

  it('law: different inputs give different ids', () => {
    fc.assert(
      fc.property(idInput, idInput, (x, y) => {
        expect(eventId(x) === eventId(y)).toBe(JSON.stringify(x) === JSON.stringify(y));
      }),
      { numRuns: 1000 },
    );
  });

  it('law: ids of built events depend on the change, not on when it was seen', () => {
    const change = fc.constantFrom<Change>(created, bothOut);
    fc.assert(
      fc.property(
        change,
        fc.date({ min: new Date(0), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }),
        (c, at) => {
          const ids = buildMessages(c, { appId: 'studio-1', detectedAt: at.toISOString() }).map((m) => m.id);
          expect(ids).toEqual(buildMessages(c, ctx).map((m) => m.id));
        },
      ),
      { numRuns: 50 },
    );
  });
});

import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contentHash,
  DEFAULT_WATCHED_FIELDS,
  resolveWatchedFields,
  watchedValues,
} from '../../lib/core/content-hash.ts';
import { diffCustomer } from '../../lib/core/diff.ts';
import { EVENT_SCHEMAS } from '../../lib/core/event-schemas.ts';
import {
  buildDeletedMessage,
  buildMessages,
  DATA_SCHEMAS,
  EVENT_TYPES,
  MAX_EMAIL_TEXT_BYTES,
} from '../../lib/core/events.ts';
import { tombstoneOf } from '../../lib/core/tombstone.ts';
import type { Customer, EventType, JsonObject, Snapshot } from '../../lib/core/types.ts';
import { contractProblems } from '../support/event-contract.ts';
import { customer } from './arbitraries.ts';

const TYPES: readonly EventType[] = EVENT_TYPES;

function schemaFile(type: EventType): unknown {
  return JSON.parse(readFileSync(new URL(`../../schemas/${type}.v1.json`, import.meta.url), 'utf8'));
}

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validators = Object.fromEntries(
  TYPES.map((type) => {
    const schema = schemaFile(type);
    if (typeof schema !== 'object' || schema === null) throw new Error(`schema ${type} is not an object`);
    return [type, ajv.compile(schema)];
  }),
);

function validate(event: JsonObject): string[] {
  const type = event.type;
  if (typeof type !== 'string') return ['no type'];
  const validator = validators[type];
  if (validator === undefined) return [`no schema for ${type}`];
  return validator(event) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

function snapshotOf(c: Customer, version: number, watched: readonly string[]): Snapshot {
  const fields = watchedValues(c, watched);
  return { customerId: c.id, hash: contentHash(fields), fields, version };
}

describe('schemas/*.v1.json', () => {
  it.each(TYPES)('%s is the generated schema, with $id equal to the dataschema URI', (type) => {
    expect(schemaFile(type)).toEqual(EVENT_SCHEMAS[type]);
    expect(EVENT_SCHEMAS[type].$id).toBe(DATA_SCHEMAS[type]);
    expect(DATA_SCHEMAS[type]).toMatch(/^[a-z][a-z0-9+.-]*:/);
  });
});

const ctx = { appId: 'studio-1', detectedAt: '2024-03-02T08:30:00.000Z' };
const base: Customer = {
  id: '7',
  firstname: 'Jane',
  lastname: null,
  email: 'j@x',
  phone: null,
  last_location: null,
  email_optout: 0,
  sms_optout: 0,
  created_date: '2024-03-01T10:00:00.000Z',
  extra: { any: ['thing'] },
};
const W = DEFAULT_WATCHED_FIELDS;
const createdEvent = buildMessages(diffCustomer(undefined, base, W), ctx)[0]?.event;
const [updatedEvent, optoutEvent] = buildMessages(
  diffCustomer(snapshotOf(base, 1, W), { ...base, email_optout: 1 }, W),
  ctx,
).map((m) => m.event);
const tombstone = tombstoneOf(snapshotOf(base, 3, W));
const deletedEvent = buildDeletedMessage(tombstone, ctx).event;
const recreatedEvent = buildMessages(diffCustomer(tombstone, base, W), ctx)[0]?.event;

/** Marks a key to delete in a patch. */
const DELETE = Symbol('delete');
type Patch = Readonly<Record<string, unknown>>;

function patched(target: Record<string, unknown>, patch: Patch): Record<string, unknown> {
  const copy = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === DELETE) delete copy[key];
    else copy[key] = value;
  }
  return copy;
}

/** A copy of `event` with `envelope` applied to the envelope and `data` to its data. */
function mutated(event: JsonObject | undefined, envelope: Patch, data: Patch = {}): JsonObject {
  if (event === undefined) throw new Error('missing example event');
  const copy = patched(structuredClone(event), envelope);
  const d = copy.data;
  if (typeof d === 'object' && d !== null && !Array.isArray(d))
    copy.data = patched(Object.fromEntries(Object.entries(d)), data);
  return JSON.parse(JSON.stringify(copy));
}

describe('the schemas accept built events and reject broken ones', () => {
  it('accepts the examples', () => {
    for (const event of [createdEvent, updatedEvent, optoutEvent, deletedEvent, recreatedEvent]) {
      if (event === undefined) throw new Error('missing example event');
      expect(validate(event)).toEqual([]);
    }
  });

  it('accepts an unmutated copy (the mutation helper itself breaks nothing)', () => {
    expect(validate(mutated(updatedEvent, {}))).toEqual([]);
  });

  it.each<[string, Patch, Patch]>([
    ['an extra envelope key', { extra: 1 }, {}],
    ['a missing id', { id: DELETE }, {}],
    ['another specversion', { specversion: '0.3' }, {}],
    ['an integer sequence (the form before the CloudEvents string)', { sequence: 2 }, {}],
    ['an unpadded sequence', { sequence: '2' }, {}],
    ['a 13-digit sequence', { sequence: '0000000000002' }, {}],
    ['sequence 0', { sequence: '000000000000' }, {}],
    ['a signed sequence', { sequence: '-00000000002' }, {}],
    ['a time with an offset', { time: '2024-03-02T09:30:00+01:00' }, {}],
    ['a foreign dataschema', { dataschema: 'urn:x' }, {}],
    ['a non-UUID id', { id: 'abc' }, {}],
    ['an extra data key', {}, { more: 1 }],
    ['no previous', {}, { previous: DELETE }],
    ['empty changed_fields', {}, { changed_fields: [] }],
    ['a numeric customer id', {}, { customer: { ...base, id: 7 } }],
    ['a string opt-out', {}, { customer: { ...base, sms_optout: '1' } }],
    ['a missing email key', {}, { customer: { ...base, email: undefined } }],
    ['a naive created_date', {}, { customer: { ...base, created_date: '2024-03-01 10:00:00' } }],
  ])('customer.updated rejects %s', (_, envelope, data) => {
    expect(validate(mutated(updatedEvent, envelope, data))).not.toEqual([]);
  });

  it.each<[string, Patch, Patch]>([
    ['a previous', {}, { previous: { email: null } }],
    ['sequence 000000000000', { sequence: '000000000000' }, {}],
    ['the updated type', { type: 'customer.updated' }, {}],
  ])('customer.created rejects %s', (_, envelope, data) => {
    expect(validate(mutated(createdEvent, envelope, data))).not.toEqual([]);
  });

  it('customer.created of a customer that came back carries the next sequence after the delete', () => {
    expect(deletedEvent.sequence).toBe('000000000004');
    expect(recreatedEvent?.type).toBe('customer.created');
    expect(recreatedEvent?.sequence).toBe('000000000005');
  });

  it.each<[string, Patch, Patch]>([
    ['a previous', {}, { previous: { email: null } }],
    ['no customer id', {}, { customer: { email: null } }],
    ['a numeric customer id', {}, { customer: { id: 7 } }],
    ['a string opt-out', {}, { customer: { id: '7', sms_optout: '1' } }],
    ['sequence 0', { sequence: '000000000000' }, {}],
    ['an integer sequence', { sequence: 4 }, {}],
    ['the created type', { type: 'customer.created' }, {}],
    ['the created dataschema', { dataschema: DATA_SCHEMAS['customer.created'] }, {}],
  ])('customer.deleted rejects %s', (_, envelope, data) => {
    expect(validate(mutated(deletedEvent, envelope, data))).not.toEqual([]);
  });

  it.each<[string, Patch]>([
    ['a string opted_out', { opted_out: 'true' }],
    ['no flip', { previous_opted_out: true }],
    ['another channel', { channel: 'push' }],
    ['a channel whose field did not change', { channel: 'sms' }],
    ['no channel', { channel: DELETE }],
  ])('customer.optout_changed rejects %s', (_, data) => {
    expect(validate(mutated(optoutEvent, {}, data))).not.toEqual([]);
  });
});

describe('law: every built event validates and keeps the contract', () => {
  const watchedSets = fc.constantFrom(W, resolveWatchedFields(['extra', 'tags']));

  it('for arbitrary customers and changes', () => {
    fc.assert(
      fc.property(
        customer,
        fc.option(customer, { nil: undefined }),
        fc.integer({ min: 1, max: 1_000_000 }),
        watchedSets,
        fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/\p{Cs}/u.test(s)),
        fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) }),
        (now, before, version, watched, appId, detectedMs) => {
          const snapshot =
            before === undefined ? undefined : snapshotOf({ ...before, id: now.id }, version, watched);
          const change = diffCustomer(snapshot, now, watched);
          const messages = buildMessages(change, { appId, detectedAt: new Date(detectedMs).toISOString() });
          if (change.kind === 'unchanged') expect(messages).toEqual([]);
          if (change.kind === 'created') expect(messages.map((m) => m.type)).toEqual(['customer.created']);
          if (change.kind === 'updated') {
            expect(messages.map((m) => m.type)).toEqual([
              'customer.updated',
              ...change.optoutChanges.map(() => 'customer.optout_changed' as const),
            ]);
          }
          for (const message of messages) {
            const event = message.event;
            expect(validate(event)).toEqual([]);
            expect(contractProblems(event)).toEqual([]);
            expect(
              JSON.parse(
                message.messageStructure === 'json' ? JSON.parse(message.message).default : message.message,
              ),
            ).toEqual(event);
            expect(event.subject).toBe(now.id);
            expect(message.customerId).toBe(now.id);
            expect(event.sequence).toBe(
              change.kind === 'unchanged' ? -1 : String(change.next.version).padStart(12, '0'),
            );
            expect(message.sequence).toBe(event.sequence);
            expect(message.id).toBe(event.id);
            const d = event.data;
            if (typeof d !== 'object' || d === null || Array.isArray(d)) throw new Error('no data');
            expect(message.attributes.changed_fields?.StringValue).toBe(JSON.stringify(d.changed_fields));
            expect(message.attributes.type?.StringValue).toBe(message.type);
            expect(message.attributes.app_id?.StringValue).toBe(appId);
            expect(Object.keys(message.attributes).length).toBeLessThanOrEqual(10);
            for (const attribute of Object.values(message.attributes))
              expect(attribute.StringValue).not.toBe('');
            if (message.type !== 'customer.created') {
              const previous = d.previous;
              if (typeof previous !== 'object' || previous === null) throw new Error('no previous');
              expect(Object.keys(previous).sort()).toEqual(d.changed_fields);
            }
            if (message.type === 'customer.optout_changed') {
              expect(message.attributes.channel?.StringValue).toBe(d.channel);
              expect(d.changed_fields).toContain(`${String(d.channel)}_optout`);
              const email: unknown = JSON.parse(message.message).email;
              if (typeof email !== 'string') throw new Error('no e-mail text');
              expect(new TextEncoder().encode(email).length).toBeLessThanOrEqual(MAX_EMAIL_TEXT_BYTES);
              expect(message.subject?.length).toBeLessThan(100);
              expect(message.subject).toMatch(/^[\x20-\x7e]+$/);
            } else {
              expect(message.attributes.channel).toBeUndefined();
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

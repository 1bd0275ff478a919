/**
 * The JSON Schemas (draft 2020-12) of the event contract, as data. The checked-in files
 * `schemas/<type>.v1.json` are these objects written out; test/core/event-schemas.test.ts
 * fails when the two differ, and validates built events against the files.
 *
 * They compile under Ajv's `strict: true` (no union `type` arrays, `type` beside every
 * `properties`), so subscribers can use them with strict validators as they are.
 */
import { DOCUMENTED_FIELDS } from './customer.ts';
import { DATA_SCHEMAS } from './event-types.ts';
import type { EventType, JsonObject } from './types.ts';

const nullable = (schema: JsonObject): JsonObject => ({ anyOf: [schema, { type: 'null' }] });

const CUSTOMER: JsonObject = {
  type: 'object',
  description:
    'The parsed Gleantap member: documented fields normalised, unknown extra fields kept as they came.',
  required: [...DOCUMENTED_FIELDS],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 256 },
    firstname: nullable({ type: 'string' }),
    lastname: nullable({ type: 'string' }),
    email: nullable({ type: 'string' }),
    phone: nullable({ type: 'string' }),
    last_location: nullable({ type: 'string' }),
    email_optout: { type: 'integer', enum: [0, 1], description: '1 = opted out of email.' },
    sms_optout: { type: 'integer', enum: [0, 1], description: '1 = opted out of SMS.' },
    created_date: nullable({
      type: 'string',
      format: 'date-time',
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
    }),
  },
  additionalProperties: true,
};

const FIELD_LIST: JsonObject = {
  type: 'array',
  items: { type: 'string', minLength: 1 },
  uniqueItems: true,
};

const CHANGED_FIELDS: JsonObject = { ...FIELD_LIST, minItems: 1 };

const PREVIOUS: JsonObject = {
  type: 'object',
  minProperties: 1,
  description: 'Old values of exactly the fields in changed_fields.',
};

function envelope(type: EventType, description: string, sequence: JsonObject, data: JsonObject): JsonObject {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: DATA_SCHEMAS[type],
    title: `${type} v1`,
    description,
    type: 'object',
    required: [
      'specversion',
      'id',
      'type',
      'source',
      'subject',
      'time',
      'datacontenttype',
      'dataschema',
      'sequence',
      'data',
    ],
    additionalProperties: false,
    properties: {
      specversion: { const: '1.0' },
      id: {
        type: 'string',
        pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$',
        description: 'Deterministic (UUIDv8 over the change): drop duplicates by it.',
      },
      type: { const: type },
      source: { type: 'string', pattern: '^gleantap:app/\\S+$' },
      subject: { type: 'string', minLength: 1, description: 'The customer id; equals data.customer.id.' },
      time: {
        type: 'string',
        format: 'date-time',
        pattern: 'Z$',
        description: 'Detection time, ISO 8601 UTC.',
      },
      datacontenttype: { const: 'application/json' },
      dataschema: { const: DATA_SCHEMAS[type] },
      sequence: sequence,
      data,
    },
    $defs: { customer: CUSTOMER },
  };
}

const SEQUENCE: JsonObject = {
  type: 'string',
  pattern: '^[0-9]{12}$',
  not: { const: '000000000000' },
  description:
    "The customer's version after this change as a 12-digit zero-padded decimal string (the CloudEvents sequence extension: string order is change order); +1 per published change.",
};

const UPDATED_DATA_PROPERTIES: JsonObject = {
  app_id: { type: 'string', minLength: 1 },
  customer: { $ref: '#/$defs/customer' },
  previous: PREVIOUS,
  changed_fields: CHANGED_FIELDS,
};

/** The data of an opt-out event for `channel` names `<channel>_optout` among the changed fields. */
const channelRule = (channel: 'email' | 'sms'): JsonObject => ({
  type: 'object',
  required: ['channel'],
  properties: {
    channel: { const: channel },
    changed_fields: { type: 'array', contains: { const: `${channel}_optout` } },
    previous: {
      type: 'object',
      required: [`${channel}_optout`],
      properties: { [`${channel}_optout`]: { type: 'integer', enum: [0, 1] } },
    },
  },
});

/** The data of an event about a whole record (created, deleted): no `previous`, every field listed. */
function wholeRecordData(customerRef: string, changedFields: string): JsonObject {
  return {
    type: 'object',
    required: ['app_id', 'customer', 'changed_fields'],
    additionalProperties: false,
    properties: {
      app_id: { type: 'string', minLength: 1 },
      customer: { $ref: customerRef },
      changed_fields: { ...FIELD_LIST, description: changedFields },
    },
  };
}

/**
 * A deleted customer's last known record: the id and the watched fields as last seen, typed
 * as on the other events (a deployment watching fewer fields stores, and sends, fewer).
 */
const LAST_KNOWN_CUSTOMER: JsonObject = {
  type: 'object',
  description: 'The last known record: id and the watched fields as last seen.',
  required: ['id'],
  properties: CUSTOMER.properties ?? {},
  additionalProperties: true,
};

function deletedSchema(): JsonObject {
  const schema = envelope(
    'customer.deleted',
    'A customer that two complete, drift-free reconciliation scans no longer found. Remove it, keep its sequence: a customer that comes back is customer.created with a higher one.',
    SEQUENCE,
    wholeRecordData('#/$defs/lastKnownCustomer', 'Every watched field: all are gone.'),
  );
  return { ...schema, $defs: { lastKnownCustomer: LAST_KNOWN_CUSTOMER } };
}

/** The schema of each event type, keyed by type. */
export const EVENT_SCHEMAS: Readonly<Record<EventType, JsonObject>> = {
  'customer.created': envelope(
    'customer.created',
    'A customer this app has not seen before (after the baseline scan), or one that came back after a customer.deleted (with a higher sequence).',
    SEQUENCE,
    wholeRecordData('#/$defs/customer', 'Every watched field: all are new.'),
  ),
  'customer.updated': envelope(
    'customer.updated',
    'One or more watched fields of a customer changed.',
    SEQUENCE,
    {
      type: 'object',
      required: ['app_id', 'customer', 'previous', 'changed_fields'],
      additionalProperties: false,
      properties: UPDATED_DATA_PROPERTIES,
    },
  ),
  'customer.optout_changed': envelope(
    'customer.optout_changed',
    "A customer's email or SMS opt-out changed; sent in addition to the customer.updated of the same change.",
    SEQUENCE,
    {
      type: 'object',
      required: [
        'app_id',
        'customer',
        'previous',
        'changed_fields',
        'channel',
        'opted_out',
        'previous_opted_out',
      ],
      additionalProperties: false,
      properties: {
        ...UPDATED_DATA_PROPERTIES,
        channel: { type: 'string', enum: ['email', 'sms'] },
        opted_out: { type: 'boolean' },
        previous_opted_out: { type: 'boolean' },
      },
      allOf: [
        {
          description: 'opted_out differs from previous_opted_out.',
          oneOf: [
            {
              type: 'object',
              properties: { opted_out: { const: true }, previous_opted_out: { const: false } },
            },
            {
              type: 'object',
              properties: { opted_out: { const: false }, previous_opted_out: { const: true } },
            },
          ],
        },
        { oneOf: [channelRule('email'), channelRule('sms')] },
      ],
    },
  ),
  'customer.deleted': deletedSchema(),
};

/**
 * Building the SNS messages (CloudEvents 1.0 structured JSON) for a {@link Change}.
 * See README.md "Event contract (v1)", lib/core/event-types.ts and schemas/ for the shapes.
 */

import { asciiOnly, clean, truncateChars, truncateUtf8 } from './display-text.ts';
import {
  type CloudEventEnvelope,
  type CustomerCreatedEvent,
  type CustomerDeletedEvent,
  type CustomerOptoutChangedEvent,
  type CustomerUpdatedEvent,
  DATA_SCHEMAS,
  type GleantapNotifierEvent,
} from './event-types.ts';
import { hashedUuid } from './hashed-id.ts';
import { formatInstant, parseInstant } from './instant.ts';
import { MAX_SUBJECT_LENGTH } from './sns-limits.ts';
import { lastContentHash } from './tombstone.ts';
import type {
  Change,
  Channel,
  Customer,
  EventType,
  JsonObject,
  MessageAttribute,
  OptoutChange,
  OutboundMessage,
  Snapshot,
} from './types.ts';

export * from './event-types.ts';

/** Largest opt-out e-mail text, in UTF-8 bytes. */
export const MAX_EMAIL_TEXT_BYTES = 4096;
export { MAX_SUBJECT_LENGTH } from './sns-limits.ts';

/** Digits of an event's `sequence`: a customer would need 10^12 changes to outgrow them. */
export const SEQUENCE_DIGITS = 12;

/**
 * A customer version as the event's `sequence`: a {@link SEQUENCE_DIGITS}-digit zero-padded
 * decimal string, so string order is numeric order (the CloudEvents sequence extension
 * defines `sequence` as a lexicographically ordered String).
 *
 * @throws RangeError when `version` is not a whole number from 1 to 10^12 − 1.
 */
export function formatSequence(version: number): string {
  const text = String(version);
  if (!Number.isSafeInteger(version) || version < 1 || text.length > SEQUENCE_DIGITS)
    throw new RangeError(`A sequence is a version from 1 to ${'9'.repeat(SEQUENCE_DIGITS)}, not ${text}.`);
  return text.padStart(SEQUENCE_DIGITS, '0');
}

/** What identifies one event of one change. */
export interface EventIdInput {
  readonly appId: string;
  readonly customerId: string;
  readonly type: EventType;
  /** The opt-out channel; `null` for created and updated events. */
  readonly channel: Channel | null;
  /** Content hash of the snapshot diffed against; `null` for a created event. */
  readonly previousHash: string | null;
  /** Content hash of the new snapshot. */
  readonly hash: string;
  /**
   * The new version (the event's `sequence`). Without it, a customer who goes A → B → A → B
   * would get the same id for both A → B changes and a subscriber dropping duplicates by id
   * would lose the second one. A repeated detection of one change is diffed against the same
   * snapshot, so it still gets the same id. The number, not the string the event carries:
   * ids of a change detected before the sequence became a string stay the same after it.
   */
  readonly sequence: number;
}

/**
 * The deterministic event id: sha256 over the inputs in an unambiguous encoding, formatted as
 * an RFC 9562 UUIDv8 (version 8 = custom, e.g. hash-based), lowercase. Equal inputs give equal
 * ids; any different input gives a different id (up to sha256 collisions over 122 bits).
 * The UUID form also fits SNS PublishBatch entry ids (≤ 80 characters of [A-Za-z0-9_-]).
 */
export function eventId(input: EventIdInput): string {
  const encoded = JSON.stringify([
    'gleantap-notifier:event:v1',
    input.appId,
    input.customerId,
    input.type,
    input.channel,
    input.previousHash,
    input.hash,
    input.sequence,
  ]);
  return hashedUuid(encoded);
}

export interface BuildContext {
  /** The Gleantap app the customer belongs to; non-empty. */
  readonly appId: string;
  /** When the change was detected, ISO 8601 UTC (`Z`); written in canonical form as the event `time`. */
  readonly detectedAt: string;
}

/**
 * The SNS messages for one change: none for `unchanged`; one `customer.created` for
 * `created`; for `updated` one `customer.updated` followed by one `customer.optout_changed`
 * per channel whose flag changed, all with `sequence` = `formatSequence(next.version)`.
 *
 * @throws Error when `ctx.appId` is empty (or holds a lone surrogate) or `ctx.detectedAt` is not an ISO 8601 UTC instant;
 *   RangeError when `next.version` is not a valid sequence (see {@link formatSequence}).
 */
export function buildMessages(change: Change, ctx: BuildContext): OutboundMessage[] {
  if (change.kind === 'unchanged') return [];
  const time = checkedTime(ctx, 'buildMessages');
  const { customer, next } = change;
  // A customer that comes back is diffed against its tombstone: a different created event.
  const previousHash = change.previousSnapshot?.hash ?? null;
  const envelope = <T extends EventType, D>(
    type: T,
    channel: Channel | null,
    data: D,
  ): CloudEventEnvelope<T, D> => ({
    specversion: '1.0',
    id: eventId({
      appId: ctx.appId,
      customerId: customer.id,
      type,
      channel,
      previousHash,
      hash: next.hash,
      sequence: next.version,
    }),
    type,
    source: `gleantap:app/${encodeURIComponent(ctx.appId)}`,
    subject: customer.id,
    time,
    datacontenttype: 'application/json',
    dataschema: DATA_SCHEMAS[type],
    sequence: formatSequence(next.version),
    data,
  });

  if (change.kind === 'created') {
    const created: CustomerCreatedEvent = envelope('customer.created', null, {
      app_id: ctx.appId,
      customer,
      changed_fields: Object.keys(next.fields).sort(),
    });
    return [plainMessage(created)];
  }

  const updated: CustomerUpdatedEvent = envelope('customer.updated', null, {
    app_id: ctx.appId,
    customer,
    previous: change.previous,
    changed_fields: [...change.changedFields],
  });
  const optouts = change.optoutChanges.map((optout) => {
    const event: CustomerOptoutChangedEvent = envelope('customer.optout_changed', optout.channel, {
      app_id: ctx.appId,
      customer,
      previous: change.previous,
      changed_fields: [...change.changedFields],
      channel: optout.channel,
      opted_out: optout.optedOut,
      previous_opted_out: optout.previousOptedOut,
    });
    return optoutMessage(event, optout, time);
  });
  return [plainMessage(updated), ...optouts];
}

/**
 * The `customer.deleted` message announcing `tombstone` (see lib/core/tombstone.ts): the
 * tombstone's version is the sequence, its fields the last known record. Built again from the
 * same tombstone, it is the same message with the same id.
 *
 * @throws Error when `tombstone` is not a tombstone, or on a bad `ctx` as {@link buildMessages}.
 */
export function buildDeletedMessage(tombstone: Snapshot, ctx: BuildContext): OutboundMessage {
  if (tombstone.deleted === undefined) {
    throw new Error('buildDeletedMessage: the snapshot is not a tombstone.');
  }
  const time = checkedTime(ctx, 'buildDeletedMessage');
  const type = 'customer.deleted';
  const event: CustomerDeletedEvent = {
    specversion: '1.0',
    id: eventId({
      appId: ctx.appId,
      customerId: tombstone.customerId,
      type,
      channel: null,
      previousHash: lastContentHash(tombstone),
      hash: tombstone.hash,
      sequence: tombstone.version,
    }),
    type,
    source: `gleantap:app/${encodeURIComponent(ctx.appId)}`,
    subject: tombstone.customerId,
    time,
    datacontenttype: 'application/json',
    dataschema: DATA_SCHEMAS[type],
    sequence: formatSequence(tombstone.version),
    data: {
      app_id: ctx.appId,
      // A spread defines own properties, so a watched extra field called `__proto__` stays data.
      customer: { ...tombstone.fields, id: tombstone.customerId },
      changed_fields: Object.keys(tombstone.fields).sort(),
    },
  };
  return plainMessage(event);
}

/** The event `time` for `ctx.detectedAt`, after checking both fields of the context. */
function checkedTime(ctx: BuildContext, caller: string): string {
  if (ctx.appId === '' || /\p{Cs}/u.test(ctx.appId)) {
    throw new Error(`${caller}: appId must be a non-empty, well-formed string.`);
  }
  const detectedMs = /[Zz]$/.test(ctx.detectedAt)
    ? parseInstant(ctx.detectedAt, { requireZone: true })
    : undefined;
  if (detectedMs === undefined) {
    throw new Error(
      `${caller}: detectedAt must be an ISO 8601 UTC instant such as 2024-03-01T10:00:00.000Z.`,
    );
  }
  return formatInstant(detectedMs);
}

function attributesOf(event: GleantapNotifierEvent): Record<string, MessageAttribute> {
  const attributes: Record<string, MessageAttribute> = {
    type: { DataType: 'String', StringValue: event.type },
    app_id: { DataType: 'String', StringValue: event.data.app_id },
    changed_fields: { DataType: 'String.Array', StringValue: JSON.stringify(event.data.changed_fields) },
  };
  if (event.type === 'customer.optout_changed') {
    attributes.channel = { DataType: 'String', StringValue: event.data.channel };
  }
  return attributes;
}

function plainMessage(
  event: CustomerCreatedEvent | CustomerUpdatedEvent | CustomerDeletedEvent,
): OutboundMessage {
  return {
    id: event.id,
    type: event.type,
    customerId: event.subject,
    sequence: event.sequence,
    message: JSON.stringify(event),
    attributes: attributesOf(event),
    event: toJsonObject(event),
  };
}

function optoutMessage(
  event: CustomerOptoutChangedEvent,
  optout: OptoutChange,
  time: string,
): OutboundMessage {
  const customer = event.data.customer;
  return {
    id: event.id,
    type: event.type,
    customerId: event.subject,
    sequence: event.sequence,
    message: JSON.stringify({
      default: JSON.stringify(event),
      email: optoutEmailText(customer, optout, { appId: event.data.app_id, detectedAt: time }),
    }),
    messageStructure: 'json',
    subject: optoutEmailSubject(customer.id, optout),
    attributes: attributesOf(event),
    event: toJsonObject(event),
  };
}

function toJsonObject(event: GleantapNotifierEvent): JsonObject {
  return event;
}

const CHANNEL_LABEL: Record<Channel, string> = { email: 'email', sms: 'SMS' };

/**
 * The `Subject` of an opt-out e-mail: printable ASCII only (SNS rejects others), under 100
 * characters, no name or contact detail (subjects show in inbox lists and logs).
 */
export function optoutEmailSubject(customerId: string, optout: OptoutChange): string {
  const id = asciiOnly(customerId, 40);
  const what = optout.optedOut
    ? `opted out of ${CHANNEL_LABEL[optout.channel]}`
    : `opted back in to ${CHANNEL_LABEL[optout.channel]}`;
  return truncateChars(`Gleantap: customer ${id} ${what}`, MAX_SUBJECT_LENGTH);
}

/**
 * The plain-text body of an opt-out e-mail for studio staff: who, which channel, which way,
 * when and in which app. Values are cleaned of control characters and cut at 200
 * characters; the whole text is at most {@link MAX_EMAIL_TEXT_BYTES} UTF-8 bytes.
 */
export function optoutEmailText(customer: Customer, optout: OptoutChange, ctx: BuildContext): string {
  const name = [customer.firstname, customer.lastname]
    .map((part) => (part === null ? '' : clean(part)))
    .filter((part) => part !== '')
    .join(' ');
  const id = clean(customer.id);
  const email = customer.email === null ? '' : clean(customer.email);
  const phone = customer.phone === null ? '' : clean(customer.phone);
  const channel = CHANNEL_LABEL[optout.channel];
  const who = name === '' ? `Customer ${id}` : `${name} (customer ${id})`;
  const headline = optout.optedOut
    ? `${who} opted out of ${channel} messages.`
    : `${who} opted back in to ${channel} messages.`;
  const lines = [
    headline,
    '',
    `Name: ${name === '' ? '(none on record)' : name}`,
    `Customer ID: ${id}`,
    ...(email === '' ? [] : [`Email: ${email}`]),
    ...(phone === '' ? [] : [`Phone: ${phone}`]),
    `Channel: ${channel}`,
    `Change: ${optout.optedOut ? 'opted out' : 'opted back in'} (was ${optout.previousOptedOut ? 'opted out' : 'subscribed'})`,
    `Detected: ${ctx.detectedAt} (UTC)`,
    `Gleantap app: ${clean(ctx.appId)}`,
    '',
    `Sent by gleantap-notifier because this customer's ${channel} opt-out setting changed in Gleantap.`,
  ];
  return truncateUtf8(lines.join('\n'), MAX_EMAIL_TEXT_BYTES);
}

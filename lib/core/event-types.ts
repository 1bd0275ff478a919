/**
 * The event contract, as TypeScript types for subscribers. Each event is a CloudEvents 1.0
 * structured JSON event; the SNS message body (or its `default` entry, for opt-out events)
 * is exactly one of these. The JSON Schemas under `schemas/` describe the same shapes.
 */
import { EVENT_TYPES } from './settings.ts';
import type { Channel, Customer, EventType, JsonValue } from './types.ts';

export type { Channel, Customer, EventType, JsonValue } from './types.ts';

export { EVENT_TYPES };

/** True when `value` names one of {@link EVENT_TYPES}. */
export function isEventType(value: unknown): value is EventType {
  return EVENT_TYPES.some((type) => type === value);
}

/** The `dataschema` URI of each event type; equal to the `$id` of `schemas/<type>.v1.json`. */
export const DATA_SCHEMAS = {
  'customer.created': 'urn:gleantap-notifier:schema:customer.created:v1',
  'customer.updated': 'urn:gleantap-notifier:schema:customer.updated:v1',
  'customer.optout_changed': 'urn:gleantap-notifier:schema:customer.optout_changed:v1',
  'customer.deleted': 'urn:gleantap-notifier:schema:customer.deleted:v1',
} as const satisfies Record<EventType, string>;

/** The CloudEvents envelope shared by every event type. */
export type CloudEventEnvelope<T extends EventType, D> = {
  readonly specversion: '1.0';
  /** Deterministic: a repeated detection of the same change carries the same id. Drop duplicates by it. */
  readonly id: string;
  readonly type: T;
  /** `gleantap:app/<app_id>` (the app id URI-encoded). */
  readonly source: string;
  /** The customer id, equal to `data.customer.id`. */
  readonly subject: string;
  /** Detection time, ISO 8601 UTC, e.g. `2024-03-01T10:00:00.000Z`. */
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly dataschema: (typeof DATA_SCHEMAS)[T];
  /**
   * The customer's version after this change as a 12-digit zero-padded decimal string
   * (`"000000000001"` on creation, +1 per published change), the CloudEvents sequence
   * extension: string order is change order. The `customer.updated` and
   * `customer.optout_changed` events of one change share it. SNS does not keep order: drop
   * an event whose sequence is not above the last one you applied for its source and subject.
   */
  readonly sequence: string;
  readonly data: D;
};

export type CustomerCreatedData = {
  readonly app_id: string;
  /** The parsed record (see lib/core/customer.ts): normalised documented fields plus extras. */
  readonly customer: Customer;
  /** Every watched field, sorted: all of them are new to this app's snapshots. */
  readonly changed_fields: string[];
};

export type CustomerUpdatedData = {
  readonly app_id: string;
  readonly customer: Customer;
  /** Old values of exactly the fields in `changed_fields`. */
  readonly previous: { readonly [field: string]: JsonValue };
  /** Watched fields whose value changed, sorted; never empty. */
  readonly changed_fields: string[];
};

export type CustomerOptoutChangedData = CustomerUpdatedData & {
  readonly channel: Channel;
  /** The customer is now opted out of `channel`. */
  readonly opted_out: boolean;
  readonly previous_opted_out: boolean;
};

/**
 * The last known record of a deleted customer: `id` and the watched fields as last seen
 * (every documented field with the default watched set).
 */
export type LastKnownCustomer = { readonly id: string; readonly [field: string]: JsonValue };

export type CustomerDeletedData = {
  readonly app_id: string;
  /** The record as last seen before Gleantap stopped returning it. */
  readonly customer: LastKnownCustomer;
  /** Every watched field, sorted (as on `customer.created`): all of them are gone. */
  readonly changed_fields: string[];
};

export type CustomerCreatedEvent = CloudEventEnvelope<'customer.created', CustomerCreatedData>;
export type CustomerUpdatedEvent = CloudEventEnvelope<'customer.updated', CustomerUpdatedData>;
export type CustomerOptoutChangedEvent = CloudEventEnvelope<
  'customer.optout_changed',
  CustomerOptoutChangedData
>;

/**
 * A customer two complete, drift-free reconciliation scans no longer found (see the README,
 * "Deleted customers"). Remove it from your mirror but keep its `sequence`: a customer that
 * comes back arrives as `customer.created` with a higher one.
 */
export type CustomerDeletedEvent = CloudEventEnvelope<'customer.deleted', CustomerDeletedData>;

/** Any event this project publishes; narrow on `type`. */
export type GleantapNotifierEvent =
  | CustomerCreatedEvent
  | CustomerUpdatedEvent
  | CustomerOptoutChangedEvent
  | CustomerDeletedEvent;

/**
 * Plain data shared by the pure core, the poll cycle and the adapters.
 * Nothing here does I/O; every time value is passed in by the caller.
 */

/** Any value JSON can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** 0 = subscribed, 1 = opted out. Normalised from 0/1, "0"/"1", true/false and null (null → 0). */
export type OptoutFlag = 0 | 1;

/** The opt-out channels Gleantap reports, and the member field that carries each. */
export type Channel = 'email' | 'sms';

/**
 * A Gleantap member after parsing. The documented fields are normalised (see
 * lib/core/customer.ts); unknown extra fields are kept as they came, under their own keys.
 */
export interface Customer {
  readonly id: string;
  readonly firstname: string | null;
  readonly lastname: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  readonly last_location: string | null;
  readonly email_optout: OptoutFlag;
  readonly sms_optout: OptoutFlag;
  /** ISO 8601 in UTC (`Z`), or null when the source had none. */
  readonly created_date: string | null;
  readonly [extra: string]: JsonValue;
}

/** Why a record from a page was not accepted. Carries no PII: only the position and reason. */
export interface Rejection {
  /** Index of the record within its page. */
  readonly index: number;
  /** A short machine-friendly code, e.g. `missing_id`, `not_an_object`, `bad_field`. */
  readonly code: string;
  /** One sentence naming the field and the problem, never the field's value. */
  readonly reason: string;
  /** The record's id, when it was read before the problem was found (ids are not PII). */
  readonly customerId?: string;
}

export type ParseResult =
  | { readonly ok: true; readonly customer: Customer }
  | { readonly ok: false; readonly rejection: Omit<Rejection, 'index'> };

/**
 * A version whose events were published (or may have been, even in part) but whose snapshot
 * was not committed: what subscribers may hold. A later diff starts from it, never from the
 * older committed content, so a published change is never contradicted.
 */
export interface PendingVersion {
  readonly version: number;
  /** Content hash and watched fields of the published content. */
  readonly hash: string;
  readonly fields: Readonly<Record<string, JsonValue>>;
  /**
   * What the published change was diffed against, to rebuild it (same ids, same `previous`)
   * when the same content is seen again: its hash and the old values of the changed fields.
   * Null for a `customer.created`.
   */
  readonly base: { readonly hash: string; readonly previous: Readonly<Record<string, JsonValue>> } | null;
}

/** What the state table remembers of a customer. */
export interface Snapshot {
  readonly customerId: string;
  /** Content hash of the watched fields in canonical form ('' when only a pending version exists). */
  readonly hash: string;
  /** Watched fields as last committed (canonical values). */
  readonly fields: Readonly<Record<string, JsonValue>>;
  /**
   * Per-customer version: 1 at first sight, +1 per published change. Events carry it as
   * `sequence`. 0 when nothing was committed yet, only a pending version.
   */
  readonly version: number;
  /** A newer version published but not committed, if any (see {@link PendingVersion}). */
  readonly pending?: PendingVersion;
  /**
   * Present on a tombstone: the customer was announced deleted at `version` (its `fields` are
   * the last known record, its `hash` is {@link tombstoneHash} of the last content, so it never
   * equals a content hash). `pending` until the `customer.deleted` event was published: the
   * tombstone is written first, as the record of what is about to be announced.
   */
  readonly deleted?: 'pending' | 'announced';
}

/** A customer's pending version, as recorded before publishing (the write-ahead intent). */
export interface PendingEntry {
  readonly customerId: string;
  readonly pending: PendingVersion;
}

export interface OptoutChange {
  readonly channel: Channel;
  readonly optedOut: boolean;
  readonly previousOptedOut: boolean;
}

/** The result of diffing one customer against its snapshot. */
export type Change =
  | {
      readonly kind: 'unchanged';
      readonly customer: Customer;
      readonly snapshot: Snapshot;
      /**
       * Present when no watched field changed but the stored snapshot is not in today's form
       * (the watched set was widened, or an old spelling of a flag): the same version with the
       * current fields and hash, to write quietly so later changes to a new field are seen.
       */
      readonly refresh?: Snapshot;
    }
  | {
      readonly kind: 'created';
      readonly customer: Customer;
      /** The snapshot to commit; its version is 1, or the tombstone's version + 1. */
      readonly next: Snapshot;
      /** The tombstone of a customer that was announced deleted and came back. */
      readonly previousSnapshot?: Snapshot;
    }
  | {
      readonly kind: 'updated';
      readonly customer: Customer;
      readonly previousSnapshot: Snapshot;
      /** The snapshot to commit; its version is previousSnapshot.version + 1. */
      readonly next: Snapshot;
      /** Watched fields whose canonical value changed, sorted. */
      readonly changedFields: readonly string[];
      /** Old canonical values, exactly the keys of changedFields. */
      readonly previous: Readonly<Record<string, JsonValue>>;
      /** One entry per channel whose opt-out flag changed. */
      readonly optoutChanges: readonly OptoutChange[];
    };

export type EventType =
  | 'customer.created'
  | 'customer.updated'
  | 'customer.optout_changed'
  | 'customer.deleted';

/** An SNS message attribute as the publisher sends it. */
export type MessageAttribute =
  | { readonly DataType: 'String'; readonly StringValue: string }
  | { readonly DataType: 'String.Array'; readonly StringValue: string };

/**
 * One SNS message, ready to publish: the CloudEvent, its attributes and, for opt-outs,
 * the per-protocol JSON structure with the e-mail text and subject.
 */
export interface OutboundMessage {
  /** The CloudEvent id; also used as the PublishBatch entry id source. */
  readonly id: string;
  readonly type: EventType;
  readonly customerId: string;
  /** The event's `sequence` (12-digit string). */
  readonly sequence: string;
  /** The SNS `Message`: the CloudEvent JSON, or for opt-outs the MessageStructure=json body. */
  readonly message: string;
  readonly messageStructure?: 'json';
  readonly subject?: string;
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
  /** The CloudEvent itself (for the archive, dry runs and tests). */
  readonly event: JsonObject;
}

/**
 * Diffing one customer against its last committed snapshot.
 */
import { canonicalContentHash, canonicalJson, canonicalValue, watchedValues } from './content-hash.ts';
import { parseOptout } from './customer.ts';
import type {
  Change,
  Channel,
  Customer,
  JsonValue,
  OptoutChange,
  PendingVersion,
  Snapshot,
} from './types.ts';

const CHANNELS: readonly Channel[] = ['email', 'sms'];

/**
 * Compares `customer` with `snapshot` over the `watched` fields.
 *
 * - No snapshot: `created`, with `next.version` 1.
 * - A tombstone (the customer was announced deleted and is back): `created`, with
 *   `next.version` the tombstone's + 1 and the tombstone as `previousSnapshot`, whatever the
 *   content: subscribers removed the customer, so only a full record restores it.
 * - Same content hash: `unchanged`.
 * - Otherwise field by field. A field watched now but absent from `snapshot.fields` was
 *   added to the watched set after that snapshot was written: it has no old value to
 *   differ from, so it is not a change. No differing field: `unchanged`, with `refresh`
 *   (the same version, current fields and hash) so the snapshot learns the new field.
 * - Else `updated`: `changedFields` sorted, `previous` the old values of exactly those
 *   fields, one `optoutChanges` entry per channel whose flag changed (in the order email,
 *   sms), and `next` the snapshot to commit at `snapshot.version + 1`.
 *
 * @throws Error when `snapshot.customerId` is not `customer.id` (a caller bug).
 */
export function diffCustomer(
  snapshot: Snapshot | undefined,
  customer: Customer,
  watched: readonly string[],
): Change {
  const fields = watchedValues(customer, watched);
  const hash = canonicalContentHash(fields);
  if (snapshot === undefined) {
    return { kind: 'created', customer, next: { customerId: customer.id, hash, fields, version: 1 } };
  }
  if (snapshot.customerId !== customer.id) {
    throw new Error('diffCustomer was given the snapshot of a different customer.');
  }
  if (snapshot.deleted !== undefined) {
    const next = { customerId: customer.id, hash, fields, version: snapshot.version + 1 };
    return { kind: 'created', customer, next, previousSnapshot: snapshot };
  }
  if (snapshot.hash === hash) return { kind: 'unchanged', customer, snapshot };

  const changedFields: string[] = [];
  const previousEntries: [string, JsonValue][] = [];
  for (const field of Object.keys(fields).sort()) {
    if (!Object.hasOwn(snapshot.fields, field)) continue;
    const before = snapshot.fields[field] ?? null;
    if (sameValue(field, before, fields[field] ?? null)) continue;
    changedFields.push(field);
    previousEntries.push([field, canonicalValue(before)]);
  }
  if (changedFields.length === 0) {
    const refresh = { customerId: customer.id, hash, fields, version: snapshot.version };
    return { kind: 'unchanged', customer, snapshot, refresh };
  }
  // fromEntries, not assignment: a watched extra field may be called `__proto__`.
  const previous: Record<string, JsonValue> = Object.fromEntries(previousEntries);

  const optoutChanges: OptoutChange[] = [];
  for (const channel of CHANNELS) {
    const field = `${channel}_optout`;
    if (!changedFields.includes(field)) continue;
    optoutChanges.push({
      channel,
      optedOut: parseOptout(fields[field]) === 1,
      previousOptedOut: parseOptout(previous[field]) === 1,
    });
  }
  return {
    kind: 'updated',
    customer,
    previousSnapshot: snapshot,
    next: { customerId: customer.id, hash, fields, version: snapshot.version + 1 },
    changedFields,
    previous,
    optoutChanges,
  };
}

/**
 * Equality of canonical content. Opt-out flags compare as flags, so a snapshot written with
 * another spelling of the same flag ("1", true) does not read as a change.
 */
function sameValue(field: string, before: JsonValue, after: JsonValue): boolean {
  if (field === 'email_optout' || field === 'sms_optout') {
    const a = parseOptout(before);
    const b = parseOptout(after);
    if (a !== undefined && b !== undefined) return a === b;
  }
  return canonicalJson(before) === canonicalJson(after);
}

/**
 * Diffs `customer` against what subscribers may hold: the snapshot's pending version when
 * it has one (published, not committed), else the committed snapshot ({@link diffCustomer}).
 *
 * - Same content as the pending version: the published change rebuilt from its base, so
 *   it is re-sent with the same ids and `sequence` (the pending version).
 * - Other content, a return to the committed content included: a new change from the
 *   published content, at the pending version + 1, with `previous` taken from it.
 * - Only a field newly added to the watched set differs: `unchanged`, with a `refresh` at
 *   the pending version (committing it settles the pending version without an event).
 */
export function diffAgainstPublished(
  snapshot: Snapshot | undefined,
  customer: Customer,
  watched: readonly string[],
): Change {
  const pending = snapshot?.pending;
  if (snapshot === undefined || pending === undefined) return diffCustomer(snapshot, customer, watched);
  const published: Snapshot = {
    customerId: customer.id,
    hash: pending.hash,
    fields: pending.fields,
    version: pending.version,
  };
  const fields = watchedValues(customer, watched);
  if (canonicalContentHash(fields) !== pending.hash) {
    const change = diffCustomer(published, customer, watched);
    return change.kind === 'unchanged' ? { ...change, snapshot } : change;
  }
  if (pending.base === null) return diffCustomer(undefined, customer, watched);
  const base: Snapshot = {
    customerId: customer.id,
    hash: pending.base.hash,
    // The fields that changed had these values; every other watched field had today's.
    fields: { ...pending.fields, ...pending.base.previous },
    version: pending.version - 1,
  };
  const change = diffCustomer(base, customer, watched);
  if (change.kind !== 'unchanged') return change;
  return {
    kind: 'unchanged',
    customer,
    snapshot,
    refresh: {
      customerId: customer.id,
      hash: pending.hash,
      fields: pending.fields,
      version: pending.version,
    },
  };
}

/** The pending version a change announces: what to record before its events are published. */
export function pendingVersionOf(change: Exclude<Change, { kind: 'unchanged' }>): PendingVersion {
  const { next } = change;
  return {
    version: next.version,
    hash: next.hash,
    fields: next.fields,
    base:
      change.kind === 'created' ? null : { hash: change.previousSnapshot.hash, previous: change.previous },
  };
}

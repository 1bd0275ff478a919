/**
 * Tombstones: what a snapshot becomes when its customer is announced deleted.
 *
 * A tombstone keeps the customer's last known fields and takes the next version, so the
 * `customer.deleted` event has a sequence above every event before it, and a customer that
 * comes back is diffed against the tombstone: `customer.created` again, one version higher.
 * It is written before the event is published (`deleted: 'pending'`), which makes it the
 * write-ahead record of the announcement: a crash between the two leaves a pending tombstone
 * that the next reconciliation publishes again with the same id, and never a live snapshot
 * that subscribers were told is gone.
 */
import type { Snapshot } from './types.ts';

const PREFIX = 'tombstone:';

/**
 * The hash a tombstone stores: never equal to a content hash (64 hex digits), so a customer
 * that comes back with its old content is still a change, and it names the content it
 * replaced, from which the deleted event's id is computed.
 */
export function tombstoneHash(lastContentHash: string): string {
  return `${PREFIX}${lastContentHash}`;
}

/** The content hash a tombstone's hash was made from. */
export function lastContentHash(tombstone: Snapshot): string {
  return tombstone.hash.startsWith(PREFIX) ? tombstone.hash.slice(PREFIX.length) : tombstone.hash;
}

/**
 * The tombstone that replaces `snapshot`: same fields, next version, `pending` until its
 * event is published.
 * @throws Error when `snapshot` is a tombstone already (a deleted customer is announced once).
 */
export function tombstoneOf(snapshot: Snapshot): Snapshot {
  if (snapshot.deleted !== undefined) {
    throw new Error('tombstoneOf: the snapshot is a tombstone already.');
  }
  return {
    customerId: snapshot.customerId,
    hash: tombstoneHash(snapshot.hash),
    fields: snapshot.fields,
    version: snapshot.version + 1,
    deleted: 'pending',
  };
}

/**
 * The delete step of a reconciliation, under the app's poll lease (so a poll and a delete never
 * interleave): tombstone what is still at the listed version, publish, archive, mark announced.
 * Tombstones are written before their events are published (the write-ahead record, see
 * lib/core/tombstone.ts).
 */
import { buildDeletedMessage } from '../core/events.ts';
import { tombstoneOf } from '../core/tombstone.ts';
import type { Snapshot } from '../core/types.ts';
import type { SnapshotListing } from '../reconcile-ports.ts';
import type { ReconcileDependencies, ReconcileOptions } from './types.ts';

/** How close to the end of the poll lease no write is started. */
const LEASE_MARGIN_MS = 10_000;
/** The delete step holds the poll lease at most this long. */
const DELETE_LEASE_MS = 60_000;
/** Attempts to take the poll lease (a poll holds it for seconds) and the wait between them. */
const LEASE_ATTEMPTS = 10;
const LEASE_RETRY_MS = 3_000;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The delete step, under the app's poll lease: tombstone what is still at the listed version,
 * publish the tombstones (and the pending ones of an earlier run), archive, mark announced.
 * Returns a sentence when something was left for the next run to finish, else undefined.
 */
export async function applyDeletions(
  deps: ReconcileDependencies,
  options: ReconcileOptions,
  toDelete: readonly SnapshotListing[],
  pending: readonly SnapshotListing[],
  tally: { deleted: number; unpublished: number; deferred: number },
): Promise<string | undefined> {
  const { store, publisher, clock, log } = deps;
  const { appId, owner } = options;
  const detectedAt = clock().toISOString();
  if (options.dryRun) {
    const current = await store.getSnapshots(
      appId,
      toDelete.map((s) => s.customerId),
    );
    const messages = toDelete.flatMap((listed) => {
      const snapshot = current.get(listed.customerId);
      return snapshot &&
        snapshot.deleted === undefined &&
        snapshot.pending === undefined &&
        snapshot.version === listed.version
        ? [buildDeletedMessage(tombstoneOf(snapshot), { appId, detectedAt })]
        : [];
    });
    options.onMessages?.(messages);
    tally.deleted = messages.length;
    return undefined;
  }

  const sleep = deps.sleep ?? realSleep;
  let leaseUntil = 0;
  for (let attempt = 0; attempt < LEASE_ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(LEASE_RETRY_MS);
    const now = clock();
    const state = await store.acquireLease(appId, owner, now, DELETE_LEASE_MS);
    if (state !== null) {
      leaseUntil = now.getTime() + DELETE_LEASE_MS;
      break;
    }
  }
  if (leaseUntil === 0) {
    // Not a failure: the suspects are saved, so the next reconciliation deletes them (a day later).
    tally.deferred = toDelete.length + pending.length;
    log.warn('A poll held the lease throughout; the deletions are left to the next reconciliation.', {
      appId,
      deferred: tally.deferred,
    });
    return undefined;
  }
  // Fencing: no write is started that could land after the lease ran out.
  const holding = () => clock().getTime() < leaseUntil - LEASE_MARGIN_MS;
  try {
    const current = await store.getSnapshots(
      appId,
      [...toDelete, ...pending].map((s) => s.customerId),
    );
    const tombstones: Snapshot[] = [];
    for (const listed of toDelete) {
      const snapshot = current.get(listed.customerId);
      // Changed since the listing (a poll saw it, so it exists), deleted already, or with a
      // published change not yet committed (its sequence is taken; the poll settles it first).
      if (
        !snapshot ||
        snapshot.deleted !== undefined ||
        snapshot.pending !== undefined ||
        snapshot.version !== listed.version
      ) {
        tally.deferred++;
        continue;
      }
      tombstones.push(tombstoneOf(snapshot));
    }
    if (!holding()) throw new Error('The poll lease ran short before the tombstones were written.');
    const { committed, conflicts } = await store.commitSnapshots(
      appId,
      tombstones.map((t) => ({ snapshot: t, expectedVersion: t.version - 1 })),
    );
    tally.deferred += conflicts.length;
    await options.onStep?.('tombstoned');
    const written = new Set(committed);
    const announce = [
      ...tombstones.filter((t) => written.has(t.customerId)),
      ...pending.flatMap((listed) => {
        const snapshot = current.get(listed.customerId);
        return snapshot?.deleted === 'pending' ? [snapshot] : [];
      }),
    ];
    if (announce.length === 0) return undefined;
    const messages = announce.map((t) => buildDeletedMessage(t, { appId, detectedAt }));
    if (!holding()) throw new Error('The poll lease ran short before the deleted events were published.');
    const result = await publisher.publish(messages);
    const sentIds = new Set(result.published);
    const sent = messages.filter((m) => sentIds.has(m.id));
    tally.deleted = sent.length;
    tally.unpublished = messages.length - sent.length;
    if (sent.length > 0) {
      options.onMessages?.(sent);
      await store.archive(appId, sent, clock());
    }
    await options.onStep?.('published');
    const sentCustomers = new Set(sent.map((m) => m.customerId));
    const announced = announce.filter((t) => sentCustomers.has(t.customerId));
    if (announced.length > 0 && holding()) {
      // A conflict here means the customer came back meanwhile: its created event outranks this one.
      await store.commitSnapshots(
        appId,
        announced.map((t) => ({
          snapshot: { ...t, deleted: 'announced' as const },
          expectedVersion: t.version,
        })),
      );
    }
    if (tally.unpublished > 0) {
      log.warn('Some deleted events were not published; their tombstones stay pending for the next run.', {
        appId,
        unpublished: tally.unpublished,
        firstReason: result.failed[0]?.reason,
      });
      return `${tally.unpublished} customer.deleted event(s) could not be published; the next reconciliation sends them again with the same ids.`;
    }
    return undefined;
  } finally {
    await store.releaseLease(appId, owner).catch(() => undefined);
  }
}

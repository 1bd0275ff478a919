/**
 * Step 4 of a page: commit. The writes that follow a diff: a group's write-ahead intent before
 * it is published, its snapshots after (only what went out whole), pending versions for what
 * may have reached a subscriber without being committed, and the quiet writes no event rides
 * on (a baseline's first snapshots, refreshes). Each write that could contradict a published
 * event passes the lease's fence first.
 */
import { pendingVersionOf } from '../core/diff.ts';
import type { PendingEntry, Snapshot } from '../core/types.ts';
import type { CommitResult, SnapshotCommit } from '../ports.ts';
import type { PlannedChange } from './diff-page.ts';
import type { PageContext } from './page-context.ts';
import type { PublishedGroup } from './publish-group.ts';

const NOTHING_COMMITTED: CommitResult = { committed: [], conflicts: [] };

/** The committed part of a snapshot. */
function withoutPending(snapshot: Snapshot): Snapshot {
  const { pending: _, ...committed } = snapshot;
  return committed;
}

/** Conditional commits of changes, each against the version it was diffed against. */
async function commitChanges(ctx: PageContext, changes: readonly PlannedChange[]): Promise<CommitResult> {
  if (changes.length === 0) return NOTHING_COMMITTED;
  return ctx.deps.store.commitSnapshots(
    ctx.options.appId,
    changes.map((c) => ({ snapshot: c.change.next, expectedVersion: c.expectedVersion })),
  );
}

/** Remembers the snapshots of the changes that were committed. */
function rememberCommitted(
  ctx: PageContext,
  changes: readonly PlannedChange[],
  committed: readonly string[],
): void {
  const ok = new Set(committed);
  for (const c of changes) if (ok.has(c.change.customer.id)) ctx.recent.set(c.change.next);
}

/**
 * Records the write-ahead intent of a group (the versions about to be published), in a write
 * conditioned on the lease that also extends it. Fenced first.
 * @throws LeaseLostError when another poller took the lease: nothing of the group is published.
 */
export async function recordIntent(ctx: PageContext, group: readonly PlannedChange[]): Promise<void> {
  const { store, clock } = ctx.deps;
  await ctx.lease.fence();
  const until = ctx.lease.until(clock().getTime());
  await store.recordIntent(
    ctx.options.appId,
    ctx.options.owner,
    group.map((c) => ({ customerId: c.change.customer.id, pending: pendingVersionOf(c.change) })),
    until,
  );
  ctx.lease.extendedTo(until);
}

/**
 * Commits the changes of a published group that went out whole (every message accepted, and
 * the digest sent or refused for good), fenced first; marks the rest pending, since they may
 * have reached a subscriber in part. Returns the number of conflicts.
 */
export async function commitGroup(
  ctx: PageContext,
  group: readonly PlannedChange[],
  published: PublishedGroup,
): Promise<number> {
  await ctx.lease.fence();
  const whole = published.accepted.filter((c) => !published.digest.held.has(c.change.customer.id));
  const { committed, conflicts } = await commitChanges(ctx, whole);
  rememberCommitted(ctx, whole, committed);
  // Whatever may have reached a subscriber without being committed becomes the base of the
  // next diff: the same content is re-sent with the same id and sequence, other content
  // is a new change from it.
  const committedIds = new Set(committed);
  const unsettled = group.filter((c) => !committedIds.has(c.change.customer.id));
  if (unsettled.length > 0) {
    const entries: PendingEntry[] = unsettled.map((c) => ({
      customerId: c.change.customer.id,
      pending: pendingVersionOf(c.change),
    }));
    await ctx.deps.store.markPending(ctx.options.appId, entries);
    for (const [i, c] of unsettled.entries()) {
      const pending = entries[i]?.pending;
      if (pending === undefined) continue;
      const committedPart = c.known ?? {
        customerId: c.change.customer.id,
        hash: '',
        fields: {},
        version: 0,
      };
      ctx.recent.set({ ...withoutPending(committedPart), pending });
    }
  }
  return conflicts.length;
}

/**
 * Commits changes that announce nothing (a baseline's first sightings), fenced first; returns
 * the number of conflicts. A baseline's first snapshots go in unconditional batches (see
 * StateStore.createSnapshots); anything else is conditioned on the version it was diffed against.
 */
export async function commitSilent(ctx: PageContext, silent: readonly PlannedChange[]): Promise<number> {
  if (silent.length === 0) return 0;
  await ctx.lease.fence();
  const blind = ctx.mode === 'baseline' ? silent.filter((c) => c.change.kind === 'created') : [];
  const conditional = silent.filter((c) => !blind.includes(c));
  if (blind.length > 0)
    await ctx.deps.store.createSnapshots(
      ctx.options.appId,
      blind.map((c) => c.change.next),
    );
  for (const c of blind) ctx.recent.set(c.change.next);
  const { committed, conflicts } = await commitChanges(ctx, conditional);
  rememberCommitted(ctx, conditional, committed);
  return conflicts.length;
}

/** Rewrites snapshots no event rides on; a conflict loses nothing (a newer version won). */
export async function commitRefreshes(ctx: PageContext, refreshes: readonly SnapshotCommit[]): Promise<void> {
  if (refreshes.length === 0) return;
  const refreshed = await ctx.deps.store.commitSnapshots(ctx.options.appId, refreshes);
  const ok = new Set(refreshed.committed);
  for (const { snapshot } of refreshes) if (ok.has(snapshot.customerId)) ctx.recent.set(snapshot);
}

/**
 * Settles the intent a previous poll left (it crashed or lost its lease between recording
 * and clearing it): its versions may have been published, so each becomes a pending
 * version on its snapshot (where nothing newer got there), and the intent is cleared.
 */
export async function settleIntent(ctx: PageContext, intent: readonly PendingEntry[]): Promise<void> {
  if (ctx.options.dryRun || intent.length === 0) return;
  const { store, log } = ctx.deps;
  log.warn('Found the intent of an unfinished page; its versions become pending.', {
    appId: ctx.options.appId,
    customers: intent.length,
  });
  await ctx.lease.fence();
  await store.markPending(ctx.options.appId, intent);
  await store.clearIntent(ctx.options.appId, ctx.options.owner);
}

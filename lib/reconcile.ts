/**
 * One reconciliation of one app, over ports: find the customers Gleantap no longer returns
 * and announce them deleted, under the rules of lib/core/reconcile.ts.
 *
 * claim → full scan (one item per page records the ids it returned; resumable across
 * invocations) → list the app's snapshots → decide → under the app's poll lease: tombstone,
 * publish, archive, mark announced → record the suspects and the outcome.
 *
 * Polls keep running during the scan (the reconciliation has a claim of its own and writes
 * no snapshot there); only the short delete step takes the poll lease, so a poll and a delete
 * never interleave. Tombstones are written before their events are published (the write-ahead
 * record, see lib/core/tombstone.ts): a crash after it leaves `pending` tombstones that the
 * next reconciliation publishes with the same ids; a customer that is back by then is created
 * again one version above, which a subscriber applies over the late delete.
 */
import { buildDeletedMessage } from './core/events.ts';
import { DEFAULT_MAX_DELETE_SHARE, type DeletionDecision, decideDeletions } from './core/reconcile.ts';
import { tombstoneOf } from './core/tombstone.ts';
import type { OutboundMessage, Snapshot } from './core/types.ts';
import type { CustomerPage, CustomerSource, EventPublisher, Log, StateStore } from './ports.ts';
import type { ReconcileRecord, ReconcileStore, SnapshotListing } from './reconcile-ports.ts';

export interface ReconcileDependencies {
  readonly source: CustomerSource;
  readonly store: StateStore;
  readonly reconcileStore: ReconcileStore;
  readonly publisher: EventPublisher;
  readonly log: Log;
  /** The only clock a reconciliation reads. */
  readonly clock: () => Date;
  /** Waits between attempts to take the poll lease. @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ReconcileOptions {
  readonly appId: string;
  /** Identifies this invocation as the holder of the claim and of the poll lease. */
  readonly owner: string;
  readonly pageSize: number;
  /** 0..1. @default DEFAULT_MAX_DELETE_SHARE (0.1) */
  readonly maxDeleteShare?: number;
  /** No page is started at or after this instant; the scan resumes next invocation. */
  readonly deadline?: Date;
  /** How long the claim lasts without renewal when there is no deadline. @default 15 minutes */
  readonly claimTtlMs?: number;
  /**
   * Scheduled runs: do nothing (`not_due`) when the last run finished less than this long ago
   * and none is in progress, so a schedule can fire several times a day to resume a long scan
   * and still reconcile once. @default 0 (always run)
   */
  readonly minIntervalMs?: number;
  /** Scan and decide, write and publish nothing; the deleted events go to `onMessages`. */
  readonly dryRun?: boolean;
  /** Called with the deleted events once published (or, in a dry run, instead). */
  readonly onMessages?: (messages: readonly OutboundMessage[]) => void;
  /** Test seam between the steps of the delete; never set in production code. */
  readonly onStep?: (step: 'tombstoned' | 'published') => void | Promise<void>;
}

export type ReconcileOutcome =
  | DeletionDecision['verdict']
  | 'incomplete'
  | 'failed'
  | 'claim_held'
  | 'not_due';

/** What one reconciliation invocation did; the CLI's `--json` line. */
export interface ReconcileSummary {
  readonly app_id: string;
  readonly outcome: ReconcileOutcome;
  /** Rows fetched by this invocation. */
  readonly fetched: number;
  /** Distinct ids the whole scan returned so far. */
  readonly seen: number;
  /** Live snapshots when the scan ended (0 until it has). */
  readonly live: number;
  /** Live snapshots the scan did not return. */
  readonly missing: number;
  /** customer.deleted events published by this invocation (re-sent pending ones included). */
  readonly deleted: number;
  /** Deletions decided but not announced: a tombstone or publish failed; retried next run. */
  readonly unpublished: number;
  /** The decided deletions this invocation left to the next run (poll lease busy, customer changed). */
  readonly deferred: number;
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly durationMs: number;
  /** One sentence when the outcome is not `conclusive`. */
  readonly error?: string;
}

/** How long the claim outlives a deadline, and how close to its end no write is started. */
const CLAIM_GRACE_MS = 60_000;
const LEASE_MARGIN_MS = 10_000;
/** The delete step holds the poll lease at most this long. */
const DELETE_LEASE_MS = 60_000;
/** Attempts to take the poll lease (a poll holds it for seconds) and the wait between them. */
const LEASE_ATTEMPTS = 10;
const LEASE_RETRY_MS = 3_000;
/** A run older than this is not resumed: its pages describe another day's population. */
const RUN_MAX_AGE_MS = 20 * 3_600_000;
/** A claim without a deadline is renewed after this much of it has passed. */
const RENEW_AFTER_MS = 60_000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The ids a page returned: valid customers and rejected records that had an id. */
function pageIds(page: CustomerPage): string[] {
  const ids = page.customers.map((customer) => customer.id);
  for (const rejection of page.rejections)
    if (rejection.customerId !== undefined) ids.push(rejection.customerId);
  return ids;
}

/**
 * Runs one reconciliation invocation for one app. Never throws: a failure is the summary's
 * `failed` outcome with the reason, and the claim is released.
 */
export async function reconcileApp(
  deps: ReconcileDependencies,
  options: ReconcileOptions,
): Promise<ReconcileSummary> {
  const { clock, log, reconcileStore } = deps;
  const started = clock();
  const dryRun = options.dryRun ?? false;
  const maxDeleteShare = options.maxDeleteShare ?? DEFAULT_MAX_DELETE_SHARE;
  const claimExpiry = (now: Date) =>
    options.deadline
      ? new Date(options.deadline.getTime() + CLAIM_GRACE_MS)
      : new Date(now.getTime() + (options.claimTtlMs ?? 15 * 60_000));
  const tally = { fetched: 0, seen: 0, live: 0, missing: 0, deleted: 0, unpublished: 0, deferred: 0 };
  const summary = (outcome: ReconcileOutcome, error?: string): ReconcileSummary => ({
    app_id: options.appId,
    outcome,
    ...tally,
    dryRun,
    startedAt: started.toISOString(),
    durationMs: clock().getTime() - started.getTime(),
    ...(error !== undefined ? { error } : {}),
  });

  let runId = started.toISOString();
  let suspectsRunId: string | null = null;
  if (dryRun || options.minIntervalMs) {
    try {
      const state = await reconcileStore.getState(options.appId);
      const lastMs = state?.last ? Date.parse(state.last.finishedAt) : Number.NaN;
      if (options.minIntervalMs && !state?.run && started.getTime() - lastMs < options.minIntervalMs) {
        return summary('not_due');
      }
      suspectsRunId = state?.suspectsRunId ?? null;
    } catch (error) {
      return summary('failed', `Could not read the reconciliation state: ${describe(error)}`);
    }
  }
  if (!dryRun) {
    try {
      const state = await reconcileStore.claim(
        options.appId,
        options.owner,
        started,
        claimExpiry(started).getTime() - started.getTime(),
        { runId },
      );
      if (state === null) {
        log.info('Another reconciliation of this app is running; exiting.', { appId: options.appId });
        return summary('claim_held');
      }
      // A run paused longer ago than this is stale evidence: start over.
      const resumable = state.run && started.getTime() - Date.parse(state.run.runId) < RUN_MAX_AGE_MS;
      if (resumable && state.run) runId = state.run.runId;
      suspectsRunId = state.suspectsRunId;
    } catch (error) {
      const reason = `Could not start the reconciliation: ${describe(error)}`;
      log.error(reason, { appId: options.appId });
      return summary('failed', reason);
    }
  }

  const finish = async (outcome: ReconcileOutcome, record: ReconcileRecord | null, suspects?: string) => {
    if (dryRun) return;
    await reconcileStore.finish(options.appId, options.owner, {
      run: outcome === 'incomplete' ? { runId } : null,
      ...(suspects !== undefined ? { suspectsRunId: suspects } : {}),
      last: record,
    });
  };

  try {
    // The pages recorded by earlier invocations of this run.
    const seen = new Set<string>();
    let drift = false;
    let offset = 0;
    if (!dryRun) {
      for (const page of await reconcileStore.readPages(options.appId, runId)) {
        for (const id of page.ids) {
          if (seen.has(id)) drift = true;
          seen.add(id);
        }
        offset = Math.max(offset, page.offset + page.received);
      }
    }
    log.info('Reconciliation started.', { appId: options.appId, runId, resumeOffset: offset, dryRun });

    let lastRenewal = started.getTime();
    const pages = deps.source.pages({
      appId: options.appId,
      startOffset: offset,
      pageSize: options.pageSize,
    });
    for await (const page of pages) {
      const now = clock();
      if (options.deadline && now >= options.deadline) {
        tally.seen = seen.size;
        await finish('incomplete', null);
        log.info('Reconciliation paused at its deadline; the next invocation resumes it.', {
          appId: options.appId,
          offset: page.offset,
        });
        return summary('incomplete');
      }
      const ids = pageIds(page);
      for (const id of ids) {
        if (seen.has(id)) drift = true;
        seen.add(id);
      }
      tally.fetched += page.received;
      if (!dryRun) {
        await reconcileStore.recordPage(
          options.appId,
          runId,
          { offset: page.offset, received: page.received, ids },
          now,
        );
        if (!options.deadline && now.getTime() - lastRenewal >= RENEW_AFTER_MS) {
          await reconcileStore.extend(options.appId, options.owner, claimExpiry(now));
          lastRenewal = now.getTime();
        }
      }
    }
    tally.seen = seen.size;

    const listing = await reconcileStore.listSnapshots(options.appId);
    const live = listing.filter((s) => s.deleted === undefined);
    const suspects =
      suspectsRunId === null ? null : await reconcileStore.readSuspects(options.appId, suspectsRunId);
    const decision = decideDeletions({
      scan: { complete: true, drift },
      live: live.map((s) => s.customerId),
      seen,
      suspects,
      maxDeleteShare,
    });
    tally.live = live.length;
    const finishedAt = clock().toISOString();
    const record = (verdict: ReconcileRecord['verdict'], reason?: string): ReconcileRecord => ({
      runId,
      finishedAt,
      verdict,
      live: tally.live,
      missing: tally.missing,
      deleted: tally.deleted,
      ...(reason !== undefined ? { reason } : {}),
    });

    if (decision.verdict === 'inconclusive') {
      const reason =
        'The scan saw an id twice (rows moved under the offsets), so a missing customer may only have been skipped; nothing was deleted and the suspects are kept.';
      log.warn(reason, { appId: options.appId });
      await finish('inconclusive', record('inconclusive', reason));
      return summary('inconclusive', reason);
    }
    if (decision.verdict === 'refused') {
      tally.missing = decision.missing;
      const reason = `The scan missed ${decision.missing} of ${decision.live} customers, more than the ${decision.allowed} that ${maxDeleteShare * 100} % allows (an outage, an empty answer or a wrong app id?): nothing was deleted.`;
      log.error(reason, { appId: options.appId, missing: decision.missing, live: decision.live });
      await finish('refused', record('refused', reason));
      return summary('refused', reason);
    }

    tally.missing = decision.missing.length;
    const pending = listing.filter((s) => s.deleted === 'pending');
    const byId = new Map(listing.map((s) => [s.customerId, s]));
    const toDelete = decision.deletions.flatMap((id) => {
      const listed = byId.get(id);
      return listed ? [listed] : [];
    });
    let error: string | undefined;
    if (toDelete.length > 0 || pending.length > 0) {
      error = await applyDeletions(deps, options, toDelete, pending, tally);
    }
    if (!dryRun) await reconcileStore.saveSuspects(options.appId, runId, decision.missing, clock());
    await finish('conclusive', record(error ? 'failed' : 'conclusive', error), runId);
    log.info('Reconciliation finished.', { appId: options.appId, ...tally });
    return summary(error ? 'failed' : 'conclusive', error);
  } catch (error) {
    const reason = describe(error);
    log.error('Reconciliation failed; nothing past the last recorded page was kept.', {
      appId: options.appId,
      error: reason,
    });
    if (!dryRun) await reconcileStore.release(options.appId, options.owner).catch(() => undefined);
    return summary('failed', reason);
  }
}

/**
 * The delete step, under the app's poll lease: tombstone what is still at the listed version,
 * publish the tombstones (and the pending ones of an earlier run), archive, mark announced.
 * Returns a sentence when something was left for the next run to finish, else undefined.
 */
async function applyDeletions(
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

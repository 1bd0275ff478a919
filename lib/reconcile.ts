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
import { DEFAULT_MAX_DELETE_SHARE, decideDeletions } from './core/reconcile.ts';
import type { CustomerPage } from './ports.ts';
import { applyDeletions } from './reconcile/delete-step.ts';
import type {
  ReconcileDependencies,
  ReconcileOptions,
  ReconcileOutcome,
  ReconcileSummary,
} from './reconcile/types.ts';
import type { ReconcileRecord } from './reconcile-ports.ts';

export type {
  ReconcileDependencies,
  ReconcileOptions,
  ReconcileOutcome,
  ReconcileSummary,
} from './reconcile/types.ts';

/** How long the claim outlives a deadline. */
const CLAIM_GRACE_MS = 60_000;
/** A run older than this is not resumed: its pages describe another day's population. */
const RUN_MAX_AGE_MS = 20 * 3_600_000;
/** A claim without a deadline is renewed after this much of it has passed. */
const RENEW_AFTER_MS = 60_000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

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

/**
 * One poll cycle for one app, over ports (no SDK, no HTTP client, no environment):
 * lease → window or baseline → pages → diff → publish → archive → commit → checkpoint → watermark.
 *
 * The ordering is the product's guarantee. Events are published before the snapshot that
 * records them is committed, so a crash anywhere can only repeat an event (with the same id),
 * never lose one. The watermark moves only when a scan completed and every change it found
 * was published and committed.
 *
 * Where each part lives: the invocation (lease, start, end) here; how the scan's state changes
 * in lib/core/scan-state.ts (pure); the walk through the pages in lib/poll/scan-run.ts; one
 * page's steps (triage, diff, publish, commit) in lib/poll/page-handler.ts and the modules
 * beside it, with the order that makes publishing safe in its `sendGroup`.
 */
import {
  type Checkpoint,
  finishScan,
  freshScan,
  judgeScan,
  type PollCounts,
  type ScanMode,
  startScan,
  ZERO_COUNTS,
} from './core/scan-state.ts';
import { LEASE_GRACE_MS } from './poll/lease.ts';
import { ScanRun } from './poll/scan-run.ts';
import type { PollDependencies, PollOptions, PollOutcome, PollSummary } from './poll/types.ts';
import { type LastPoll, LeaseLostError, type PollState } from './ports.ts';

export { earnedWatermarks } from './core/scan-state.ts';
export { LEASE_GRACE_MS, LEASE_MARGIN_MS } from './poll/lease.ts';
export { MAX_INTENT_CHARS } from './poll/publish-group.ts';
export { classifyPage } from './poll/scan-run.ts';
export type { PollDependencies, PollOptions, PollOutcome, PollSummary } from './poll/types.ts';

/**
 * True for a complete baseline that found no customers: what an unknown (or mistyped) app id
 * looks like, since Gleantap answers one with an empty list rather than an error.
 */
export function isEmptyBaseline(
  summary: Pick<PollSummary, 'mode' | 'outcome' | 'fetched' | 'invalid'>,
): boolean {
  return (
    summary.mode === 'baseline' && summary.outcome === 'complete' && summary.fetched + summary.invalid === 0
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs one poll invocation for one app. Never throws for a failed poll: the summary says
 * `failed` with the reason, the lease is released, and no state advanced past unhandled data.
 */
export async function pollApp(deps: PollDependencies, options: PollOptions): Promise<PollSummary> {
  const { store, log, clock } = deps;
  const started = clock();
  const deadline = options.deadline;
  const leaseTtlMs = deadline
    ? Math.max(1, deadline.getTime() + LEASE_GRACE_MS - started.getTime())
    : (options.leaseTtlMs ?? 15 * 60_000);
  const dryRun = options.dryRun ?? false;

  const mode: ScanMode = options.resync ? 'resync' : 'incremental';
  const idle = freshScan(mode, null, started);
  let state: PollState | null;
  let scan: Checkpoint;
  try {
    state = dryRun
      ? await store.getPollState(options.appId)
      : await store.acquireLease(options.appId, options.owner, started, leaseTtlMs);
    scan = state === null && !dryRun ? idle : startScan(state, options, started);
  } catch (caught) {
    // Nothing was read or written yet (or the lease is ours and expires on its own).
    const error = `Could not start the poll: ${describe(caught)}`;
    log.error(error, { appId: options.appId });
    if (!dryRun) await store.releaseLease(options.appId, options.owner).catch(() => undefined);
    return summarise({
      options,
      outcome: 'failed',
      scan: idle,
      counts: ZERO_COUNTS,
      started,
      finished: clock(),
      error,
    });
  }
  if (!dryRun) {
    if (state === null) {
      log.info('Another poll holds the lease for this app; exiting without polling.', {
        appId: options.appId,
      });
      return summarise({
        options,
        outcome: 'lease_held',
        scan: idle,
        counts: ZERO_COUNTS,
        started,
        finished: clock(),
      });
    }
  }

  const lagSeconds = state?.watermark
    ? Math.max(0, (started.getTime() - Date.parse(state.watermark)) / 1000)
    : null;
  log.info('Poll started.', {
    appId: options.appId,
    mode: scan.mode,
    updatedSince: scan.updatedSince,
    resumeOffset: scan.offset,
    dryRun,
  });

  const run = new ScanRun(deps, options, scan, leaseTtlMs);
  let outcome: PollOutcome;
  let error: string | undefined;
  try {
    await run.settle(state?.intent ?? []);
    const reachedEnd = await run.pages();
    const verdict = judgeScan(run.checkpoint, reachedEnd);
    outcome = verdict.outcome;
    if (verdict.outcome === 'failed') error = verdict.error;
  } catch (caught) {
    if (options.signal?.aborted) {
      // The abandoned fetch threw; every handled page is in the checkpoint, as at a deadline.
      outcome = 'incomplete';
      log.info('Poll interrupted; it resumes from its checkpoint next time.', { appId: options.appId });
    } else {
      outcome = 'failed';
      error = describe(caught);
      log.error('Poll failed; state was kept at the last handled page.', { appId: options.appId, error });
    }
  }

  const finishedAt = clock();
  let summary: PollSummary = summarise({
    options,
    outcome,
    scan: run.checkpoint,
    counts: run.counts,
    started,
    finished: finishedAt,
    lagSeconds,
    complete: outcome === 'complete' || (outcome === 'failed' && run.reachedEnd),
    ...(error === undefined ? {} : { error }),
  });
  if (run.checkpoint.drift) summary = { ...summary, drift: true };
  if (outcome === 'complete' && run.checkpoint.drift) {
    log.warn(
      'The result set moved under the offsets during this scan (a row came back, or a resumed scan did not find where it stopped); the watermark stays and the next poll reads the window again.',
      { appId: options.appId, mode: run.checkpoint.mode },
    );
  }
  if (!dryRun) {
    try {
      await endInvocation(deps, options, run, summary, state);
    } catch (caught) {
      // The watermark (or the checkpoint) was not recorded: the next poll reads again.
      summary = {
        ...summary,
        outcome: 'failed',
        error: `Could not record the end of the poll: ${describe(caught)}`,
      };
    }
  }
  // The reason of a failure was logged where it happened; the summary carries it to the caller.
  const { error: _reason, ...finished } = summary;
  log.info('Poll finished.', { ...finished });
  return summary;
}

async function endInvocation(
  deps: PollDependencies,
  options: PollOptions,
  run: ScanRun,
  summary: PollSummary,
  state: PollState | null,
): Promise<void> {
  const lastPoll: LastPoll = {
    startedAt: summary.startedAt,
    finishedAt: new Date(Date.parse(summary.startedAt) + summary.durationMs).toISOString(),
    outcome: summary.outcome === 'lease_held' ? 'incomplete' : summary.outcome,
    mode: summary.mode,
    counts: run.checkpoint.totals,
    error: summary.error,
  };
  const end = finishScan({
    scan: run.checkpoint,
    saved: run.savedCheckpoint,
    complete: summary.outcome === 'complete',
    reachedEnd: run.reachedEnd,
    state,
    lastPoll,
  });
  try {
    await deps.store.endScan(options.appId, options.owner, end);
  } catch (error) {
    if (error instanceof LeaseLostError) {
      deps.log.warn('The lease was taken over before this poll could record its end.', {
        appId: options.appId,
      });
      return;
    }
    deps.log.error('Could not record the end of the poll; releasing the lease.', {
      appId: options.appId,
      error: describe(error),
    });
    await deps.store.releaseLease(options.appId, options.owner).catch(() => undefined);
    throw error;
  }
}

/** What {@link summarise} reports on. */
interface SummaryInput {
  readonly options: PollOptions;
  readonly outcome: PollOutcome;
  /** The scan as it stands (its mode is the summary's). */
  readonly scan: Checkpoint;
  /** This invocation's counts (not the scan's totals). */
  readonly counts: PollCounts;
  readonly started: Date;
  readonly finished: Date;
  /** @default null (no watermark to lag behind, or no scan ran) */
  readonly lagSeconds?: number | null;
  /** True when the scan reached its last page in this invocation. @default false */
  readonly complete?: boolean;
  readonly error?: string;
}

function summarise(input: SummaryInput): PollSummary {
  const { options, started, finished, error } = input;
  return {
    app_id: options.appId,
    mode: input.scan.mode,
    outcome: input.outcome,
    complete: input.complete ?? false,
    dryRun: options.dryRun ?? false,
    ...input.counts,
    startedAt: started.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    lagSeconds: input.lagSeconds ?? null,
    ...(error !== undefined ? { error } : {}),
  };
}

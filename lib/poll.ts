/**
 * One poll cycle for one app, over ports (no SDK, no HTTP client, no environment):
 * lease → window or baseline → pages → diff → publish → archive → commit → checkpoint → watermark.
 *
 * The ordering is the product's guarantee. Events are published before the snapshot that
 * records them is committed, so a crash anywhere can only repeat an event (with the same id),
 * never lose one. The watermark moves only when a scan completed and every change it found
 * was published and committed.
 */
import { canonicalContentHash, watchedValues } from './core/content-hash.ts';
import { diffAgainstPublished, pendingVersionOf } from './core/diff.ts';
import { buildMessages } from './core/events.ts';
import { fingerprintSeed, IdFingerprintSet } from './core/id-fingerprint-set.ts';
import {
  addCounts,
  advanceScan,
  type Checkpoint,
  finishScan,
  freshScan,
  judgeScan,
  markDrifted,
  type PollCounts,
  rememberTail,
  type ScanMode,
  startScan,
  ZERO_COUNTS,
} from './core/scan-state.ts';
import { changeLimitProblem } from './core/sns-limits.ts';
import type { Change, Customer, OutboundMessage, PendingEntry, Snapshot } from './core/types.ts';
import { type PageDigestInput, type PageDigestResult, publishPageDigest } from './page-digest.ts';
import {
  type AlertPublisher,
  type CustomerPage,
  type CustomerSource,
  type EventPublisher,
  type LastPoll,
  LeaseLostError,
  type Log,
  type PollState,
  type SnapshotCommit,
  type StateStore,
} from './ports.ts';

export { earnedWatermarks } from './core/scan-state.ts';

export interface PollDependencies {
  readonly source: CustomerSource;
  readonly store: StateStore;
  readonly publisher: EventPublisher;
  /**
   * The staff alerts topic: each page with opt-out changes sends one digest there, after its
   * events and before its commit (lib/page-digest.ts). Absent: no digests.
   */
  readonly alerts?: AlertPublisher;
  readonly log: Log;
  /** The only clock the poll reads. */
  readonly clock: () => Date;
}

export interface PollOptions {
  readonly appId: string;
  /** Identifies this invocation as the lease owner (e.g. the Lambda request id). */
  readonly owner: string;
  readonly lookbackDays: number;
  readonly pageSize: number;
  readonly watchedFields: readonly string[];
  /** Publish `customer.created` for every customer of a baseline. @default false */
  readonly emitBaseline?: boolean;
  /** A full scan (no `updated_since`) that publishes whatever differs from the snapshots. */
  readonly resync?: boolean;
  /** Read and diff, publish and write nothing; messages go to `onMessages`. */
  readonly dryRun?: boolean;
  /** No page is started at or after this instant; the scan resumes from its checkpoint next time. */
  readonly deadline?: Date;
  /**
   * Stops the poll like the deadline does, at the next page boundary (Ctrl-C in the CLI): a
   * fetch in flight is abandoned, the page in hand is finished, and the poll ends
   * `incomplete` with its checkpoint saved and its lease released.
   */
  readonly signal?: AbortSignal;
  /**
   * How long the lease lasts without renewal; renewed with every checkpoint. With a
   * deadline the lease ends LEASE_GRACE_MS after it instead, so a process killed at its
   * deadline (a Lambda timeout) blocks the next poll for no longer than that.
   * @default 15 minutes
   */
  readonly leaseTtlMs?: number;
  /**
   * The longest time between two checkpoints on pages that changed nothing. Pages that
   * changed something always checkpoint. @default 10 seconds
   */
  readonly checkpointIntervalMs?: number;
  /** Called with each page's messages once published (or, in a dry run, instead of publishing). */
  readonly onMessages?: (messages: readonly OutboundMessage[]) => void;
  /** Called after each page with the running totals of this invocation. */
  readonly onProgress?: (progress: { readonly fetched: number; readonly offset: number }) => void;
  /**
   * Test seam: called between the steps of each page, so a test can crash the poll exactly
   * there. Never set in production code.
   */
  readonly onStep?: (step: 'fetched' | 'published' | 'committed', page: CustomerPage) => void | Promise<void>;
}

export type PollOutcome = 'complete' | 'incomplete' | 'failed' | 'lease_held';

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

/** What one invocation did. The `--json` line of the CLI is a projection of it. */
export interface PollSummary extends PollCounts {
  readonly app_id: string;
  readonly mode: ScanMode;
  readonly outcome: PollOutcome;
  /** True when the scan reached its last page in this invocation. */
  readonly complete: boolean;
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Seconds from the watermark this poll started from to its start; null for a baseline. */
  readonly lagSeconds: number | null;
  /** One sentence for failed polls: why the watermark did not advance. */
  readonly error?: string;
  /** True when the result set moved under the offsets, so the scan did not move the watermark. */
  readonly drift?: boolean;
}

/** How long a lease outlives its poll's deadline: the page in hand finishes within it. */
export const LEASE_GRACE_MS = 60_000;

/**
 * Before publishing and before committing, a poller renews a lease that ends within this
 * margin by its own clock (clocks of two pollers may differ by a few seconds).
 */
export const LEASE_MARGIN_MS = 15_000;

/**
 * Largest write-ahead intent per write, in characters of its JSON: the state item that
 * carries it must stay under DynamoDB's 400 KB item limit with the checkpoint beside it.
 * A page whose changes need more is published in several groups, each with its intent.
 */
export const MAX_INTENT_CHARS = 300_000;

/** One customer's change as a page plans it. */
interface PlannedChange {
  readonly change: Exclude<Change, { kind: 'unchanged' }>;
  /** The committed version the change was diffed against (null: none committed). */
  readonly expectedVersion: number | null;
  /** The snapshot as read (committed part and pending version), if any. */
  readonly known: Snapshot | undefined;
  /** Its messages, each within SNS's limits; empty when the scan announces nothing. */
  readonly messages: readonly OutboundMessage[];
}

interface PagePlan {
  readonly changes: readonly PlannedChange[];
  readonly refreshes: readonly SnapshotCommit[];
  readonly unchanged: number;
  /** Customers rejected because one of their messages exceeds SNS's limits. */
  readonly oversize: number;
}

interface GroupOutcome {
  readonly sent: readonly OutboundMessage[];
  /** Opt-out digests the alerts topic accepted. */
  readonly digests: number;
  readonly unpublished: number;
  readonly undeliverable: number;
  readonly conflicts: number;
}

function addOutcome(a: GroupOutcome, b: GroupOutcome): GroupOutcome {
  return {
    sent: [...a.sent, ...b.sent],
    digests: a.digests + b.digests,
    unpublished: a.unpublished + b.unpublished,
    undeliverable: a.undeliverable + b.undeliverable,
    conflicts: a.conflicts + b.conflicts,
  };
}

function countTypes(
  messages: readonly OutboundMessage[],
): Pick<PollCounts, 'created' | 'updated' | 'optout_changed'> {
  let created = 0;
  let updated = 0;
  let optout = 0;
  for (const m of messages) {
    if (m.type === 'customer.created') created++;
    else if (m.type === 'customer.updated') updated++;
    else optout++;
  }
  return { created, updated, optout_changed: optout };
}

/** Splits changes into groups whose intent stays within MAX_INTENT_CHARS (one group, usually). */
function intentGroups(changes: readonly PlannedChange[]): PlannedChange[][] {
  const groups: PlannedChange[][] = [];
  let current: PlannedChange[] = [];
  let size = 0;
  for (const c of changes) {
    const pending = pendingVersionOf(c.change);
    const cost = JSON.stringify(pending).length + c.change.customer.id.length + 32;
    if (current.length > 0 && size + cost > MAX_INTENT_CHARS) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(c);
    size += cost;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** The committed part of a snapshot. */
function withoutPending(snapshot: Snapshot): Snapshot {
  const { pending: _, ...committed } = snapshot;
  return committed;
}

/**
 * Five full pages. A drifted row reappears on the next page or the one after, seconds later,
 * long before the bound evicts it (and by then an eventually consistent read has settled).
 * A bound of 50,000 kept ~85 MB of snapshots alive in a 100k-customer baseline.
 */
const RECENT_COMMITS_LIMIT = 5_000;

/**
 * Snapshots this invocation committed, so a customer seen again later in the same scan
 * (offsets drift while paging) is diffed against the newest version without a consistent
 * read. Bounded: past the bound an eventually consistent read can at worst repeat an event
 * with the same id, and its commit then conflicts and the customer is re-detected.
 */
class RecentCommits {
  readonly #map = new Map<string, Snapshot>();
  constructor(private readonly limit: number) {}
  get(id: string): Snapshot | undefined {
    return this.#map.get(id);
  }
  set(snapshot: Snapshot): void {
    this.#map.delete(snapshot.customerId);
    this.#map.set(snapshot.customerId, snapshot);
    if (this.#map.size > this.limit) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }
}

/** A page's customers by id, the last occurrence winning (the API may repeat a row). */
function uniqueById(customers: readonly Customer[]): Map<string, Customer> {
  const byId = new Map<string, Customer>();
  for (const customer of customers) {
    byId.delete(customer.id);
    byId.set(customer.id, customer);
  }
  return byId;
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

/** Pages in a row with no id new to this invocation before the scan gives up (a server that ignores `offset`). */
const STALL_PAGES = 3;

/** Thrown into the page loop when the deadline passes while a page is being fetched. */
class DeadlineReached extends Error {
  constructor() {
    super('The poll reached its deadline while a page was being fetched.');
    this.name = 'DeadlineReached';
  }
}

/**
 * How one page's ids relate to what this invocation has seen: the ids seen before other than
 * at its head (where the tail of the previous page comes back when the server hid rows after
 * LIMIT or rows were inserted before the offset: nothing is skipped then), and whether it
 * brought any id not seen before.
 */
export function classifyPage(
  ids: readonly string[],
  seen: { has(id: string): boolean },
  previousPage: ReadonlySet<string>,
): { readonly drifted: readonly string[]; readonly anyNew: boolean } {
  let head = true;
  const drifted: string[] = [];
  let anyNew = false;
  for (const id of ids) {
    if (head && previousPage.has(id)) continue;
    head = false;
    if (seen.has(id)) drifted.push(id);
    else anyNew = true;
  }
  return { drifted, anyNew };
}

/** The state of one invocation's walk through the pages. */
class ScanRun {
  /** Progress including pages processed but not yet checkpointed. */
  checkpoint: Checkpoint;
  /** The checkpoint as last written (what a crash would resume from). */
  savedCheckpoint: Checkpoint;
  counts: PollCounts = ZERO_COUNTS;
  reachedEnd = false;
  readonly #recent = new RecentCommits(RECENT_COMMITS_LIMIT);
  #lastSaved: number;
  /** When this poller's lease ends by its own clock (as last written). */
  #leaseExpiresAt: number;

  constructor(
    private readonly deps: PollDependencies,
    private readonly options: PollOptions,
    scan: Checkpoint,
    private readonly leaseTtlMs: number,
  ) {
    this.checkpoint = scan;
    this.savedCheckpoint = scan;
    this.#lastSaved = deps.clock().getTime();
    this.#leaseExpiresAt = this.#lastSaved + leaseTtlMs;
  }

  /**
   * Walks the pages until an empty one; true when it got there, false when the deadline
   * stopped it. Ids seen twice (other than a page's head repeating the previous page's tail)
   * mark the scan as drifted. A scan resumed from a checkpoint re-reads the last page it
   * handled and must find one of its last ids there; otherwise rows moved while it was
   * paused and may have been skipped, which also marks it drifted.
   */
  async pages(): Promise<boolean> {
    const { source, clock } = this.deps;
    const { appId, deadline, signal } = this.options;
    const resumed = this.checkpoint;
    const rewind = Math.min(resumed.offset, resumed.tailRows ?? 0);
    const controller = new AbortController();
    const timer =
      deadline === undefined
        ? undefined
        : setTimeout(
            () => controller.abort(new DeadlineReached()),
            Math.max(0, deadline.getTime() - clock().getTime()),
          );
    // An interrupt (Ctrl-C) stops the scan as its deadline does: the fetch in flight is
    // abandoned and the checkpoint of the pages handled is saved.
    const interrupt = () => controller.abort(new DeadlineReached());
    signal?.addEventListener('abort', interrupt, { once: true });
    const pages = source.pages({
      appId,
      startOffset: resumed.offset - rewind,
      pageSize: this.options.pageSize,
      ...(resumed.updatedSince ? { updatedSince: resumed.updatedSince } : {}),
      signal: controller.signal,
    });
    // Every id of this invocation as an 8-byte fingerprint (lib/core/id-fingerprint-set.ts), not
    // a Set of strings: 0.8 MB per 100k customers instead of 6. The seed is new each
    // invocation, so a fingerprint collision (a false drift, ~5e-5 per 1M-customer scan)
    // cannot recur and hold the watermark for ever.
    const seen = new IdFingerprintSet(fingerprintSeed(`${this.options.owner} ${clock().toISOString()}`));
    let previousPage = new Set<string>();
    let checkResume = resumed.offset > 0;
    let stalled = 0;
    try {
      for await (const page of pages) {
        if (signal?.aborted || (deadline && clock() >= deadline)) {
          await this.#save(true);
          return false;
        }
        if (page.received === 0) {
          // A resumed scan that finds nothing where it stopped: the rows shrank by more than
          // the page it re-reads, so rows after it may have moved below its offset unread.
          if (checkResume && resumed.tail !== undefined && resumed.tail.length > 0)
            this.#drifted('a resumed scan found no rows where it stopped');
          break;
        }
        const ids = page.customers.map((c) => c.id);
        if (checkResume) {
          checkResume = false;
          const tail = resumed.tail ?? [];
          if (rewind === 0 || (tail.length > 0 && !tail.some((id) => ids.includes(id))))
            this.#drifted('a resumed scan did not find the rows where it stopped');
        }
        const { drifted, anyNew } = classifyPage(ids, seen, previousPage);
        if (drifted.length > 0) this.#drifted(`${drifted.length} row(s) came back at another offset`);
        stalled = anyNew || ids.length === 0 ? 0 : stalled + 1;
        if (stalled >= STALL_PAGES)
          throw new Error(
            `Gleantap served ${STALL_PAGES} pages in a row with no customer not already read at offset ${page.offset}; it may not honour offset.`,
          );
        seen.addAll(ids);
        previousPage = new Set(ids);
        await this.options.onStep?.('fetched', page);
        const changed = await this.#handlePage(page);
        this.options.onProgress?.({ fetched: this.counts.fetched, offset: this.checkpoint.offset });
        this.checkpoint = rememberTail(this.checkpoint, ids, page.received);
        await this.#save(changed);
      }
    } catch (error) {
      if (!(controller.signal.reason instanceof DeadlineReached && controller.signal.aborted)) throw error;
      await this.#save(true);
      return false;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', interrupt);
      // Leaving the loop early (deadline, error) cancels a prefetch in flight.
      controller.abort();
    }
    this.reachedEnd = true;
    return true;
  }

  #drifted(reason: string): void {
    if (!this.checkpoint.drift)
      this.deps.log.warn('Rows moved under the offsets; this scan will not move the watermark.', {
        appId: this.options.appId,
        reason,
      });
    this.checkpoint = markDrifted(this.checkpoint);
  }

  async #save(force: boolean): Promise<void> {
    if (this.options.dryRun) return;
    const now = this.deps.clock();
    const interval = this.options.checkpointIntervalMs ?? 10_000;
    if (!force && now.getTime() - this.#lastSaved < interval) return;
    const until = this.#leaseUntil(now.getTime());
    await this.deps.store.saveCheckpoint(this.options.appId, this.options.owner, this.checkpoint, until);
    this.#leaseExpiresAt = until.getTime();
    this.savedCheckpoint = this.checkpoint;
    this.#lastSaved = now.getTime();
  }

  /** When the lease ends if renewed at `now`: a deadline's grace, or the TTL from now. */
  #leaseUntil(now: number): Date {
    return this.options.deadline
      ? new Date(this.options.deadline.getTime() + LEASE_GRACE_MS)
      : new Date(now + this.leaseTtlMs);
  }

  /**
   * Fencing, before publishing and before committing: a lease within LEASE_MARGIN_MS of its
   * expiry (by this poller's own clock) is renewed first, with a write conditioned on still
   * holding it. A poller that lost its lease gets LeaseLostError here and stops.
   */
  async #fence(): Promise<void> {
    const now = this.deps.clock().getTime();
    if (now + LEASE_MARGIN_MS < this.#leaseExpiresAt) return;
    const until = this.#leaseUntil(now);
    await this.deps.store.renewLease(this.options.appId, this.options.owner, until);
    this.#leaseExpiresAt = until.getTime();
  }

  /**
   * Settles the intent a previous poll left (it crashed or lost its lease between recording
   * and clearing it): its versions may have been published, so each becomes a pending
   * version on its snapshot (where nothing newer got there), and the intent is cleared.
   */
  async settle(intent: readonly PendingEntry[]): Promise<void> {
    if (this.options.dryRun || intent.length === 0) return;
    this.deps.log.warn('Found the intent of an unfinished page; its versions become pending.', {
      appId: this.options.appId,
      customers: intent.length,
    });
    await this.#fence();
    await this.deps.store.markPending(this.options.appId, intent);
    await this.deps.store.clearIntent(this.options.appId, this.options.owner);
  }

  /**
   * Whether a change is published: always, except a first sighting within a baseline that
   * does not emit. A change against a snapshot is published even within a baseline (the
   * snapshot was written earlier in it, so the change happened during it). A customer the
   * baseline missed (rows moved under its offsets) is announced as `customer.created` by
   * the scan that first finds it: `created_date` cannot tell it from a new member imported
   * with a historical join date, and a suppressed creation would be lost for good.
   */
  #announces(change: Exclude<Change, { kind: 'unchanged' }>): boolean {
    return (
      change.kind !== 'created' || this.checkpoint.mode !== 'baseline' || (this.options.emitBaseline ?? false)
    );
  }

  /**
   * One page, in the order that makes it safe: diff; check every message of each change
   * against SNS's limits; record the intent; publish; commit; mark what went out uncommitted
   * as pending; clear the intent. True when it changed any state.
   */
  async #handlePage(page: CustomerPage): Promise<boolean> {
    const { appId, dryRun } = this.options;
    const plan = await this.#diffPage(page);
    this.#logRejections(page);
    const counts: PollCounts = {
      ...ZERO_COUNTS,
      fetched: page.received,
      invalid: page.rejections.length + plan.oversize,
      unchanged: plan.unchanged,
    };
    if (dryRun) {
      const messages = plan.changes.flatMap((c) => c.messages);
      this.options.onMessages?.(messages);
      this.#advance(page, { ...counts, ...countTypes(messages) }, false);
      return false;
    }

    // Changes that announce nothing (a baseline) commit straight away: no subscriber holds them.
    const silent = plan.changes.filter((c) => c.messages.length === 0);
    const silentConflicts = await this.#commitSilent(silent);
    let outcome: GroupOutcome = {
      sent: [],
      digests: 0,
      unpublished: 0,
      undeliverable: 0,
      conflicts: silentConflicts,
    };
    for (const group of intentGroups(plan.changes.filter((c) => c.messages.length > 0)))
      outcome = addOutcome(outcome, await this.#publishAndCommit(page, group));
    if (plan.refreshes.length > 0) {
      // No event rides on a refresh, so a conflict here loses nothing: a newer version won.
      const refreshed = await this.deps.store.commitSnapshots(appId, plan.refreshes);
      const ok = new Set(refreshed.committed);
      for (const { snapshot } of plan.refreshes) if (ok.has(snapshot.customerId)) this.#recent.set(snapshot);
    }
    if (outcome.conflicts > 0) {
      this.deps.log.warn(
        'Snapshot commits conflicted with a newer version; those customers are re-detected next poll.',
        { appId, conflicts: outcome.conflicts },
      );
    }

    const dirty = outcome.unpublished > 0 || outcome.conflicts > 0;
    this.#advance(
      page,
      {
        ...counts,
        ...countTypes(outcome.sent),
        invalid: counts.invalid + outcome.undeliverable,
        published: outcome.sent.length + outcome.digests,
        unpublished: outcome.unpublished,
        conflicts: outcome.conflicts,
      },
      dirty,
    );
    return plan.changes.length > 0 || plan.refreshes.length > 0 || dirty;
  }

  /** Reads the snapshots a page needs and diffs each customer against what subscribers may hold. */
  async #diffPage(page: CustomerPage): Promise<PagePlan> {
    const { store, clock, log } = this.deps;
    const { appId, watchedFields } = this.options;
    const byId = uniqueById(page.customers);
    // Hashes first; whole snapshots only for the customers whose hash differs (few, usually).
    const heads = await store.getSnapshotHeads(appId, [...byId.keys()]);
    let unchanged = 0;
    const candidates: [string, Customer][] = [];
    for (const [id, customer] of byId) {
      const recent = this.#recent.get(id);
      const head = recent ?? heads.get(id);
      const pending = recent ? recent.pending !== undefined : heads.get(id)?.pendingHash !== undefined;
      if (!pending && head && head.hash === canonicalContentHash(watchedValues(customer, watchedFields)))
        unchanged++;
      else candidates.push([id, customer]);
    }
    const toRead = candidates.filter(([id]) => heads.has(id) && !this.#recent.get(id)).map(([id]) => id);
    const stored = toRead.length > 0 ? await store.getSnapshots(appId, toRead) : new Map<string, Snapshot>();
    const detectedAt = clock().toISOString();

    const changes: PlannedChange[] = [];
    const refreshes: SnapshotCommit[] = [];
    let oversize = 0;
    for (const [id, customer] of candidates) {
      const known = this.#recent.get(id) ?? stored.get(id);
      const expectedVersion = known === undefined || known.version === 0 ? null : known.version;
      const change = diffAgainstPublished(known, customer, watchedFields);
      if (change.kind === 'unchanged') {
        unchanged++;
        if (change.refresh) refreshes.push({ snapshot: change.refresh, expectedVersion });
        continue;
      }
      const messages = this.#announces(change) ? buildMessages(change, { appId, detectedAt }) : [];
      // All or nothing: a change goes out whole, or the customer is rejected before any is sent.
      const problem = changeLimitProblem(messages);
      if (problem !== undefined) {
        oversize++;
        log.error('Skipped a customer whose change SNS cannot accept; none of its events was sent.', {
          appId,
          customerId: id,
          reason: problem,
        });
        continue;
      }
      changes.push({ change, expectedVersion, known, messages });
    }
    return { changes, refreshes, unchanged, oversize };
  }

  #logRejections(page: CustomerPage): void {
    if (page.rejections.length === 0) return;
    this.deps.log.warn('Skipped invalid customer records.', {
      appId: this.options.appId,
      offset: page.offset,
      invalid: page.rejections.length,
      reasons: page.rejections
        .slice(0, 5)
        .map(
          (r) =>
            `#${page.offset + r.index}${r.customerId === undefined ? '' : ` (id ${r.customerId})`}: ${r.reason}`,
        ),
      customerIds: page.rejections
        .flatMap((r) => (r.customerId === undefined ? [] : [r.customerId]))
        .slice(0, 20),
    });
  }

  /** Commits changes that announce nothing; returns the number of conflicts. */
  async #commitSilent(silent: readonly PlannedChange[]): Promise<number> {
    if (silent.length === 0) return 0;
    const { store } = this.deps;
    const { appId } = this.options;
    await this.#fence();
    // A baseline's first snapshots go in unconditional batches (see StateStore.createSnapshots).
    const blind =
      this.checkpoint.mode === 'baseline' ? silent.filter((c) => c.change.kind === 'created') : [];
    const conditional = silent.filter((c) => !blind.includes(c));
    if (blind.length > 0)
      await store.createSnapshots(
        appId,
        blind.map((c) => c.change.next),
      );
    for (const c of blind) this.#recent.set(c.change.next);
    const { committed, conflicts } =
      conditional.length > 0
        ? await store.commitSnapshots(
            appId,
            conditional.map((c) => ({ snapshot: c.change.next, expectedVersion: c.expectedVersion })),
          )
        : { committed: [], conflicts: [] };
    const ok = new Set(committed);
    for (const c of conditional) if (ok.has(c.change.customer.id)) this.#recent.set(c.change.next);
    return conflicts.length;
  }

  /**
   * Records the intent of a group of changes, publishes their messages, commits the changes
   * that went out whole, marks the rest pending (they may have gone out in part), and clears
   * the intent. A crash anywhere leaves the intent for the next poll to settle.
   */
  async #publishAndCommit(page: CustomerPage, group: readonly PlannedChange[]): Promise<GroupOutcome> {
    const { store, publisher, clock, log } = this.deps;
    const { appId, owner } = this.options;
    const messages = group.flatMap((c) => c.messages);
    await this.#fence();
    const until = this.#leaseUntil(clock().getTime());
    await store.recordIntent(
      appId,
      owner,
      group.map((c) => ({ customerId: c.change.customer.id, pending: pendingVersionOf(c.change) })),
      until,
    );
    this.#leaseExpiresAt = until.getTime();

    const result = await publisher.publish(messages);
    const publishedIds = new Set(result.published);
    const sent = messages.filter((m) => publishedIds.has(m.id));
    const retryable = result.failed.filter((f) => !f.permanent);
    if (retryable.length > 0) {
      log.warn('Some messages were not published; their customers stay uncommitted for the next poll.', {
        appId,
        failed: retryable.length,
        firstReason: retryable[0]?.reason,
      });
    }
    // A message SNS can never accept must not hold the watermark back for ever: its customer
    // is rejected like an invalid record (counted, logged by id), and stays uncommitted.
    const undeliverable = new Set<string>();
    for (const failure of result.failed.filter((f) => f.permanent)) {
      const message = messages.find((m) => m.id === failure.id);
      if (message && !undeliverable.has(message.customerId)) {
        undeliverable.add(message.customerId);
        log.error('Skipped a customer whose event SNS refused as invalid.', {
          appId,
          customerId: message.customerId,
          reason: failure.reason,
        });
      }
    }
    if (sent.length > 0) {
      this.options.onMessages?.(sent);
      await store.archive(appId, sent, clock());
    }
    const accepted = group.filter((c) => c.messages.every((m) => publishedIds.has(m.id)));
    // After the events, before the commit: a crash or a refusal leaves the customers it covers
    // uncommitted (pending), so the next poll sends the digest again with the same id.
    const digest = await this.#sendDigest({
      appId,
      changes: group.map((c) => c.change),
      messagesByCustomer: new Map(group.map((c) => [c.change.customer.id, c.messages])),
      ready: new Set(accepted.map((c) => c.change.customer.id)),
    });
    await this.options.onStep?.('published', page);

    await this.#fence();
    const whole = accepted.filter((c) => !digest.held.has(c.change.customer.id));
    const { committed, conflicts } =
      whole.length > 0
        ? await store.commitSnapshots(
            appId,
            whole.map((c) => ({ snapshot: c.change.next, expectedVersion: c.expectedVersion })),
          )
        : { committed: [], conflicts: [] };
    const committedIds = new Set(committed);
    for (const c of whole) if (committedIds.has(c.change.customer.id)) this.#recent.set(c.change.next);
    // Whatever may have reached a subscriber without being committed becomes the base of the
    // next diff: the same content is re-sent with the same id and sequence, other content
    // is a new change from it.
    const unsettled = group.filter((c) => !committedIds.has(c.change.customer.id));
    if (unsettled.length > 0) {
      const entries = unsettled.map((c) => ({
        customerId: c.change.customer.id,
        pending: pendingVersionOf(c.change),
      }));
      await store.markPending(appId, entries);
      for (const [i, c] of unsettled.entries()) {
        const pending = entries[i]?.pending;
        if (pending === undefined) continue;
        const committedPart = c.known ?? {
          customerId: c.change.customer.id,
          hash: '',
          fields: {},
          version: 0,
        };
        this.#recent.set({ ...withoutPending(committedPart), pending });
      }
    }
    await this.options.onStep?.('committed', page);
    await store.clearIntent(appId, owner);
    return {
      sent,
      digests: digest.sent ? 1 : 0,
      unpublished: retryable.length + (digest.held.size > 0 ? 1 : 0),
      undeliverable: undeliverable.size,
      conflicts: conflicts.length,
    };
  }

  /** The group's opt-out digest to the alerts topic, when there is one (lib/page-digest.ts). */
  async #sendDigest(input: PageDigestInput): Promise<PageDigestResult> {
    const alerts = this.deps.alerts;
    if (alerts === undefined) return { digest: null, sent: false, held: new Set() };
    return publishPageDigest(alerts, this.deps.log, input);
  }

  #advance(page: CustomerPage, counts: PollCounts, dirty: boolean): void {
    this.counts = addCounts(this.counts, counts);
    this.checkpoint = advanceScan(this.checkpoint, page, counts, dirty);
  }
}

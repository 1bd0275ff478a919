/**
 * One invocation's walk through the pages of a scan: fetch (with the next page prefetched),
 * check the ids for drift, hand each page to the page pipeline (page-handler.ts), advance the
 * scan and save its checkpoint. Stops at the first empty page, at the deadline or on an
 * interrupt, saving where it got to.
 */
import { fingerprintSeed, IdFingerprintSet } from '../core/id-fingerprint-set.ts';
import {
  addCounts,
  advanceScan,
  type Checkpoint,
  markDrifted,
  type PollCounts,
  rememberTail,
  ZERO_COUNTS,
} from '../core/scan-state.ts';
import type { PendingEntry } from '../core/types.ts';
import { settleIntent } from './commit.ts';
import { PollLease } from './lease.ts';
import type { PageContext } from './page-context.ts';
import { handlePage } from './page-handler.ts';
import { RecentCommits } from './recent-commits.ts';
import type { PollDependencies, PollOptions } from './types.ts';

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
export class ScanRun {
  /** Progress including pages processed but not yet checkpointed. */
  checkpoint: Checkpoint;
  /** The checkpoint as last written (what a crash would resume from). */
  savedCheckpoint: Checkpoint;
  counts: PollCounts = ZERO_COUNTS;
  reachedEnd = false;
  readonly #lease: PollLease;
  /** What each page's steps work with. */
  readonly #page: PageContext;
  #lastSaved: number;

  constructor(
    private readonly deps: PollDependencies,
    private readonly options: PollOptions,
    scan: Checkpoint,
    leaseTtlMs: number,
  ) {
    this.checkpoint = scan;
    this.savedCheckpoint = scan;
    this.#lastSaved = deps.clock().getTime();
    this.#lease = new PollLease({
      store: deps.store,
      clock: deps.clock,
      appId: options.appId,
      owner: options.owner,
      deadline: options.deadline,
      ttlMs: leaseTtlMs,
      expiresAt: this.#lastSaved + leaseTtlMs,
    });
    this.#page = { deps, options, mode: scan.mode, lease: this.#lease, recent: new RecentCommits() };
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
        const result = await handlePage(this.#page, page);
        this.counts = addCounts(this.counts, result.counts);
        this.checkpoint = advanceScan(this.checkpoint, page, result.counts, result.dirty);
        this.options.onProgress?.({ fetched: this.counts.fetched, offset: this.checkpoint.offset });
        this.checkpoint = rememberTail(this.checkpoint, ids, page.received);
        await this.#save(result.changed);
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
    const until = this.#lease.until(now.getTime());
    await this.deps.store.saveCheckpoint(this.options.appId, this.options.owner, this.checkpoint, until);
    this.#lease.extendedTo(until);
    this.savedCheckpoint = this.checkpoint;
    this.#lastSaved = now.getTime();
  }

  /** Settles the intent a previous poll left (see settleIntent). */
  settle(intent: readonly PendingEntry[]): Promise<void> {
    return settleIntent(this.#page, intent);
  }
}

/**
 * How a scan's state changes, as small pure functions (after Meltano singer-sdk's
 * `helpers/_state.py`): start a scan or resume its checkpoint, advance it past a page, mark it
 * drifted, and finish it into the one write that ends the invocation. The poll cycle
 * (lib/poll.ts) does the I/O; every rule about what its checkpoint and watermarks become is here.
 *
 * The types are plain data and live here so the rules need nothing outside lib/core;
 * lib/ports.ts re-exports them for the adapters.
 */
import { computeWindow } from './window.ts';

/** Which kind of scan a poll runs. */
export type ScanMode = 'baseline' | 'incremental' | 'resync';

export interface PollCounts {
  readonly fetched: number;
  readonly created: number;
  readonly updated: number;
  readonly optout_changed: number;
  readonly unchanged: number;
  readonly invalid: number;
  readonly published: number;
  readonly conflicts: number;
  readonly unpublished: number;
}

/** Progress of a scan that has not finished, saved after every page. */
export interface Checkpoint {
  readonly mode: ScanMode;
  /** The window the scan reads; kept fixed until the scan completes. */
  readonly updatedSince: string | null;
  /** The next offset to request. */
  readonly offset: number;
  /** When the scan's first invocation started (ISO): the watermark it earns on completion. */
  readonly startedAt: string;
  /** True when some change found in this scan was not published and committed. */
  readonly dirty: boolean;
  /** Counts accumulated across the invocations of this scan. */
  readonly totals: PollCounts;
  /**
   * True when the result set moved under the offsets during this scan (an id came back
   * other than at the head of the next page, or a resumed scan did not find where it
   * stopped): rows may have been skipped, so the scan does not move the watermark.
   */
  readonly drift?: boolean | undefined;
  /**
   * The last ids of the last page handled and that page's row count: a scan resumed in a
   * later invocation re-reads that page and must find one of these ids in it.
   */
  readonly tail?: readonly string[] | undefined;
  readonly tailRows?: number | undefined;
}

/** What one invocation of the poll did. */
export interface LastPoll {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: 'complete' | 'incomplete' | 'failed';
  readonly mode: ScanMode;
  readonly counts: PollCounts;
  /** One sentence, for failed polls. */
  readonly error?: string | undefined;
}

/** The two checkpoint slots: scheduled scans, and `resync`. */
export type CheckpointSlot = 'scan' | 'resync';

/** The slot a scan of this mode keeps its checkpoint in. */
export const slotOf = (mode: ScanMode): CheckpointSlot => (mode === 'resync' ? 'resync' : 'scan');

/** How a scan's invocation ends, written in one conditional update. */
export interface ScanEnd {
  /**
   * The new watermarks (the scan's start, and the start of the complete scan before it);
   * absent to keep the current ones.
   */
  readonly watermarks?: {
    readonly watermark: string;
    readonly previousWatermark: string | null;
  };
  /** Which checkpoint slot this scan uses (`resync` has its own). */
  readonly slot: CheckpointSlot;
  /** The checkpoint to keep for the next invocation, or null to clear it. */
  readonly checkpoint: Checkpoint | null;
  readonly lastPoll: LastPoll;
}

/** The part of an app's saved poll state a scan starts from. */
export interface SavedScans {
  readonly watermark: string | null;
  readonly previousWatermark: string | null;
  readonly checkpoint: Checkpoint | null;
  readonly resyncCheckpoint: Checkpoint | null;
}

/** The counts of nothing done: where an invocation's and a scan's totals start. */
export const ZERO_COUNTS: PollCounts = {
  fetched: 0,
  created: 0,
  updated: 0,
  optout_changed: 0,
  unchanged: 0,
  invalid: 0,
  published: 0,
  conflicts: 0,
  unpublished: 0,
};

/** Field-wise sum: a page's counts onto an invocation's, or onto a scan's totals. */
export function addCounts(a: PollCounts, b: PollCounts): PollCounts {
  return {
    fetched: a.fetched + b.fetched,
    created: a.created + b.created,
    updated: a.updated + b.updated,
    optout_changed: a.optout_changed + b.optout_changed,
    unchanged: a.unchanged + b.unchanged,
    invalid: a.invalid + b.invalid,
    published: a.published + b.published,
    conflicts: a.conflicts + b.conflicts,
    unpublished: a.unpublished + b.unpublished,
  };
}

/** A scan at offset 0 that has handled nothing yet. */
export function freshScan(mode: ScanMode, updatedSince: string | null, now: Date): Checkpoint {
  return { mode, updatedSince, offset: 0, startedAt: now.toISOString(), dirty: false, totals: ZERO_COUNTS };
}

/**
 * Where an invocation starts: the saved checkpoint of its slot, or a new scan over the window
 * the watermarks give (a baseline when there is none yet, see computeWindow). A resync has a
 * slot of its own, so a scheduled poll never erases an unfinished resync.
 * @throws Error from computeWindow when a saved watermark or `lookbackDays` is malformed.
 */
export function startScan(
  saved: SavedScans | null,
  options: { readonly resync?: boolean | undefined; readonly lookbackDays: number },
  now: Date,
): Checkpoint {
  const resumed = options.resync ? saved?.resyncCheckpoint : saved?.checkpoint;
  if (resumed) return resumed;
  if (options.resync) return freshScan('resync', null, now);
  const window = computeWindow({
    watermark: saved?.watermark ?? null,
    previousWatermark: saved?.previousWatermark ?? null,
    lookbackDays: options.lookbackDays,
  });
  return window.mode === 'baseline'
    ? freshScan('baseline', null, now)
    : freshScan('incremental', window.updatedSince, now);
}

/**
 * The scan past one handled page: the next offset follows the rows the page received, its
 * counts join the totals, and a page that left something unhandled makes the scan dirty for good.
 */
export function advanceScan(
  scan: Checkpoint,
  page: { readonly offset: number; readonly received: number },
  counts: PollCounts,
  dirty: boolean,
): Checkpoint {
  return {
    ...scan,
    offset: page.offset + page.received,
    dirty: scan.dirty || dirty,
    totals: addCounts(scan.totals, counts),
  };
}

/** How many ids of the last page a checkpoint keeps, to find where a resumed scan stopped. */
export const TAIL_IDS = 5;

/** The scan with the last ids of the page it just handled, for a resumed scan to look for. */
export function rememberTail(scan: Checkpoint, ids: readonly string[], received: number): Checkpoint {
  return { ...scan, tail: ids.slice(-TAIL_IDS), tailRows: received };
}

/** The scan marked drifted: rows moved under its offsets, so it will not move the watermark. */
export function markDrifted(scan: Checkpoint): Checkpoint {
  return { ...scan, drift: true };
}

/** How an invocation's walk through the pages ended, before its end is recorded. */
export type ScanVerdict =
  | { readonly outcome: 'complete' | 'incomplete' }
  | { readonly outcome: 'failed'; readonly error: string };

/**
 * A walk that reached the last page is complete when every change it found was published and
 * committed, failed (with the sentence that says why) when some was not; one stopped before
 * the last page (a deadline, an interrupt) is incomplete.
 */
export function judgeScan(scan: Checkpoint, reachedEnd: boolean): ScanVerdict {
  if (!reachedEnd) return { outcome: 'incomplete' };
  if (!scan.dirty) return { outcome: 'complete' };
  return {
    outcome: 'failed',
    error: `${scan.totals.unpublished} message(s) could not be published or ${scan.totals.conflicts} snapshot commit(s) conflicted; the watermark stays and the next poll reads the window again.`,
  };
}

/**
 * The watermarks a scan earns, or undefined when it earns none: only a complete, drift-free
 * scheduled scan with every change handled moves them. The new window then reaches back to
 * the start of the complete scan before this one (see computeWindow). A `resync` is an extra
 * full read and leaves the watermarks to the scheduled scans.
 */
export function earnedWatermarks(
  scan: Checkpoint,
  state: { readonly watermark: string | null } | null,
): ScanEnd['watermarks'] {
  if (scan.dirty || scan.drift || scan.mode === 'resync') return undefined;
  if (scan.mode === 'baseline') return { watermark: scan.startedAt, previousWatermark: null };
  return { watermark: scan.startedAt, previousWatermark: state?.watermark ?? null };
}

/**
 * The write that ends an invocation:
 * - complete: the checkpoint is cleared and the watermarks move if the scan earned them;
 * - reached the last page with something unhandled: the checkpoint is cleared, so the next
 *   poll starts the window over (the watermarks stay);
 * - stopped before the last page: the checkpoint as last saved is kept, so the next
 *   invocation resumes where a crash would have (not past pages it handled since).
 */
export function finishScan(input: {
  /** The scan including pages handled since the last save. */
  readonly scan: Checkpoint;
  /** The checkpoint as last written. */
  readonly saved: Checkpoint;
  readonly complete: boolean;
  readonly reachedEnd: boolean;
  /** The app's state when the invocation started (its watermark becomes the previous one). */
  readonly state: { readonly watermark: string | null } | null;
  readonly lastPoll: LastPoll;
}): ScanEnd {
  const { scan, lastPoll } = input;
  const slot = slotOf(scan.mode);
  if (input.complete) {
    const watermarks = earnedWatermarks(scan, input.state);
    return { ...(watermarks === undefined ? {} : { watermarks }), slot, checkpoint: null, lastPoll };
  }
  if (input.reachedEnd) return { slot, checkpoint: null, lastPoll };
  return { slot, checkpoint: input.saved, lastPoll };
}

/**
 * The rules of a reconciliation: which of an app's customers are announced deleted.
 *
 * Gleantap never says a customer was deleted; the only evidence is absence from a full scan
 * (no `updated_since`). Absence is weak evidence: a page can come back empty by mistake, an
 * offset can skip a row when the result set moves, a wrong app id returns nobody. So a
 * customer is announced deleted only when
 *
 * 1. this scan was **complete** (it reached the empty page that ends a scan) and **drift-free**
 *    (no id came back twice, the sign that rows moved under the offsets: a row that moved
 *    can also have been skipped);
 * 2. this scan found **at most `maxDeleteShare`** of the app's live customers missing
 *    (default 10 %, and always at least one customer unless the share is 0, so a studio of
 *    nine members can lose one without an alarm every day): more is far likelier an outage, a
 *    truncated answer or a wrong app id than a real purge, so the whole reconciliation
 *    publishes nothing, and the caller logs and alarms; an operator who did purge many members
 *    raises the share for one run. A scan that returned **no customer at all** from an app
 *    with live customers is refused whatever the allowance (unless the share is 1): that is
 *    the outage or the wrong app id, not a small app losing its last member;
 * 3. the customer was **also missing from the previous conclusive reconciliation** (one that
 *    passed 1 and 2). A single partial answer that slips under the threshold (one page lost,
 *    one skipped row) therefore deletes nobody: the same customer must be absent from two
 *    independent full scans, normally a day apart.
 *
 * A scan that fails 1 or 2 changes nothing: the suspects of the last conclusive one are kept,
 * so an outage day neither deletes nor confirms anybody.
 *
 * Pure: no I/O, no clock. The caller lists the snapshots and records what the scan saw.
 */

/** Share of an app's live customers a reconciliation may find missing before it refuses. */
export const DEFAULT_MAX_DELETE_SHARE = 0.1;

/** What the scan of a reconciliation found, besides the ids it saw. */
export interface ReconcileScan {
  /** The scan reached its end (an empty page). */
  readonly complete: boolean;
  /** An id came back twice: rows moved under the offsets, so some may have been skipped. */
  readonly drift: boolean;
}

/** Everything {@link decideDeletions} needs. */
export interface DeletionInput {
  readonly scan: ReconcileScan;
  /** Ids of the app's live snapshots (tombstones excluded), listed after the scan ended. */
  readonly live: Iterable<string>;
  /** Ids the scan returned, valid or rejected (a rejected record with an id still exists). */
  readonly seen: ReadonlySet<string>;
  /** The missing ids of the previous conclusive reconciliation; null when there was none. */
  readonly suspects: ReadonlySet<string> | null;
  /** 0..1; see {@link DEFAULT_MAX_DELETE_SHARE}. */
  readonly maxDeleteShare: number;
}

/** The outcome of one reconciliation. Only `conclusive` replaces the suspects. */
export type DeletionDecision =
  | {
      /** The scan is not evidence: it did not finish, or rows moved under it. */
      readonly verdict: 'inconclusive';
      readonly reason: 'incomplete' | 'drift';
    }
  | {
      /** Too many missing at once: publish nothing, log and alarm. */
      readonly verdict: 'refused';
      readonly live: number;
      readonly missing: number;
      /** The most the share allowed. */
      readonly allowed: number;
    }
  | {
      readonly verdict: 'conclusive';
      readonly live: number;
      /** Every live id the scan did not return, sorted: the suspects for next time. */
      readonly missing: readonly string[];
      /** The missing ids that were suspects already, sorted: announce these deleted. */
      readonly deletions: readonly string[];
    };

/**
 * The most customers a reconciliation over `live` customers may find missing.
 * @throws RangeError when `maxDeleteShare` is not a number in 0..1.
 */
export function deletionAllowance(live: number, maxDeleteShare: number): number {
  assertShare(maxDeleteShare);
  if (maxDeleteShare === 0 || live === 0) return 0;
  // The epsilon absorbs binary rounding: 0.29 * 100 is 28.999999999999996, and 29 is meant.
  return Math.max(1, Math.floor(live * maxDeleteShare + 1e-9));
}

/**
 * Applies the rules above.
 * @throws RangeError when `maxDeleteShare` is not a number in 0..1.
 */
export function decideDeletions(input: DeletionInput): DeletionDecision {
  assertShare(input.maxDeleteShare);
  if (!input.scan.complete) return { verdict: 'inconclusive', reason: 'incomplete' };
  if (input.scan.drift) return { verdict: 'inconclusive', reason: 'drift' };
  const live = new Set(input.live);
  const missing = [...live].filter((id) => !input.seen.has(id)).sort();
  const allowed = deletionAllowance(live.size, input.maxDeleteShare);
  const nobodySeen = input.seen.size === 0 && live.size > 0 && input.maxDeleteShare < 1;
  if (missing.length > allowed || nobodySeen) {
    return { verdict: 'refused', live: live.size, missing: missing.length, allowed };
  }
  const suspects = input.suspects;
  const deletions = suspects === null ? [] : missing.filter((id) => suspects.has(id));
  return { verdict: 'conclusive', live: live.size, missing, deletions };
}

function assertShare(share: number): void {
  if (!(typeof share === 'number' && share >= 0 && share <= 1)) {
    throw new RangeError(`maxDeleteShare must be a number from 0 to 1; got ${String(share)}.`);
  }
}

/**
 * Step 2 of a page: diff. Reads the snapshots triage asked for, diffs each candidate against
 * what subscribers may hold, and builds each change's messages, rejecting a customer whole
 * when one of its messages is beyond SNS's limits.
 */
import { diffAgainstPublished } from '../core/diff.ts';
import { buildMessages } from '../core/events.ts';
import { changeLimitProblem } from '../core/sns-limits.ts';
import type { Change, OutboundMessage, Snapshot } from '../core/types.ts';
import type { SnapshotCommit } from '../ports.ts';
import type { PageContext } from './page-context.ts';
import type { Triage } from './triage.ts';

/** One customer's change as a page plans it. */
export interface PlannedChange {
  readonly change: Exclude<Change, { kind: 'unchanged' }>;
  /** The committed version the change was diffed against (null: none committed). */
  readonly expectedVersion: number | null;
  /** The snapshot as read (committed part and pending version), if any. */
  readonly known: Snapshot | undefined;
  /** Its messages, each within SNS's limits; empty when the scan announces nothing. */
  readonly messages: readonly OutboundMessage[];
}

export interface PagePlan {
  readonly changes: readonly PlannedChange[];
  /** Snapshots to rewrite without an event (see diffAgainstPublished's `refresh`). */
  readonly refreshes: readonly SnapshotCommit[];
  /** Customers with no change: triage's, and candidates the diff found unchanged. */
  readonly unchanged: number;
  /** Customers rejected because one of their messages exceeds SNS's limits. */
  readonly oversize: number;
}

/**
 * Whether a change is published: always, except a first sighting within a baseline that
 * does not emit. A change against a snapshot is published even within a baseline (the
 * snapshot was written earlier in it, so the change happened during it). A customer the
 * baseline missed (rows moved under its offsets) is announced as `customer.created` by
 * the scan that first finds it: `created_date` cannot tell it from a new member imported
 * with a historical join date, and a suppressed creation would be lost for good.
 */
export function announces(
  change: Exclude<Change, { kind: 'unchanged' }>,
  mode: PageContext['mode'],
  emitBaseline: boolean,
): boolean {
  return change.kind !== 'created' || mode !== 'baseline' || emitBaseline;
}

/** Reads the snapshots a page needs and diffs each candidate against what subscribers may hold. */
export async function diffPage(ctx: PageContext, triage: Triage): Promise<PagePlan> {
  const { store, clock, log } = ctx.deps;
  const { appId, watchedFields } = ctx.options;
  const stored =
    triage.toRead.length > 0 ? await store.getSnapshots(appId, triage.toRead) : new Map<string, Snapshot>();
  const detectedAt = clock().toISOString();

  const changes: PlannedChange[] = [];
  const refreshes: SnapshotCommit[] = [];
  let unchanged = triage.unchanged;
  let oversize = 0;
  for (const customer of triage.candidates) {
    const id = customer.id;
    const known = ctx.recent.get(id) ?? stored.get(id);
    const expectedVersion = known === undefined || known.version === 0 ? null : known.version;
    const change = diffAgainstPublished(known, customer, watchedFields);
    if (change.kind === 'unchanged') {
      unchanged++;
      if (change.refresh) refreshes.push({ snapshot: change.refresh, expectedVersion });
      continue;
    }
    const messages = announces(change, ctx.mode, ctx.options.emitBaseline ?? false)
      ? buildMessages(change, { appId, detectedAt })
      : [];
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

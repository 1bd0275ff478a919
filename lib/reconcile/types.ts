/**
 * The reconciliation's public types: what it depends on, what it is asked to do, what it
 * reports. Apart from lib/reconcile.ts (which re-exports them) so the delete step
 * (lib/reconcile/delete-step.ts) can share them without an import cycle.
 */
import type { DeletionDecision } from '../core/reconcile.ts';
import type { OutboundMessage } from '../core/types.ts';
import type { CustomerSource, EventPublisher, Log, StateStore } from '../ports.ts';
import type { ReconcileStore } from '../reconcile-ports.ts';

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

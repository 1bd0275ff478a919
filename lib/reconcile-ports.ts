/**
 * The ports a reconciliation (lib/reconcile.ts) needs besides the poll's: where it records
 * what a full scan saw, lists an app's snapshots, and keeps the suspects between runs.
 */

/** A reconciliation scan in progress: its pages are recorded under its id. */
export interface ReconcileRun {
  /** The start time (ISO) of the run's first invocation; also its id. */
  readonly runId: string;
}

/** How the last reconciliation of an app ended (for `status` and the logs). */
export interface ReconcileRecord {
  readonly runId: string;
  readonly finishedAt: string;
  readonly verdict: 'conclusive' | 'refused' | 'inconclusive' | 'failed';
  readonly live: number;
  readonly missing: number;
  readonly deleted: number;
  /** One sentence when the verdict is not conclusive. */
  readonly reason?: string | undefined;
}

/** Per-app reconciliation state: one item, apart from the poll state, so polls never touch it. */
export interface ReconcileState {
  readonly appId: string;
  /** An unfinished run to resume, or null. */
  readonly run: ReconcileRun | null;
  /** The run whose missing ids are the current suspects, or null when none is known. */
  readonly suspectsRunId: string | null;
  readonly last: ReconcileRecord | null;
}

/** The ids one page of a reconciliation scan returned (valid and rejected records with an id). */
export interface SeenPage {
  readonly offset: number;
  /** Rows the page returned: the next page starts at offset + received. */
  readonly received: number;
  readonly ids: readonly string[];
}

/** One snapshot as a listing returns it: enough to tell live from deleted and to condition a write. */
export interface SnapshotListing {
  readonly customerId: string;
  readonly version: number;
  readonly deleted?: 'pending' | 'announced';
}

/** How a reconciliation invocation ends, written in one conditional update that releases the claim. */
export interface ReconcileEnd {
  /** The run to resume next time, or null to clear it. */
  readonly run: ReconcileRun | null;
  /** The new suspects' run; absent to keep the current one. */
  readonly suspectsRunId?: string;
  /** The outcome to record; null to keep the last one (a run paused at its deadline). */
  readonly last: ReconcileRecord | null;
}

/**
 * Storage of reconciliations. Request economy: one write per scanned page (never one per
 * customer), the suspects in chunks, and one listing of the app's snapshots per run.
 */
export interface ReconcileStore {
  /**
   * Claims the app's reconciliation (a lease of its own: polls keep running meanwhile) and
   * returns its state, with `newRun` as its run unless one is in progress; null when another
   * reconciliation holds an unexpired claim.
   */
  claim(
    appId: string,
    owner: string,
    now: Date,
    ttlMs: number,
    newRun: ReconcileRun,
  ): Promise<ReconcileState | null>;
  /** The state without claiming it (dry runs, `status`); null when the app never reconciled. */
  getState(appId: string): Promise<ReconcileState | null>;
  /** Extends the claim; throws LeaseLostError when another owner took it. */
  extend(appId: string, owner: string, claimExpiresAt: Date): Promise<void>;
  /** Records one page's ids: one item per page, expiring with the run's records. */
  recordPage(appId: string, runId: string, page: SeenPage, now: Date): Promise<void>;
  /** Every page recorded for a run, by offset. */
  readPages(appId: string, runId: string): Promise<SeenPage[]>;
  /** Every snapshot of the app, live and tombstones. */
  listSnapshots(appId: string): Promise<SnapshotListing[]>;
  /** Stores a run's missing ids (the next run's suspects), in chunks. */
  saveSuspects(appId: string, runId: string, ids: readonly string[], now: Date): Promise<void>;
  /** A run's missing ids; empty when they expired. */
  readSuspects(appId: string, runId: string): Promise<Set<string>>;
  /** Records how this invocation ended and releases the claim; throws LeaseLostError when lost. */
  finish(appId: string, owner: string, end: ReconcileEnd): Promise<void>;
  /** Gives the claim back if this owner still holds it (error paths). */
  release(appId: string, owner: string): Promise<void>;
}

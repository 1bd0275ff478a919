/**
 * The ports the poll cycle (lib/poll.ts) depends on. Adapters in lib/gleantap and lib/aws
 * implement them; tests can implement them with plain objects.
 */
import type { Checkpoint, LastPoll, ScanEnd } from './core/scan-state.ts';
import type {
  Customer,
  EventType,
  OutboundMessage,
  PendingEntry,
  Rejection,
  Snapshot,
} from './core/types.ts';

// The scan's state is plain data with pure rules over it (lib/core/scan-state.ts); re-exported
// here because the state store's port reads and writes it.
export {
  type Checkpoint,
  type CheckpointSlot,
  type LastPoll,
  type PollCounts,
  type ScanEnd,
  type ScanMode,
  slotOf,
} from './core/scan-state.ts';

/** One page of getCustomers, already parsed. */
export interface CustomerPage {
  /** The `offset` this page was requested with. */
  readonly offset: number;
  /** Rows the API returned (valid + invalid): the next offset is offset + received. */
  readonly received: number;
  readonly customers: readonly Customer[];
  readonly rejections: readonly Rejection[];
}

export interface PageRequest {
  readonly appId: string;
  /** `YYYY-MM-DD`; absent for a baseline or full scan. */
  readonly updatedSince?: string;
  readonly startOffset: number;
  /** 1..1000 */
  readonly pageSize: number;
  readonly signal?: AbortSignal;
}

/**
 * Gleantap getCustomers as an async sequence of pages: each next offset is the previous one
 * plus the rows received, and the sequence ends after the first empty page (a short page is
 * not the end: a server may cap `limit` or drop rows after applying it).
 */
export interface CustomerSource {
  pages(request: PageRequest): AsyncIterable<CustomerPage>;
}

/** Per-app poll state (one item: the lease lives on it, so every write can be conditioned on holding it). */
export interface PollState {
  readonly appId: string;
  /** Start time (ISO) of the last scan that completed drift-free with every change handled. */
  readonly watermark: string | null;
  /**
   * Start time (ISO) of the complete scan before the watermark's: the next window reaches
   * back to it, so every change is read by two complete scans. Null after the baseline
   * alone (the next scan then reads everything again).
   */
  readonly previousWatermark: string | null;
  /** The unfinished scheduled scan (baseline or incremental). */
  readonly checkpoint: Checkpoint | null;
  /** The unfinished `resync`; kept apart so scheduled polls never erase it. */
  readonly resyncCheckpoint: Checkpoint | null;
  readonly lastPoll: LastPoll | null;
  readonly lease: { readonly owner: string; readonly expiresAt: string } | null;
  /**
   * The write-ahead intent of a page whose poll did not get to clear it (a crash, a lost
   * lease): versions that may have been published without being committed. Empty when none.
   */
  readonly intent: readonly PendingEntry[];
}

/**
 * What a poll needs to tell an unchanged customer: the hash and version of its snapshot, and
 * whether a pending version (published, not committed) sits on it.
 */
export type SnapshotHead = Pick<Snapshot, 'customerId' | 'hash' | 'version'> & {
  readonly pendingHash?: string;
};

/**
 * A snapshot to write, conditioned on the committed version its diff was computed against
 * (null: nothing committed yet). Writing it removes any pending version it carried.
 */
export interface SnapshotCommit {
  readonly snapshot: Snapshot;
  readonly expectedVersion: number | null;
}

export interface CommitResult {
  readonly committed: readonly string[];
  /** Customer ids whose condition failed: someone else wrote a newer version. */
  readonly conflicts: readonly string[];
}

/** Thrown by the state store when a write finds that this poll no longer holds the lease. */
export class LeaseLostError extends Error {
  constructor(readonly appId: string) {
    super(`Lost the lease on app ${appId}: another poll took it over; stopping without further writes.`);
    this.name = 'LeaseLostError';
  }
}

export interface ArchiveQuery {
  readonly appId: string;
  /** ISO instant, inclusive. */
  readonly since: string;
  /** ISO instant, exclusive. */
  readonly until: string;
  readonly type?: EventType;
  readonly customerId?: string;
}

/**
 * The per-app poll state, the lease, snapshots and the event archive.
 *
 * Request economy matters here (see the README's Performance section): taking the lease also
 * returns the state, a checkpoint write also renews the lease, and ending a scan records the
 * outcome and gives the lease back in the same write.
 */
export interface StateStore {
  /**
   * Takes the lease (or renews our own) and returns the app's state as it is now, or null
   * when another owner holds an unexpired lease.
   */
  acquireLease(appId: string, owner: string, now: Date, ttlMs: number): Promise<PollState | null>;
  /** Gives the lease back if this owner still holds it (for error paths; endScan releases too). */
  releaseLease(appId: string, owner: string): Promise<void>;
  getPollState(appId: string): Promise<PollState | null>;
  /**
   * Records the write-ahead intent of the versions about to be published (replacing any
   * intent of this owner) and extends the lease, in one write conditioned on holding the
   * lease: a poller that lost its lease cannot record an intent, and so never publishes.
   * @throws LeaseLostError if another owner took the lease.
   */
  recordIntent(
    appId: string,
    owner: string,
    intent: readonly PendingEntry[],
    leaseExpiresAt: Date,
  ): Promise<void>;
  /** Clears the intent once its versions are committed or marked pending. @throws LeaseLostError as above. */
  clearIntent(appId: string, owner: string): Promise<void>;
  /** Extends the lease. @throws LeaseLostError if another owner took it. */
  renewLease(appId: string, owner: string, leaseExpiresAt: Date): Promise<void>;
  /**
   * Writes each pending version onto its customer's snapshot, where neither the committed
   * version nor a pending one already reached it (older markers never overwrite newer ones).
   */
  markPending(appId: string, entries: readonly PendingEntry[]): Promise<void>;
  /**
   * Saves progress (in the slot of the checkpoint's mode) and extends the lease; throws
   * LeaseLostError if another owner took it.
   */
  saveCheckpoint(appId: string, owner: string, checkpoint: Checkpoint, leaseExpiresAt: Date): Promise<void>;
  /** Records how this invocation ended and releases the lease; throws LeaseLostError as above. */
  endScan(appId: string, owner: string, end: ScanEnd): Promise<void>;
  /** Reads the hash and version of snapshots by customer id (missing ones are absent). */
  getSnapshotHeads(appId: string, customerIds: readonly string[]): Promise<Map<string, SnapshotHead>>;
  /** Reads whole snapshots by customer id (missing ones are absent from the map). */
  getSnapshots(appId: string, customerIds: readonly string[]): Promise<Map<string, Snapshot>>;
  commitSnapshots(appId: string, commits: readonly SnapshotCommit[]): Promise<CommitResult>;
  /**
   * Writes first snapshots without a condition, in batches (25 per request instead of one).
   * Only for a baseline scan under the lease, for customers the store has just reported absent:
   * no other writer can race it there, and a baseline is where the volume is.
   */
  createSnapshots(appId: string, snapshots: readonly Snapshot[]): Promise<void>;
  /** Stores published messages for replay (kept ARCHIVE_RETENTION_DAYS). */
  archive(appId: string, messages: readonly OutboundMessage[], now: Date): Promise<void>;
  readArchive(query: ArchiveQuery): AsyncIterable<OutboundMessage>;
}

export interface PublishFailure {
  readonly id: string;
  readonly reason: string;
  readonly permanent: boolean;
}

export interface PublishResult {
  /** Ids (OutboundMessage.id) that SNS accepted. */
  readonly published: readonly string[];
  /**
   * Ids that still failed after the bounded retries, with the last reason. `permanent`
   * failures (a message SNS can never accept, such as one over its size limit) are not
   * worth retrying on the next poll either.
   */
  readonly failed: readonly PublishFailure[];
}

/** Sends messages to the events topic. Never throws for per-message failures: it reports them. */
export interface EventPublisher {
  publish(messages: readonly OutboundMessage[]): Promise<PublishResult>;
}

/** What a topic needs of a message (an {@link OutboundMessage} is one). */
export type TopicMessage = Pick<
  OutboundMessage,
  'id' | 'message' | 'messageStructure' | 'subject' | 'attributes'
>;

/**
 * Sends staff alerts (opt-out digests) to the alerts topic. Never throws for per-message
 * failures: it reports them. The SNS publisher serves both ports, one instance per topic.
 */
export interface AlertPublisher {
  publish(messages: readonly TopicMessage[]): Promise<PublishResult>;
}

/** Structured log sink. Fields must never carry a customer's email, phone or name. */
export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

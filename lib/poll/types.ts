/**
 * The poll cycle's public types: what it depends on, what it is asked to do, what it reports.
 * Apart from lib/poll.ts (which re-exports them) so the steps in lib/poll/ can share them
 * without an import cycle.
 */
import type { OutboundMessage } from '../core/types.ts';
import type {
  AlertPublisher,
  CustomerPage,
  CustomerSource,
  EventPublisher,
  Log,
  PollCounts,
  ScanMode,
  StateStore,
} from '../ports.ts';

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

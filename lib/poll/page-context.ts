/**
 * What every step of the page pipeline works with: the ports, the poll's options, the scan's
 * mode, the lease and the invocation's recent commits.
 */
import type { ScanMode } from '../core/scan-state.ts';
import type { PollLease } from './lease.ts';
import type { RecentCommits } from './recent-commits.ts';
import type { PollDependencies, PollOptions } from './types.ts';

export interface PageContext {
  readonly deps: PollDependencies;
  readonly options: PollOptions;
  /** The mode of the scan the page belongs to (fixed for the scan). */
  readonly mode: ScanMode;
  readonly lease: PollLease;
  readonly recent: RecentCommits;
}

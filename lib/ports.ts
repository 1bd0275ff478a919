/**
 * The ports the poll cycle (lib/poll.ts) depends on. Adapters in lib/gleantap and lib/aws
 * implement them; tests can implement them with plain objects.
 */
import type { Customer, OutboundMessage, Rejection, Snapshot } from './core/types.ts';

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

/** Gleantap getCustomers as an async sequence of pages (stops after a short or empty page). */
export interface CustomerSource {
  pages(request: PageRequest): AsyncIterable<CustomerPage>;
}

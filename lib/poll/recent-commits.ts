/**
 * The snapshots one poll invocation wrote, so a customer seen again later in the same scan is
 * diffed against the newest version without a consistent read.
 */
import type { Snapshot } from '../core/types.ts';

/**
 * Five full pages. A drifted row reappears on the next page or the one after, seconds later,
 * long before the bound evicts it (and by then an eventually consistent read has settled).
 * A bound ten times larger kept most of a large baseline's snapshots alive; `npm run bench`
 * measures what is left (figure `live_heap_100k_vs_10k_baseline`).
 */
export const RECENT_COMMITS_LIMIT = 5_000;

/**
 * Snapshots this invocation committed (or marked pending), newest last. Bounded: past the
 * bound an eventually consistent read can at worst repeat an event with the same id, and its
 * commit then conflicts and the customer is re-detected.
 */
export class RecentCommits {
  readonly #map = new Map<string, Snapshot>();
  constructor(private readonly limit: number = RECENT_COMMITS_LIMIT) {}
  /** The newest snapshot this invocation wrote for the customer, if it is still kept. */
  get(id: string): Snapshot | undefined {
    return this.#map.get(id);
  }
  /** Keeps a written snapshot as the newest, evicting the oldest past the bound. */
  set(snapshot: Snapshot): void {
    this.#map.delete(snapshot.customerId);
    this.#map.set(snapshot.customerId, snapshot);
    if (this.#map.size > this.limit) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }
}

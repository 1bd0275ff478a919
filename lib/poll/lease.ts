/**
 * The poll's lease as this poller sees it: when it ends by its own clock, when a renewal
 * should make it end, and the fence that every publish and commit passes first.
 */
import type { StateStore } from '../ports.ts';

/** How long a lease outlives its poll's deadline: the page in hand finishes within it. */
export const LEASE_GRACE_MS = 60_000;

/**
 * Before publishing and before committing, a poller renews a lease that ends within this
 * margin by its own clock (clocks of two pollers may differ by a few seconds).
 */
export const LEASE_MARGIN_MS = 15_000;

export interface PollLeaseOptions {
  readonly store: Pick<StateStore, 'renewLease'>;
  readonly clock: () => Date;
  readonly appId: string;
  readonly owner: string;
  /** With a deadline, every renewal ends the lease LEASE_GRACE_MS after it. */
  readonly deadline: Date | undefined;
  /** Without a deadline, every renewal ends the lease this long after it. */
  readonly ttlMs: number;
  /** When the lease as taken ends (epoch ms, by this poller's clock). */
  readonly expiresAt: number;
}

/** This poller's lease: taken before the walk starts, extended by every write that renews it. */
export class PollLease {
  /** When the lease ends by this poller's clock, as last written. */
  #expiresAt: number;

  constructor(private readonly options: PollLeaseOptions) {
    this.#expiresAt = options.expiresAt;
  }

  /** When the lease ends if renewed at `now`: a deadline's grace, or the TTL from now. */
  until(now: number): Date {
    return this.options.deadline
      ? new Date(this.options.deadline.getTime() + LEASE_GRACE_MS)
      : new Date(now + this.options.ttlMs);
  }

  /** Records that a write conditioned on the lease (a checkpoint, an intent) extended it to `until`. */
  extendedTo(until: Date): void {
    this.#expiresAt = until.getTime();
  }

  /**
   * Fencing, before publishing and before committing: a lease within LEASE_MARGIN_MS of its
   * expiry (by this poller's own clock) is renewed first, with a write conditioned on still
   * holding it. A poller that lost its lease gets LeaseLostError here and stops.
   * @throws LeaseLostError from the store when another owner took the lease.
   */
  async fence(): Promise<void> {
    const now = this.options.clock().getTime();
    if (now + LEASE_MARGIN_MS < this.#expiresAt) return;
    const until = this.until(now);
    await this.options.store.renewLease(this.options.appId, this.options.owner, until);
    this.#expiresAt = until.getTime();
  }
}

/**
 * Step 1 of a page: triage. Each customer once (the API may repeat a row), then the content
 * hash sorts out the unchanged ones from a cheap read of snapshot heads, so whole snapshots
 * are read only for the few that may have changed.
 */
import { canonicalContentHash, watchedValues } from '../core/content-hash.ts';
import type { Customer } from '../core/types.ts';
import type { CustomerPage } from '../ports.ts';
import type { PageContext } from './page-context.ts';

export interface Triage {
  /** Customers whose snapshot hash matches, with no pending version on it. */
  readonly unchanged: number;
  /** The other customers, each once, in page order: they need a diff. */
  readonly candidates: readonly Customer[];
  /** Candidates with a stored snapshot this invocation has not written: their snapshots must be read. */
  readonly toRead: readonly string[];
}

/** A page's customers by id, the last occurrence winning (the API may repeat a row). */
export function uniqueById(customers: readonly Customer[]): Map<string, Customer> {
  const byId = new Map<string, Customer>();
  for (const customer of customers) {
    byId.delete(customer.id);
    byId.set(customer.id, customer);
  }
  return byId;
}

/**
 * Reads the page's snapshot heads (one batch) and sorts its customers into unchanged and
 * candidates. A snapshot this invocation wrote (RecentCommits) is newer than any read, so it
 * is used instead of the head.
 */
export async function triagePage(ctx: PageContext, page: CustomerPage): Promise<Triage> {
  const { recent } = ctx;
  const { appId, watchedFields } = ctx.options;
  const byId = uniqueById(page.customers);
  // Hashes first; whole snapshots only for the customers whose hash differs (few, usually).
  const heads = await ctx.deps.store.getSnapshotHeads(appId, [...byId.keys()]);
  let unchanged = 0;
  const candidates: Customer[] = [];
  for (const [id, customer] of byId) {
    const recentSnapshot = recent.get(id);
    const head = recentSnapshot ?? heads.get(id);
    const pending = recentSnapshot
      ? recentSnapshot.pending !== undefined
      : heads.get(id)?.pendingHash !== undefined;
    if (!pending && head && head.hash === canonicalContentHash(watchedValues(customer, watchedFields)))
      unchanged++;
    else candidates.push(customer);
  }
  const toRead = candidates.filter((c) => heads.has(c.id) && !recent.get(c.id)).map((c) => c.id);
  return { unchanged, candidates, toRead };
}

/** Logs a page's invalid records: their position and id, never their content. */
export function logRejections(ctx: PageContext, page: CustomerPage): void {
  if (page.rejections.length === 0) return;
  ctx.deps.log.warn('Skipped invalid customer records.', {
    appId: ctx.options.appId,
    offset: page.offset,
    invalid: page.rejections.length,
    reasons: page.rejections
      .slice(0, 5)
      .map(
        (r) =>
          `#${page.offset + r.index}${r.customerId === undefined ? '' : ` (id ${r.customerId})`}: ${r.reason}`,
      ),
    customerIds: page.rejections
      .flatMap((r) => (r.customerId === undefined ? [] : [r.customerId]))
      .slice(0, 20),
  });
}

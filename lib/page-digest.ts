/**
 * The opt-out digest step of the page pipeline (lib/poll.ts): after a page's events are
 * published and before its snapshots are committed, one digest of the page's opt-out changes
 * goes to the alerts topic. Until it is accepted, the customers it lists stay uncommitted, so
 * a crash or an SNS failure repeats the digest (with the same id: it is derived from the event
 * ids, which a repeated detection keeps) and never loses it.
 */
import { buildOptoutDigest, digestEntriesOf, type OptoutDigest } from './core/optout-digest.ts';
import type { Change, OutboundMessage } from './core/types.ts';
import type { AlertPublisher, Log } from './ports.ts';

export interface PageDigestInput {
  readonly appId: string;
  /** The page's changes. */
  readonly changes: readonly Change[];
  /** Each customer's messages of this page. */
  readonly messagesByCustomer: ReadonlyMap<string, readonly OutboundMessage[]>;
  /** Customers all of whose messages SNS accepted: only they are listed (the others are re-detected). */
  readonly ready: ReadonlySet<string>;
}

export interface PageDigest {
  readonly digest: OptoutDigest;
  /** The customers it covers (listed by name or counted in "and N more"). */
  readonly customers: ReadonlySet<string>;
}

export interface PageDigestResult {
  /** The digest of the page, or null when no ready customer changed an opt-out. */
  readonly digest: OptoutDigest | null;
  /** True when it reached the alerts topic. */
  readonly sent: boolean;
  /** Customers whose commit must wait: their digest failed in a way a retry may fix. */
  readonly held: ReadonlySet<string>;
}

/** The digest of a page's ready customers, or null when none of them changed an opt-out. */
export function pageDigest(input: PageDigestInput): PageDigest | null {
  const entries = input.changes
    .filter((change) => input.ready.has(change.customer.id))
    .flatMap((change) => digestEntriesOf(change, input.messagesByCustomer.get(change.customer.id) ?? []));
  const digest = buildOptoutDigest(input.appId, entries);
  return digest === null ? null : { digest, customers: new Set(entries.map((e) => e.customer.id)) };
}

/**
 * Publishes the page's digest to the alerts topic. Never throws for a refused digest: a
 * retryable failure holds its customers back from their commit (so the next poll re-detects
 * them and sends the digest again); a permanent one is logged and holds nothing back, as for
 * an event SNS can never accept, so it cannot stop the watermark for ever.
 */
export async function publishPageDigest(
  alerts: AlertPublisher,
  log: Log,
  input: PageDigestInput,
): Promise<PageDigestResult> {
  const page = pageDigest(input);
  if (page === null) return { digest: null, sent: false, held: new Set() };
  const { digest, customers } = page;
  const result = await alerts.publish([
    { id: digest.id, message: digest.text, subject: digest.subject, attributes: digest.attributes },
  ]);
  if (result.published.includes(digest.id)) return { digest, sent: true, held: new Set() };
  const failure = result.failed.find((f) => f.id === digest.id);
  const fields = { appId: input.appId, digestId: digest.id, reason: failure?.reason ?? 'not reported' };
  if (failure?.permanent) {
    log.error('The alerts topic refused the opt-out digest for good; its events were published.', fields);
    return { digest, sent: false, held: new Set() };
  }
  log.warn('The opt-out digest was not published; its customers stay uncommitted for the next poll.', fields);
  return { digest, sent: false, held: customers };
}

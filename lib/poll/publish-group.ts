/**
 * Step 3 of a page: publish. The changes that announce something go out in groups whose
 * write-ahead intent fits one write; each group's events are published, what SNS accepted is
 * archived, and the group's opt-out digest goes to the alerts topic. Nothing here commits.
 */
import { pendingVersionOf } from '../core/diff.ts';
import type { OutboundMessage } from '../core/types.ts';
import { type PageDigestResult, publishPageDigest } from '../page-digest.ts';
import type { PlannedChange } from './diff-page.ts';
import type { PageContext } from './page-context.ts';

/**
 * Largest write-ahead intent per write, in characters of its JSON: the state item that
 * carries it must stay under DynamoDB's 400 KB item limit with the checkpoint beside it.
 * A page whose changes need more is published in several groups, each with its intent.
 */
export const MAX_INTENT_CHARS = 300_000;

/** Splits changes into groups whose intent stays within MAX_INTENT_CHARS (one group, usually). */
export function intentGroups(
  changes: readonly PlannedChange[],
  maxChars: number = MAX_INTENT_CHARS,
): PlannedChange[][] {
  const groups: PlannedChange[][] = [];
  let current: PlannedChange[] = [];
  let size = 0;
  for (const c of changes) {
    const pending = pendingVersionOf(c.change);
    const cost = JSON.stringify(pending).length + c.change.customer.id.length + 32;
    if (current.length > 0 && size + cost > maxChars) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(c);
    size += cost;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** What publishing a group did. */
export interface PublishedGroup {
  /** The messages SNS accepted. */
  readonly sent: readonly OutboundMessage[];
  /** The changes all of whose messages SNS accepted: the only ones that may be committed. */
  readonly accepted: readonly PlannedChange[];
  /** Messages that failed in a way a later poll may fix: their customers stay uncommitted. */
  readonly retryable: number;
  /** Customers with a message SNS refused for good: rejected like invalid records. */
  readonly undeliverable: number;
  readonly digest: PageDigestResult;
}

/**
 * Publishes a group's messages, archives what SNS accepted, then sends the group's opt-out
 * digest (after the events, before the commit: a crash or a refusal leaves the customers it
 * covers uncommitted, so the next poll sends the digest again with the same id).
 */
export async function publishGroup(
  ctx: PageContext,
  group: readonly PlannedChange[],
): Promise<PublishedGroup> {
  const { store, publisher, clock, log } = ctx.deps;
  const { appId } = ctx.options;
  const messages = group.flatMap((c) => c.messages);
  const result = await publisher.publish(messages);
  const publishedIds = new Set(result.published);
  const sent = messages.filter((m) => publishedIds.has(m.id));
  const retryable = result.failed.filter((f) => !f.permanent);
  if (retryable.length > 0) {
    log.warn('Some messages were not published; their customers stay uncommitted for the next poll.', {
      appId,
      failed: retryable.length,
      firstReason: retryable[0]?.reason,
    });
  }
  // A message SNS can never accept must not hold the watermark back for ever: its customer
  // is rejected like an invalid record (counted, logged by id), and stays uncommitted.
  const undeliverable = new Set<string>();
  for (const failure of result.failed.filter((f) => f.permanent)) {
    const message = messages.find((m) => m.id === failure.id);
    if (message && !undeliverable.has(message.customerId)) {
      undeliverable.add(message.customerId);
      log.error('Skipped a customer whose event SNS refused as invalid.', {
        appId,
        customerId: message.customerId,
        reason: failure.reason,
      });
    }
  }
  if (sent.length > 0) {
    ctx.options.onMessages?.(sent);
    await store.archive(appId, sent, clock());
  }
  const accepted = group.filter((c) => c.messages.every((m) => publishedIds.has(m.id)));
  const digest = await sendDigest(ctx, group, accepted);
  return { sent, accepted, retryable: retryable.length, undeliverable: undeliverable.size, digest };
}

/** The group's opt-out digest to the alerts topic, when there is one (lib/page-digest.ts). */
async function sendDigest(
  ctx: PageContext,
  group: readonly PlannedChange[],
  accepted: readonly PlannedChange[],
): Promise<PageDigestResult> {
  const { alerts, log } = ctx.deps;
  if (alerts === undefined) return { digest: null, sent: false, held: new Set() };
  return publishPageDigest(alerts, log, {
    appId: ctx.options.appId,
    changes: group.map((c) => c.change),
    messagesByCustomer: new Map(group.map((c) => [c.change.customer.id, c.messages])),
    ready: new Set(accepted.map((c) => c.change.customer.id)),
  });
}

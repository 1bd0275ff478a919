/**
 * One page of a scan, in four steps over the ports: triage (lib/poll/triage.ts), diff
 * (diff-page.ts), publish (publish-group.ts) and commit (commit.ts). {@link sendGroup} holds
 * the order that makes publishing safe; {@link handlePage} strings the steps together and
 * counts what they did; the scan (scan-run.ts) advances by its result.
 */
import { type PollCounts, ZERO_COUNTS } from '../core/scan-state.ts';
import type { OutboundMessage } from '../core/types.ts';
import type { CustomerPage } from '../ports.ts';
import { commitGroup, commitRefreshes, commitSilent, recordIntent } from './commit.ts';
import { diffPage, type PagePlan, type PlannedChange } from './diff-page.ts';
import type { PageContext } from './page-context.ts';
import { intentGroups, publishGroup } from './publish-group.ts';
import { logRejections, triagePage } from './triage.ts';

/** What a page did, for the scan to advance by. */
export interface PageResult {
  readonly counts: PollCounts;
  /** True when something found on the page was not published and committed. */
  readonly dirty: boolean;
  /** True when the page changed any state (its checkpoint is then saved at once). */
  readonly changed: boolean;
}

/** What the groups of a page did. */
interface GroupOutcome {
  readonly sent: readonly OutboundMessage[];
  /** Opt-out digests the alerts topic accepted. */
  readonly digests: number;
  readonly unpublished: number;
  readonly undeliverable: number;
  readonly conflicts: number;
}

function addOutcome(a: GroupOutcome, b: GroupOutcome): GroupOutcome {
  return {
    sent: [...a.sent, ...b.sent],
    digests: a.digests + b.digests,
    unpublished: a.unpublished + b.unpublished,
    undeliverable: a.undeliverable + b.undeliverable,
    conflicts: a.conflicts + b.conflicts,
  };
}

/** Events of each type among messages (an opt-out event is neither created nor updated). */
export function countTypes(
  messages: readonly OutboundMessage[],
): Pick<PollCounts, 'created' | 'updated' | 'optout_changed'> {
  let created = 0;
  let updated = 0;
  let optout = 0;
  for (const m of messages) {
    if (m.type === 'customer.created') created++;
    else if (m.type === 'customer.updated') updated++;
    else optout++;
  }
  return { created, updated, optout_changed: optout };
}

/**
 * The product's guarantee, for one group of changes. In this order:
 * 1. record the intent: the versions about to go out, written ahead of them;
 * 2. publish the events (and the opt-out digest);
 * 3. commit only what was published whole; mark the rest pending, since it may have
 *    reached a subscriber in part;
 * 4. clear the intent.
 * Steps 1 and 3 are fenced: each first renews a lease close to its end, with a write
 * conditioned on still holding it, so a poller that lost its lease stops before it publishes
 * or commits. A crash between any two steps leaves the intent, which the next poll turns into
 * pending versions: a published change is never contradicted, at worst repeated with its id.
 */
async function sendGroup(
  ctx: PageContext,
  page: CustomerPage,
  group: readonly PlannedChange[],
): Promise<GroupOutcome> {
  await recordIntent(ctx, group);
  const published = await publishGroup(ctx, group);
  await ctx.options.onStep?.('published', page);
  const conflicts = await commitGroup(ctx, group, published);
  await ctx.options.onStep?.('committed', page);
  await ctx.deps.store.clearIntent(ctx.options.appId, ctx.options.owner);
  return {
    sent: published.sent,
    digests: published.digest.sent ? 1 : 0,
    unpublished: published.retryable + (published.digest.held.size > 0 ? 1 : 0),
    undeliverable: published.undeliverable,
    conflicts,
  };
}

/**
 * One page: triage (dedupe, hash check), diff (read, diff, build messages), then publish and
 * commit. In a dry run the messages go to `onMessages` and nothing is written.
 */
export async function handlePage(ctx: PageContext, page: CustomerPage): Promise<PageResult> {
  const triage = await triagePage(ctx, page);
  const plan = await diffPage(ctx, triage);
  logRejections(ctx, page);
  if (ctx.options.dryRun) {
    const messages = plan.changes.flatMap((c) => c.messages);
    ctx.options.onMessages?.(messages);
    return { counts: { ...pageCounts(page, plan), ...countTypes(messages) }, dirty: false, changed: false };
  }
  const outcome = await publishAndCommit(ctx, page, plan);
  const counts = pageCounts(page, plan);
  const dirty = outcome.unpublished > 0 || outcome.conflicts > 0;
  return {
    counts: {
      ...counts,
      ...countTypes(outcome.sent),
      invalid: counts.invalid + outcome.undeliverable,
      published: outcome.sent.length + outcome.digests,
      unpublished: outcome.unpublished,
      conflicts: outcome.conflicts,
    },
    dirty,
    changed: plan.changes.length > 0 || plan.refreshes.length > 0 || dirty,
  };
}

/**
 * Publishes and commits a page's plan: changes that announce nothing (a baseline's first
 * sightings) commit straight away, since no subscriber holds them; the others go out group by
 * group through {@link sendGroup}; refreshes, which no event rides on, are written last.
 */
async function publishAndCommit(ctx: PageContext, page: CustomerPage, plan: PagePlan): Promise<GroupOutcome> {
  let outcome: GroupOutcome = {
    sent: [],
    digests: 0,
    unpublished: 0,
    undeliverable: 0,
    conflicts: await commitSilent(
      ctx,
      plan.changes.filter((c) => c.messages.length === 0),
    ),
  };
  for (const group of intentGroups(plan.changes.filter((c) => c.messages.length > 0)))
    outcome = addOutcome(outcome, await sendGroup(ctx, page, group));
  // A conflict on a refresh loses nothing (a newer version won), so it is not counted.
  await commitRefreshes(ctx, plan.refreshes);
  if (outcome.conflicts > 0) {
    ctx.deps.log.warn(
      'Snapshot commits conflicted with a newer version; those customers are re-detected next poll.',
      { appId: ctx.options.appId, conflicts: outcome.conflicts },
    );
  }
  return outcome;
}

/** A page's counts before anything is published: rows, invalid records, unchanged customers. */
function pageCounts(page: CustomerPage, plan: PagePlan): PollCounts {
  return {
    ...ZERO_COUNTS,
    fetched: page.received,
    invalid: page.rejections.length + plan.oversize,
    unchanged: plan.unchanged,
  };
}

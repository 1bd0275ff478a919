/** Each step of the page pipeline (lib/poll/) on its own, over the in-memory store. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_WATCHED_FIELDS } from '../../lib/core/content-hash.ts';
import { diffAgainstPublished, pendingVersionOf } from '../../lib/core/diff.ts';
import type { Change } from '../../lib/core/types.ts';
import { commitGroup, commitSilent, settleIntent } from '../../lib/poll/commit.ts';
import { announces, diffPage, type PlannedChange } from '../../lib/poll/diff-page.ts';
import { LEASE_GRACE_MS, LEASE_MARGIN_MS, PollLease } from '../../lib/poll/lease.ts';
import { intentGroups, publishGroup } from '../../lib/poll/publish-group.ts';
import { RecentCommits } from '../../lib/poll/recent-commits.ts';
import { triagePage, uniqueById } from '../../lib/poll/triage.ts';
import { APP, customer, fixture, NOW, OWNER, pageOf, snapshotOf } from './page-fixture.ts';

type Found = Exclude<Change, { kind: 'unchanged' }>;

function planned(
  c: ReturnType<typeof customer>,
  known = undefined as ReturnType<typeof snapshotOf> | undefined,
): PlannedChange {
  const change = diffAgainstPublished(known, c, DEFAULT_WATCHED_FIELDS);
  if (change.kind === 'unchanged') throw new Error('fixture: no change');
  return { change, expectedVersion: known?.version ?? null, known, messages: [] };
}

describe('triage', () => {
  it('keeps the last row of a customer the page repeats', () => {
    const byId = uniqueById([customer(1, 'A'), customer(2), customer(1, 'B')]);
    expect([...byId.keys()]).toEqual(['2', '1']);
    expect(byId.get('1')?.last_location).toBe('B');
  });

  it('sorts out unchanged customers by hash and asks to read only stored snapshots of the others', async () => {
    const f = await fixture({ stored: [snapshotOf(customer(1)), snapshotOf(customer(2))] });
    const triage = await triagePage(f.ctx, pageOf([customer(1), customer(2, 'Moved'), customer(3)]));
    expect(triage.unchanged).toBe(1);
    expect(triage.candidates.map((c) => c.id)).toEqual(['2', '3']);
    expect(triage.toRead).toEqual(['2']);
  });

  it('treats a snapshot with a pending version as a candidate even when the hash matches', async () => {
    const base = snapshotOf(customer(1));
    const f = await fixture({ stored: [base] });
    await f.store.markPending(APP, [
      {
        customerId: '1',
        pending: { ...pendingVersionOf(planned(customer(1, 'X'), base).change), version: 2 },
      },
    ]);
    const triage = await triagePage(f.ctx, pageOf([customer(1)]));
    expect(triage.candidates.map((c) => c.id)).toEqual(['1']);
  });

  it('uses what this invocation committed instead of the stored head, and does not read it again', async () => {
    const f = await fixture({ stored: [snapshotOf(customer(1))] });
    f.ctx.recent.set({ ...snapshotOf(customer(1, 'Newer')), version: 2 });
    const triage = await triagePage(f.ctx, pageOf([customer(1, 'Newer')]));
    expect(triage).toEqual({ unchanged: 1, candidates: [], toRead: [] });
    const changed = await triagePage(f.ctx, pageOf([customer(1, 'Newest')]));
    expect(changed.toRead).toEqual([]);
  });
});

describe('diff', () => {
  it.each<[Found['kind'], 'baseline' | 'incremental' | 'resync', boolean, boolean]>([
    ['created', 'baseline', false, false],
    ['created', 'baseline', true, true],
    ['created', 'incremental', false, true],
    ['created', 'resync', false, true],
    ['updated', 'baseline', false, true],
  ])('a %s change in a %s scan (emitBaseline %s) is announced: %s', (kind, mode, emit, expected) => {
    const change =
      kind === 'created'
        ? planned(customer(1)).change
        : planned(customer(1, 'X'), snapshotOf(customer(1))).change;
    expect(announces(change, mode, emit)).toBe(expected);
  });

  it('builds the messages of each change against the version it read', async () => {
    const f = await fixture({ stored: [snapshotOf(customer(1))] });
    const plan = await diffPage(f.ctx, {
      unchanged: 4,
      candidates: [customer(1, 'X'), customer(2)],
      toRead: ['1'],
    });
    expect(plan.unchanged).toBe(4);
    expect(
      plan.changes.map((c) => [c.change.kind, c.expectedVersion, c.messages.map((m) => m.type)]),
    ).toEqual([
      ['updated', 1, ['customer.updated']],
      ['created', null, ['customer.created']],
    ]);
  });

  it('rejects a customer whole when a message of its change is over SNS limits, and logs its id', async () => {
    const f = await fixture();
    const plan = await diffPage(f.ctx, {
      unchanged: 0,
      candidates: [customer(1, 'x'.repeat(300_000)), customer(2)],
      toRead: [],
    });
    expect(plan.oversize).toBe(1);
    expect(plan.changes.map((c) => c.change.customer.id)).toEqual(['2']);
    expect(f.log.lines.filter((l) => l.includes('"customerId":"1"'))).toHaveLength(1);
  });
});

describe('publish', () => {
  it('splits changes into groups whose intent fits the limit, keeping their order', () => {
    const changes = [1, 2, 3, 4, 5].map((id) => planned(customer(id)));
    const one = JSON.stringify(pendingVersionOf(changes[0]?.change as Found)).length + 1 + 32;
    expect(intentGroups(changes).map((g) => g.length)).toEqual([5]);
    expect(intentGroups(changes, one * 2).map((g) => g.map((c) => c.change.customer.id))).toEqual([
      ['1', '2'],
      ['3', '4'],
      ['5'],
    ]);
    expect(intentGroups([])).toEqual([]);
  });

  it('accepts a change only when all its messages went out, and archives only what went out', async () => {
    const f = await fixture({
      stored: [snapshotOf(customer(2))],
      fault: (m) => (m.customerId === '2' && m.type === 'customer.optout_changed' ? 'retry' : undefined),
    });
    const candidates = [customer(1, 'X', 1), customer(2, 'X', 1)];
    const plan = await diffPage(f.ctx, { unchanged: 0, candidates, toRead: ['2'] });
    expect(plan.changes.map((c) => c.messages.length)).toEqual([1, 2]);
    const result = await publishGroup(f.ctx, plan.changes);
    expect(result.accepted.map((c) => c.change.customer.id)).toEqual(['1']);
    expect(result).toMatchObject({ retryable: 1, undeliverable: 0 });
    expect(f.store.archived.map((a) => [a.message.customerId, a.message.type])).toEqual([
      ['1', 'customer.created'],
      ['2', 'customer.updated'],
    ]);
    expect(result.sent.map((m) => m.id)).toEqual(f.store.archived.map((a) => a.message.id));
  });

  it('counts a customer SNS refuses for good once, however many of its messages it refused', async () => {
    const f = await fixture({ fault: (m) => (m.customerId === '1' ? 'permanent' : undefined) });
    const stored = snapshotOf(customer(1));
    const plan = await diffPage(
      { ...f.ctx, recent: withSnapshot(stored) },
      { unchanged: 0, candidates: [customer(1, 'X', 1)], toRead: [] },
    );
    expect(plan.changes[0]?.messages.length).toBe(2);
    const result = await publishGroup(f.ctx, plan.changes);
    expect(result).toMatchObject({ undeliverable: 1, retryable: 0, accepted: [] });
  });
});

function withSnapshot(snapshot: ReturnType<typeof snapshotOf>): RecentCommits {
  const recent = new RecentCommits();
  recent.set(snapshot);
  return recent;
}

describe('commit', () => {
  it('commits the accepted changes whose digest is not held, and marks every other one pending', async () => {
    const f = await fixture();
    const group = [1, 2, 3].map((id) => planned(customer(id)));
    const [one, two] = group as [PlannedChange, PlannedChange, PlannedChange];
    const conflicts = await commitGroup(f.ctx, group, {
      sent: [],
      accepted: [one, two],
      retryable: 1,
      undeliverable: 0,
      digest: { digest: null, sent: false, held: new Set(['2']) },
    });
    expect(conflicts).toBe(0);
    expect(f.store.snapshots.get(`${APP}#1`)).toMatchObject({ version: 1 });
    expect(f.store.snapshots.get(`${APP}#1`)?.pending).toBeUndefined();
    expect(f.store.snapshots.get(`${APP}#2`)).toMatchObject({ version: 0, pending: { version: 1 } });
    expect(f.store.snapshots.get(`${APP}#3`)).toMatchObject({ version: 0, pending: { version: 1 } });
    expect(f.ctx.recent.get('3')?.pending?.version).toBe(1);
  });

  it('writes a baseline first sighting blind, anything else conditioned on its version', async () => {
    const stored = snapshotOf(customer(2));
    const f = await fixture({ mode: 'baseline', stored: [stored] });
    const silent = [planned(customer(1)), planned(customer(2, 'X'), stored)];
    expect(await commitSilent(f.ctx, silent)).toBe(0);
    expect(f.calls).toEqual(['store.createSnapshots', 'store.commitSnapshots']);
    expect(f.store.snapshots.get(`${APP}#2`)?.version).toBe(2);
  });

  it('settles an intent left by a crash: its versions become pending and the intent is cleared', async () => {
    const f = await fixture();
    const entry = { customerId: '1', pending: pendingVersionOf(planned(customer(1)).change) };
    await f.store.recordIntent(APP, OWNER, [entry], new Date(NOW.getTime() + 60_000));
    await settleIntent(f.ctx, [entry]);
    expect(f.store.snapshots.get(`${APP}#1`)?.pending?.version).toBe(1);
    expect(f.store.states.get(APP)?.intent).toEqual([]);
  });
});

describe('lease', () => {
  const renewals: Date[] = [];
  const lease = (deadline: Date | undefined, expiresAt: number, now: () => number) =>
    new PollLease({
      store: { renewLease: async (_app, _owner, until) => void renewals.push(until) },
      clock: () => new Date(now()),
      appId: APP,
      owner: OWNER,
      deadline,
      ttlMs: 600_000,
      expiresAt,
    });

  it('ends a renewal the TTL after now, or a grace after the deadline', () => {
    const t = NOW.getTime();
    expect(lease(undefined, t, () => t).until(t)).toEqual(new Date(t + 600_000));
    const deadline = new Date(t + 30_000);
    expect(lease(deadline, t, () => t).until(t)).toEqual(new Date(deadline.getTime() + LEASE_GRACE_MS));
  });

  it('renews only within the margin of its end, and then counts from the renewal', async () => {
    renewals.length = 0;
    let now = NOW.getTime();
    const l = lease(undefined, NOW.getTime() + 60_000, () => now);
    await l.fence();
    expect(renewals).toEqual([]);
    now += 60_000 - LEASE_MARGIN_MS;
    await l.fence();
    expect(renewals).toEqual([new Date(now + 600_000)]);
    await l.fence();
    expect(renewals).toHaveLength(1);
  });
});

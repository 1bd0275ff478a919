import { describe, expect, it } from 'vitest';
import { LEASE_MARGIN_MS } from '../../lib/poll/lease.ts';
import { handlePage } from '../../lib/poll/page-handler.ts';
import { LeaseLostError } from '../../lib/ports.ts';
import { APP, customer, fixture, OWNER, pageOf, snapshotOf } from './page-fixture.ts';

const before = [customer(1), customer(2), customer(3)];
const stored = before.map(snapshotOf);
/** Customers 1 and 2 moved; 3 did not. */
const after = [customer(1, 'Uptown'), customer(2, 'Uptown'), customer(3)];

describe('handlePage: triage, diff, publish, commit', () => {
  it('records the intent, publishes, commits, clears the intent: in that order, nothing else', async () => {
    const f = await fixture({ stored });
    const result = await handlePage(f.ctx, pageOf(after));
    expect(f.calls).toEqual([
      'store.getSnapshotHeads',
      'store.getSnapshots',
      'store.recordIntent',
      'publisher.publish',
      'store.archive',
      'store.commitSnapshots',
      'store.clearIntent',
    ]);
    expect(result).toEqual({
      counts: expect.objectContaining({ fetched: 3, updated: 2, unchanged: 1, published: 2, unpublished: 0 }),
      dirty: false,
      changed: true,
    });
    expect(f.store.snapshots.get(`${APP}#1`)?.version).toBe(2);
    expect(f.store.states.get(APP)?.intent).toEqual([]);
  });

  it('holds the intent of exactly the versions it publishes while they are published', async () => {
    const f = await fixture({ stored });
    const intents: string[][] = [];
    f.ctx.deps.publisher.publish = async (messages) => {
      intents.push(
        (f.store.states.get(APP)?.intent ?? []).map((e) => `${e.customerId}@${e.pending.version}`),
      );
      return { published: messages.map((m) => m.id), failed: [] };
    };
    await handlePage(f.ctx, pageOf(after));
    expect(intents).toEqual([['1@2', '2@2']]);
  });

  it('commits only what was published; the rest becomes pending and the page is dirty', async () => {
    const f = await fixture({ stored, fault: (m) => (m.customerId === '2' ? 'retry' : undefined) });
    const result = await handlePage(f.ctx, pageOf(after));
    expect(f.store.snapshots.get(`${APP}#1`)).toMatchObject({ version: 2 });
    expect(f.store.snapshots.get(`${APP}#2`)).toMatchObject({ version: 1, pending: { version: 2 } });
    expect(result.dirty).toBe(true);
    expect(result.counts).toMatchObject({ published: 1, unpublished: 1, updated: 1 });
    expect(f.store.states.get(APP)?.intent).toEqual([]);
  });

  it('rejects a customer SNS refuses for good like an invalid record, without making the page dirty', async () => {
    const f = await fixture({ stored, fault: (m) => (m.customerId === '2' ? 'permanent' : undefined) });
    const result = await handlePage(f.ctx, pageOf(after));
    expect(result.dirty).toBe(false);
    expect(result.counts).toMatchObject({ invalid: 1, published: 1, unpublished: 0 });
    expect(f.store.snapshots.get(`${APP}#2`)).toMatchObject({ version: 1, pending: { version: 2 } });
    expect(
      f.log.lines.some((l) => l.includes('Skipped a customer whose event SNS refused as invalid.')),
    ).toBe(true);
  });

  it('publishes nothing when the lease was taken over (the intent write is fenced)', async () => {
    const f = await fixture({ stored });
    await f.store.releaseLease(APP, OWNER);
    await f.store.acquireLease(APP, 'someone-else', new Date(), 60_000);
    await expect(handlePage(f.ctx, pageOf(after))).rejects.toBeInstanceOf(LeaseLostError);
    expect(f.published).toEqual([]);
    expect(f.calls).not.toContain('publisher.publish');
    expect(f.store.snapshots.get(`${APP}#1`)?.version).toBe(1);
  });

  it('renews a lease close to its end before recording the intent and before committing', async () => {
    const f = await fixture({ stored, leaseMs: 60_000 });
    f.advance(60_000 - LEASE_MARGIN_MS);
    await handlePage(f.ctx, pageOf(after));
    expect(f.calls.slice(2, 4)).toEqual(['store.renewLease', 'store.recordIntent']);
  });

  it('commits a baseline first sighting at once, unconditionally, and publishes nothing', async () => {
    const f = await fixture({ mode: 'baseline' });
    const result = await handlePage(f.ctx, pageOf(before));
    expect(f.calls).toEqual(['store.getSnapshotHeads', 'store.createSnapshots']);
    expect(result.counts).toMatchObject({ fetched: 3, published: 0, created: 0 });
    expect(f.store.snapshots.size).toBe(3);
  });

  it('in a dry run only reads, and hands the messages to onMessages', async () => {
    const seen: string[] = [];
    const f = await fixture({
      stored,
      options: { dryRun: true, onMessages: (ms) => seen.push(...ms.map((m) => m.customerId)) },
    });
    const result = await handlePage(f.ctx, pageOf(after));
    expect(f.calls).toEqual(['store.getSnapshotHeads', 'store.getSnapshots']);
    expect(seen).toEqual(['1', '2']);
    expect(result).toEqual({ counts: expect.objectContaining({ updated: 2 }), dirty: false, changed: false });
  });

  it('sends the opt-out digest after the events and before the commit; a refused digest holds its customers back', async () => {
    const f = await fixture({ stored, alertsFault: 'retry' });
    const result = await handlePage(
      f.ctx,
      pageOf([customer(1, 'Downtown', 1), customer(2, 'Uptown'), customer(3)]),
    );
    expect(f.calls.indexOf('alerts.publish')).toBeGreaterThan(f.calls.indexOf('publisher.publish'));
    expect(f.calls.indexOf('alerts.publish')).toBeLessThan(f.calls.indexOf('store.commitSnapshots'));
    expect(f.store.snapshots.get(`${APP}#1`)).toMatchObject({ version: 1, pending: { version: 2 } });
    expect(f.store.snapshots.get(`${APP}#2`)).toMatchObject({ version: 2 });
    expect(result).toMatchObject({ dirty: true, counts: { unpublished: 1 } });
  });
});

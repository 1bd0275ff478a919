import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CustomerUpdatedEvent } from '../../lib/core/event-types.ts';
import { pollApp } from '../../lib/poll.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const APP = 'gym-1';

describe('poll cycle against dynalite, the SNS stand-in and the Gleantap simulator', () => {
  let h: Harness;
  let ids: string[];

  beforeEach(async () => {
    h = await startHarness({ appIds: [APP] });
    ids = h.stack.gleantap.app(APP).seed(250, { seed: 3 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('records a baseline without publishing, then publishes exactly the changes made', async () => {
    const app = h.stack.gleantap.app(APP);
    const baseline = await pollApp(h.deps(), h.options(APP));
    expect(baseline).toMatchObject({
      outcome: 'complete',
      mode: 'baseline',
      fetched: 250,
      published: 0,
      created: 0,
    });
    expect(h.stack.sns.messages()).toHaveLength(0);

    const [a, b, c, d] = [String(ids[0]), String(ids[1]), String(ids[2]), String(ids[3])] as const;
    const before = app.get(a);
    app.update(a, { last_location: 'Nowhere Street 1', lastname: 'Changed' });
    app.setOptout(b, 'email', true);
    app.setOptout(b, 'sms', true);
    app.touch(c);
    const created = app.create({
      firstname: 'New',
      lastname: 'Member',
      email: 'new@example.com',
      email_optout: 0,
      sms_optout: 0,
    });
    app.update(d, { email_optout: app.get(d)?.email_optout ?? 0 });

    const first = await pollApp(h.deps(), h.options(APP));
    expect(first).toMatchObject({
      outcome: 'complete',
      mode: 'incremental',
      created: 1,
      updated: 2,
      optout_changed: 2,
      published: 5,
      invalid: 0,
    });
    expect(first.unchanged).toBe(first.fetched - 3);

    const events = h.events();
    expect(events.map((e) => `${e.type} ${e.subject}`).sort()).toEqual(
      [
        `customer.created ${created}`,
        `customer.updated ${a}`,
        `customer.updated ${b}`,
        `customer.optout_changed ${b}`,
        `customer.optout_changed ${b}`,
      ].sort(),
    );
    const updateA = events.find(
      (e): e is CustomerUpdatedEvent => e.type === 'customer.updated' && e.subject === a,
    );
    expect(updateA?.data.changed_fields).toEqual(['last_location', 'lastname']);
    expect(updateA?.data.previous).toEqual({
      last_location: before?.last_location,
      lastname: before?.lastname,
    });
    expect(updateA?.sequence).toBe('000000000002');
    const channels = events
      .filter((e) => e.type === 'customer.optout_changed')
      .map((e) => (e.type === 'customer.optout_changed' ? e.data.channel : ''));
    expect(channels.sort()).toEqual(['email', 'sms']);

    // A poll with no change publishes nothing.
    const quiet = await pollApp(h.deps(), h.options(APP));
    expect(quiet).toMatchObject({
      outcome: 'complete',
      published: 0,
      created: 0,
      updated: 0,
      optout_changed: 0,
    });
    expect(h.stack.sns.messages()).toHaveLength(5);

    // Sequence grows by one per committed change.
    app.update(a, { last_location: 'Second Street 2' });
    await pollApp(h.deps(), h.options(APP));
    const again = h.events().filter((e) => e.subject === a);
    expect(again.map((e) => e.sequence)).toEqual(['000000000002', '000000000003']);
    const state = await h.store.getPollState(APP);
    expect(state?.watermark).not.toBeNull();
    expect(state?.checkpoint).toBeNull();
    expect(state?.lease).toBeNull();
  });

  it('emits created events for a baseline only when asked', async () => {
    const summary = await pollApp(h.deps(), h.options(APP, { emitBaseline: true }));
    expect(summary).toMatchObject({ mode: 'baseline', created: 250, published: 250 });
    expect(new Set(h.events().map((e) => e.id)).size).toBe(250);
    expect(h.events().every((e) => e.type === 'customer.created' && e.sequence === '000000000001')).toBe(
      true,
    );
  });

  it('two polls at once never double an event', async () => {
    await pollApp(h.deps(), h.options(APP));
    const app = h.stack.gleantap.app(APP);
    for (const id of ids.slice(0, 40)) app.update(id, { last_location: `Moved ${id}` });
    const results = await Promise.all([pollApp(h.deps(), h.options(APP)), pollApp(h.deps(), h.options(APP))]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['complete', 'lease_held']);
    const published = h.events().map((e) => e.id);
    expect(published).toHaveLength(40);
    expect(new Set(published).size).toBe(40);
  });

  it('a crash between publish and commit re-publishes the same ids on the next poll and loses nothing', async () => {
    await pollApp(h.deps(), h.options(APP));
    const app = h.stack.gleantap.app(APP);
    const changed = ids.slice(100, 160);
    for (const id of changed) app.update(id, { phone: `+1999${id}` });

    let crashed = false;
    const crashing = await pollApp(
      h.deps(),
      h.options(APP, {
        leaseTtlMs: 1,
        onStep: (step, page) => {
          if (step === 'published' && page.offset === 100 && !crashed) {
            crashed = true;
            throw new Error('injected crash after publish, before commit');
          }
        },
      }),
    );
    expect(crashing.outcome).toBe('failed');
    const firstIds = h.events().map((e) => e.id);
    expect(firstIds.length).toBeGreaterThan(0);

    const recovery = await pollApp(h.deps(), h.options(APP));
    expect(recovery.outcome).toBe('complete');
    const all = h.events();
    const bySubject = new Map<string, Set<string>>();
    for (const e of all) bySubject.set(e.subject, (bySubject.get(e.subject) ?? new Set()).add(e.id));
    // Every changed customer got its event; a repeat carries the identical id.
    expect([...bySubject.keys()].sort()).toEqual([...changed].sort());
    for (const idsOfCustomer of bySubject.values()) expect(idsOfCustomer.size).toBe(1);
    for (const id of firstIds) expect(all.filter((e) => e.id === id).length).toBeGreaterThanOrEqual(2);
    // Nothing left to find.
    const quiet = await pollApp(h.deps(), h.options(APP));
    expect(quiet.published).toBe(0);
  });

  it('a poll stopped at its deadline resumes from its checkpoint and completes', async () => {
    await pollApp(h.deps(), h.options(APP));
    const app = h.stack.gleantap.app(APP);
    for (const id of ids) app.update(id, { last_location: `Relocated ${id}` });

    let now = Date.now();
    const clock = () => new Date(now);
    const deadline = new Date(now + 1_000);
    const first = await pollApp(
      h.deps({ clock }),
      h.options(APP, {
        deadline,
        onStep: (step) => {
          if (step === 'committed') now += 600;
        },
      }),
    );
    expect(first).toMatchObject({ outcome: 'incomplete', complete: false, updated: 200 });
    const state = await h.store.getPollState(APP);
    expect(state?.checkpoint?.offset).toBe(200);
    const watermarkBefore = state?.watermark;

    const second = await pollApp(h.deps(), h.options(APP));
    expect(second).toMatchObject({ outcome: 'complete', complete: true, updated: 50 });
    const after = await h.store.getPollState(APP);
    expect(after?.checkpoint).toBeNull();
    expect(after?.watermark).not.toBe(watermarkBefore);
    expect(new Set(h.events().map((e) => e.subject)).size).toBe(250);
    expect(h.events()).toHaveLength(250);
  });

  it('replay re-publishes archived events with the same ids', async () => {
    await pollApp(h.deps(), h.options(APP));
    const app = h.stack.gleantap.app(APP);
    for (const id of ids.slice(0, 12)) app.setOptout(id, 'sms', true);
    const since = new Date(Date.now() - 60_000).toISOString();
    await pollApp(h.deps(), h.options(APP));
    const original = h
      .events()
      .map((e) => e.id)
      .sort();
    expect(original.length).toBeGreaterThanOrEqual(12);

    const archived = [];
    for await (const m of h.store.readArchive({
      appId: APP,
      since,
      until: new Date(Date.now() + 60_000).toISOString(),
    }))
      archived.push(m);
    expect(archived.map((m) => m.id).sort()).toEqual(original);
    const onlyOptouts = [];
    for await (const m of h.store.readArchive({
      appId: APP,
      since,
      until: new Date(Date.now() + 60_000).toISOString(),
      type: 'customer.optout_changed',
    })) {
      onlyOptouts.push(m);
    }
    expect(onlyOptouts.every((m) => m.type === 'customer.optout_changed')).toBe(true);
    expect(onlyOptouts.length).toBeGreaterThan(0);
  });
});

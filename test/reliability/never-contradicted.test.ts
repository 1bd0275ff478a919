/**
 * Issue 11, "Events a subscriber can trust": one test per situation in which a subscriber
 * following the README rule (test/support/subscriber-model.ts) used to end permanently wrong.
 * Each runs the real adapters against dynalite, the SNS stand-in and the Gleantap simulator;
 * the judge is the subscriber model, fed every event the stand-in accepted, in order.
 *
 * Baselines here publish `customer.created` for everyone (emitBaseline), so the model's
 * mirror starts complete and must end equal to the simulator's population.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedApp } from '../../dev/gleantap-simulator.ts';
import { parseMembersPage } from '../../lib/core/customer.ts';
import { pollApp } from '../../lib/poll.ts';
import type { CustomerSource, EventPublisher, StateStore } from '../../lib/ports.ts';
import { type Harness, recordingLog, startHarness } from '../support/harness.ts';
import { SubscriberModel } from '../support/subscriber-model.ts';
import { groundTruth } from './fault-matrix.ts';

let h: Harness;
let next = 0;

beforeAll(async () => {
  h = await startHarness({ appIds: ['trust'] });
});
afterAll(async () => {
  await h?.close();
});

/** A fresh app with `count` members and a baseline that announced all of them. */
async function freshApp(count = 8): Promise<{ appId: string; app: SimulatedApp; ids: string[] }> {
  const appId = `trust-${++next}`;
  const app = h.stack.gleantap.app(appId);
  const ids = app.seed(count, { seed: next });
  const baseline = await pollApp(h.deps(), h.options(appId, { emitBaseline: true }));
  expect(baseline.outcome).toBe('complete');
  return { appId, app, ids };
}

const population = groundTruth;

const sourceOf = (appId: string) => `gleantap:app/${appId}`;

/** The subscriber model after every event of `appId` the stand-in accepted, in order. */
function judge(appId: string): SubscriberModel {
  const model = new SubscriberModel();
  model.applyAll(h.events().filter((e) => e.source === sourceOf(appId)));
  return model;
}

function eventsOf(appId: string, customerId: string) {
  return h.events().filter((e) => e.source === sourceOf(appId) && e.subject === customerId);
}

/** Publishes through the real publisher, but SNS keeps refusing (retryably) the messages `refuse` picks. */
function refusing(refuse: (type: string) => boolean): EventPublisher {
  return {
    async publish(messages) {
      const result = await h.publisher.publish(messages.filter((m) => !refuse(m.type)));
      const refused = messages
        .filter((m) => refuse(m.type))
        .map((m) => ({ id: m.id, reason: 'Throttled: Rate exceeded', permanent: false }));
      return { published: result.published, failed: [...result.failed, ...refused] };
    },
  };
}

/** The harness store, except that the first snapshot commit throws (a throttle that outlasted retries). */
function commitThrowsOnce(): StateStore {
  let thrown = false;
  return new Proxy(h.store, {
    get(target, property) {
      if (property === 'commitSnapshots' && !thrown)
        return async () => {
          thrown = true;
          throw new Error('ProvisionedThroughputExceededException: injected after the publish');
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('a published change is never contradicted', () => {
  it('published in part, then reverted: the revert is announced as a new change', async () => {
    const { appId, app, ids } = await freshApp();
    const id = ids[0] ?? '';
    app.setOptout(id, 'email', true);
    expect((await pollApp(h.deps(), h.options(appId))).outcome).toBe('complete');

    // Opts back in: SNS takes the customer.updated and refuses the opt-out on every retry.
    app.setOptout(id, 'email', false);
    const partial = await pollApp(
      h.deps({ publisher: refusing((type) => type === 'customer.optout_changed') }),
      h.options(appId),
    );
    expect(partial).toMatchObject({ outcome: 'failed', published: 1, unpublished: 1 });

    // Opts out again before the next poll: back to the committed content.
    app.setOptout(id, 'email', true);
    expect((await pollApp(h.deps(), h.options(appId))).outcome).toBe('complete');

    const model = judge(appId);
    expect(model.differences(sourceOf(appId), population(app))).toEqual([]);
    expect(model.sequenceConflicts()).toEqual([]);
    const last = eventsOf(appId, id).filter((e) => e.sequence === '000000000004');
    expect(last.map((e) => e.type).sort()).toEqual(['customer.optout_changed', 'customer.updated']);
    const optout = last.find((e) => e.type === 'customer.optout_changed');
    expect(optout?.type === 'customer.optout_changed' && optout.data).toMatchObject({
      opted_out: true,
      previous_opted_out: false,
      previous: { email_optout: 0 },
    });
    expect(model.mirror(sourceOf(appId)).get(id)).toMatchObject({ email_optout: 1 });
  });

  it('published, commit failed, changed again: the next change gets the next sequence', async () => {
    const { appId, app, ids } = await freshApp();
    const id = ids[1] ?? '';
    app.update(id, { last_location: 'First' });
    const failed = await pollApp(h.deps({ store: commitThrowsOnce() }), h.options(appId));
    expect(failed).toMatchObject({ outcome: 'failed' });
    expect(eventsOf(appId, id).map((e) => e.sequence)).toEqual(['000000000001', '000000000002']);

    app.update(id, { last_location: 'Second' });
    expect((await pollApp(h.deps(), h.options(appId))).outcome).toBe('complete');

    const updates = eventsOf(appId, id).filter((e) => e.type === 'customer.updated');
    expect(updates.map((e) => [e.sequence, e.data.customer.last_location])).toEqual([
      ['000000000002', 'First'],
      ['000000000003', 'Second'],
    ]);
    expect(updates[1]?.type === 'customer.updated' && updates[1].data.previous).toEqual({
      last_location: 'First',
    });
    const model = judge(appId);
    expect(model.sequenceConflicts()).toEqual([]);
    expect(model.differences(sourceOf(appId), population(app))).toEqual([]);
  });

  it('a stale lease holder stops, and what it published late cannot win', async () => {
    const { appId, app, ids } = await freshApp();
    const id = ids[2] ?? '';
    app.update(id, { last_location: 'Stale' });

    // Poller A sleeps inside its publish (a laptop lid closed), after recording its intent.
    let wake = () => {};
    const asleep = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let reached = () => {};
    const atPublish = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let skew = 0;
    const clockA = () => new Date(Date.now() + skew);
    const sleepy: EventPublisher = {
      async publish(messages) {
        reached();
        await asleep;
        return h.publisher.publish(messages);
      },
    };
    const a = pollApp(
      h.deps({ publisher: sleepy, clock: clockA }),
      h.options(appId, { owner: 'poller-a', leaseTtlMs: 60_000 }),
    );
    await atPublish;

    // Two minutes later A's lease has expired; B takes over while the customer changes again.
    app.update(id, { last_location: 'Fresh' });
    const later = () => new Date(Date.now() + 120_000);
    const b = await pollApp(h.deps({ clock: later }), h.options(appId, { owner: 'poller-b' }));
    expect(b.outcome).toBe('complete');

    skew = 120_000;
    wake();
    const stale = await a;
    expect(stale.outcome).toBe('failed');
    expect(stale.error).toMatch(/lease/i);

    const model = judge(appId);
    expect(model.sequenceConflicts()).toEqual([]);
    expect(model.differences(sourceOf(appId), population(app))).toEqual([]);
    const snapshot = (await h.store.getSnapshots(appId, [id])).get(id);
    expect(snapshot?.fields.last_location).toBe('Fresh');
    expect(snapshot?.pending).toBeUndefined();
  });

  it('an opt-out message over 256 KiB while its update fits: nothing of the change goes out', async () => {
    const { appId, app, ids } = await freshApp();
    const id = ids[3] ?? '';
    // Quotes double in the update's JSON and double again inside the opt-out's `default`.
    app.update(id, { lastname: '"'.repeat(70_000) });
    app.setOptout(id, 'sms', population(app).get(id)?.sms_optout === 0);
    const log = recordingLog();
    const summary = await pollApp(h.deps({ log }), h.options(appId));
    expect(summary).toMatchObject({ outcome: 'complete', invalid: 1, published: 0 });
    expect(eventsOf(appId, id).map((e) => e.type)).toEqual(['customer.created']);
    expect(log.lines.some((l) => l.includes('SNS cannot accept') && l.includes(`"customerId":"${id}"`))).toBe(
      true,
    );

    // Once the record fits again, the change goes out whole, from the last published version.
    app.update(id, { lastname: 'Short' });
    expect((await pollApp(h.deps(), h.options(appId))).outcome).toBe('complete');
    expect(eventsOf(appId, id).map((e) => [e.type, e.sequence])).toEqual([
      ['customer.created', '000000000001'],
      ['customer.updated', '000000000002'],
      ['customer.optout_changed', '000000000002'],
    ]);
    expect(judge(appId).differences(sourceOf(appId), population(app))).toEqual([]);
  });

  it('an extra field nested ~4,000 levels is one invalid record, not a failed poll', async () => {
    const { appId, app, ids } = await freshApp();
    const id = ids[4] ?? '';
    app.update(ids[5] ?? '', { last_location: 'Still announced' });
    // Served as text (the simulator's own JSON.stringify overflows on deeper records): the
    // members as they are, with the deep record appended. How deep the old code overflowed
    // depended on the stack in use; the fuzz test's fixed seed reproduces the failed poll.
    const levels = 4000;
    const deep = `{"id":"${id}","history":${'{"next":'.repeat(levels)}"bottom"${'}'.repeat(levels)}}`;
    const others = app
      .members()
      .filter(
        (m) =>
          typeof m !== 'object' || m === null || Array.isArray(m) || (m.id !== Number(id) && m.id !== id),
      );
    const text = `{"members":[${others.map((m) => JSON.stringify(m)).join(',')},${deep}]}`;
    const source: CustomerSource = {
      async *pages(request) {
        const page = parseMembersPage(JSON.parse(text));
        if (!page.ok) throw new Error(page.reason);
        if (request.startOffset === 0) yield { offset: 0, ...page };
        yield { offset: page.received, received: 0, customers: [], rejections: [] };
      },
    };
    const log = recordingLog();
    const summary = await pollApp(h.deps({ log, source }), h.options(appId));
    expect(summary, summary.error).toMatchObject({ outcome: 'complete', invalid: 1, updated: 1 });
    expect(log.lines.some((l) => l.includes(`(id ${id})`) && l.includes('nested deeper'))).toBe(true);
    const state = await h.store.getPollState(appId);
    expect(state?.watermark).toBe(summary.startedAt);
  });

  it('sequence is a 12-digit string that orders past 9 for a subscriber comparing strings', async () => {
    const { appId, app, ids } = await freshApp(3);
    const id = ids[0] ?? '';
    for (let i = 0; i < 11; i++) {
      app.update(id, { last_location: `Room ${i}` });
      expect((await pollApp(h.deps(), h.options(appId))).outcome).toBe('complete');
    }
    const sequences = eventsOf(appId, id).map((e) => e.sequence);
    expect(sequences.at(-1)).toBe('000000000012');
    expect(sequences.every((s) => /^\d{12}$/.test(s))).toBe(true);
    const model = judge(appId);
    expect(model.counts.stale).toBe(0);
    expect(model.lastSequence(sourceOf(appId), id)).toBe('000000000012');
    expect(model.differences(sourceOf(appId), population(app))).toEqual([]);
  });
});

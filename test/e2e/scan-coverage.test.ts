/**
 * Issue 12, "Scans that cannot skip": each situation of the first list, reproduced
 * against dynalite, the SNS stand-in and the Gleantap simulator (over HTTP, prefetch off so
 * the moment a row moves is exact). Every test here failed on the code before the issue.
 * (The deadline and lookback bullets are in handler.test.ts, the config, context, construct
 * and window tests.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatorClock } from '../../dev/gleantap-simulator.ts';
import { type PollOptions, pollApp } from '../../lib/poll.ts';
import type { CustomerPage } from '../../lib/ports.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const APP = 'scan-1';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = '2026-04-01T08:00:00.000Z';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(): Promise<{ h: Harness; clock: SimulatorClock }> {
  const clock = new SimulatorClock(T0);
  h = await startHarness({ appIds: [APP], simulator: { now: clock.now }, client: { prefetch: false } });
  return { h, clock };
}

/** Poll options with a fake clock: `deadline` an hour ahead, far beyond any real timer a test could reach. */
function poll(harness: Harness, clock: SimulatorClock, overrides: Partial<PollOptions> = {}) {
  return pollApp(harness.deps({ clock: clock.date }), harness.options(APP, { pageSize: 3, ...overrides }));
}

const subjects = (harness: Harness, type: string) =>
  harness
    .events()
    .filter((e) => e.type === type)
    .map((e) => e.subject);

describe('scans that cannot skip (issue 12)', () => {
  it('drift after a gap: a row skipped by the recovery scan is still published', async () => {
    const { h, clock } = await setup();
    const app = h.stack.gleantap.app(APP);
    app.setQuirks({ order: 'updated-asc' });
    const ids = app.seed(3, { varied: false });
    expect(await poll(h, clock)).toMatchObject({ outcome: 'complete', mode: 'baseline' });
    clock.advance(HOUR);
    expect(await poll(h, clock)).toMatchObject({ outcome: 'complete' });
    // Three days without a complete poll; a change on each.
    const changed: string[] = [];
    for (let day = 0; day < 3; day++) {
      clock.advanceDays(1);
      for (let i = 0; i < 2; i++) changed.push(app.create({ last_location: `day ${day}` }));
    }
    const [x] = changed;
    if (x === undefined) throw new Error('fixture');
    clock.advance(HOUR);
    // The recovery scan: while it reads its first page, a customer on it is updated, moves to
    // the end, and every row after it shifts one offset down: the first row of page 2 is skipped.
    let moved = false;
    const onStep = (step: string, page: CustomerPage) => {
      if (step === 'fetched' && page.offset === 0 && !moved) {
        moved = true;
        clock.advance(1000);
        app.update(String(ids[0]), { last_location: 'moved' });
      }
    };
    const recovery = await poll(h, clock, { onStep });
    expect(recovery).toMatchObject({ outcome: 'complete' });
    clock.advance(HOUR);
    await poll(h, clock);
    clock.advance(HOUR);
    await poll(h, clock);
    expect(new Set(subjects(h, 'customer.created'))).toEqual(new Set(changed));
  });

  it('a resumed scan re-reads what moved while it was paused', async () => {
    const { h, clock } = await setup();
    const app = h.stack.gleantap.app(APP);
    const ids = app.seed(12, { varied: false });
    await poll(h, clock);
    clock.advance(HOUR);
    await poll(h, clock);
    clock.advanceDays(1);
    for (const id of ids) app.update(id, { last_location: 'everyone moved' });
    // Two days pass before the next scan, so a window after it no longer reaches these changes.
    clock.advanceDays(2);
    // The scan stops after its first page (the deadline passes while it commits it)...
    const deadline = new Date(clock.now() + HOUR);
    const stopped = await poll(h, clock, {
      deadline,
      onStep: (step) => {
        if (step === 'fetched') clock.advance(2 * HOUR);
      },
    });
    expect(stopped).toMatchObject({ outcome: 'incomplete', fetched: 3 });
    // ...and while it is paused two customers it already read are deleted: every later row
    // shifts two offsets down, and resuming at offset 3 would skip two of them.
    app.remove(String(ids[0]));
    app.remove(String(ids[1]));
    await poll(h, clock);
    clock.advance(HOUR);
    await poll(h, clock);
    expect(new Set(subjects(h, 'customer.updated'))).toEqual(new Set(ids));
  });

  it('a resumed scan that finds nothing where it stopped does not move the watermark', async () => {
    const { h, clock } = await setup();
    const app = h.stack.gleantap.app(APP);
    const ids = app.seed(9, { varied: false });
    await poll(h, clock);
    clock.advance(HOUR);
    await poll(h, clock);
    clock.advanceDays(1);
    for (const id of ids) app.update(id, { last_location: 'all moved' });
    clock.advanceDays(2);
    const deadline = new Date(clock.now() + HOUR);
    const stopped = await poll(h, clock, {
      deadline,
      onStep: (step, page) => {
        if (step === 'fetched' && page.offset === 3) clock.advance(2 * HOUR);
      },
    });
    expect(stopped).toMatchObject({ outcome: 'incomplete', fetched: 6 });
    // Paused at offset 6; the first six are deleted, so the last three now sit at 0-2 and a
    // resume from offset 3 finds nothing.
    for (const id of ids.slice(0, 6)) app.remove(id);
    const resumed = await poll(h, clock);
    expect(resumed).toMatchObject({ outcome: 'complete', drift: true });
    clock.advance(HOUR);
    await poll(h, clock);
    expect(new Set(subjects(h, 'customer.updated'))).toEqual(new Set(ids));
  });

  it('a short page is not the end: a server that caps limit is read to the end, and the watermark moves', async () => {
    const { h, clock } = await setup();
    const app = h.stack.gleantap.app(APP);
    app.setQuirks({ maxLimit: 2 });
    const ids = app.seed(7, { varied: false });
    await poll(h, clock);
    clock.advance(HOUR);
    const second = await poll(h, clock);
    expect(second).toMatchObject({ outcome: 'complete', fetched: 7 });
    const last = String(ids[6]);
    clock.advance(HOUR);
    app.update(last, { last_location: 'on the last page' });
    const third = await poll(h, clock);
    expect(third).toMatchObject({ outcome: 'complete', updated: 1 });
    expect(third.drift).toBeUndefined();
    expect(subjects(h, 'customer.updated')).toEqual([last]);
    expect((await h.store.getPollState(APP))?.watermark).toBe(new Date(clock.now()).toISOString());
  });

  it('a short page is not the end: rows hidden after LIMIT shorten a page, later pages are read, and the watermark moves', async () => {
    const { h, clock } = await setup();
    const app = h.stack.gleantap.app(APP);
    const ids = app.seed(8, { varied: false });
    app.setQuirks({ hidden: (id) => id === ids[1] });
    await poll(h, clock);
    clock.advance(HOUR);
    await poll(h, clock);
    clock.advance(HOUR);
    const last = String(ids[7]);
    app.update(last, { last_location: 'after a short page' });
    const third = await poll(h, clock);
    expect(third).toMatchObject({ outcome: 'complete', updated: 1 });
    expect(third.drift).toBeUndefined();
    expect((await h.store.getPollState(APP))?.watermark).toBe(new Date(clock.now()).toISOString());
  });

  it('a baseline that spans invocations publishes a change against a snapshot it wrote earlier', async () => {
    const { h, clock } = await setup();
    const app = h.stack.gleantap.app(APP);
    app.setQuirks({ order: 'updated-asc' });
    const ids = app.seed(6, { varied: false });
    const deadline = new Date(clock.now() + HOUR);
    const first = await poll(h, clock, {
      deadline,
      onStep: (step) => {
        if (step === 'fetched') clock.advance(2 * HOUR);
      },
    });
    expect(first).toMatchObject({ outcome: 'incomplete', mode: 'baseline', fetched: 3 });
    // A customer the baseline already recorded changes; it comes round again at the end.
    const a = String(ids[0]);
    app.update(a, { last_location: 'changed during the baseline' });
    const rest = await poll(h, clock);
    expect(rest).toMatchObject({ outcome: 'complete', mode: 'baseline' });
    expect(subjects(h, 'customer.updated')).toEqual([a]);
  });

  it('a customer the baseline skipped is found by the next scan without having to change', async () => {
    const { h, clock } = await setup();
    const app = h.stack.gleantap.app(APP);
    const ids = app.seed(6, { varied: false, updatedAt: clock.now() - 30 * DAY });
    // A customer on the first page is deleted while the baseline reads it: the first row of
    // the second page shifts onto the first and is never read by the baseline.
    let deleted = false;
    await poll(h, clock, {
      onStep: (step, page) => {
        if (step === 'fetched' && page.offset === 0 && !deleted) {
          deleted = true;
          app.remove(String(ids[0]));
        }
      },
    });
    const skipped = String(ids[3]);
    expect(await h.store.getSnapshots(APP, [skipped])).toEqual(new Map());
    // The scan after the baseline reads everything again, so the baseline's customers are
    // read by two complete scans too. What it first finds is announced (README, "Baseline").
    clock.advance(HOUR);
    await poll(h, clock);
    expect((await h.store.getSnapshots(APP, [skipped])).get(skipped)?.version).toBe(1);
    expect(subjects(h, 'customer.created')).toEqual([skipped]);
  });

  it('an unfinished resync keeps its checkpoint through scheduled polls', async () => {
    const { h, clock } = await setup();
    const app = h.stack.gleantap.app(APP);
    app.seed(12, { varied: false });
    await poll(h, clock);
    clock.advance(HOUR);
    const deadline = new Date(clock.now() + HOUR);
    const resync = await poll(h, clock, {
      resync: true,
      deadline,
      onStep: (step, page) => {
        if (step === 'fetched' && page.offset === 3) clock.advance(2 * HOUR);
      },
    });
    expect(resync).toMatchObject({ outcome: 'incomplete', mode: 'resync', fetched: 6 });
    clock.advance(HOUR);
    expect(await poll(h, clock)).toMatchObject({ outcome: 'complete', mode: 'incremental' });
    expect((await h.store.getPollState(APP))?.resyncCheckpoint).toMatchObject({ mode: 'resync', offset: 6 });
    h.stack.gleantap.clearRequests();
    const resumed = await poll(h, clock, { resync: true });
    expect(resumed).toMatchObject({ outcome: 'complete', mode: 'resync' });
    // It resumed where it stopped (re-reading its last page), not from the start.
    expect(h.stack.gleantap.requests[0]?.offset).toBe(3);
    expect(resumed.fetched).toBe(9);
    expect((await h.store.getPollState(APP))?.resyncCheckpoint).toBeNull();
  });
});

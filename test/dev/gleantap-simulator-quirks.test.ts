/**
 * The simulator's knobs for what Gleantap leaves undocumented (issue 12, item 7): row order,
 * rows dropped after LIMIT, a capped `limit`, the server's zone, an exclusive `updated_since`,
 * deletions, and a clock that moves by days.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  GET_CUSTOMERS_PATH,
  type GleantapSimulator,
  type GleantapSimulatorOptions,
  SimulatorClock,
  startGleantapSimulator,
} from '../../dev/gleantap-simulator.ts';
import type { JsonValue } from '../../lib/core/types.ts';

let sims: GleantapSimulator[] = [];
async function start(options: GleantapSimulatorOptions = {}): Promise<GleantapSimulator> {
  const sim = await startGleantapSimulator(options);
  sims.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(sims.map((sim) => sim.close()));
  sims = [];
});

async function ids(sim: GleantapSimulator, body: Record<string, unknown>): Promise<string[]> {
  const res = await fetch(`${sim.url}${GET_CUSTOMERS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': sim.apiKey, 'x-secret-key': sim.secretKey },
    body: JSON.stringify({ app_id: 'a', ...body }),
  });
  expect(res.status).toBe(200);
  const parsed: { members?: { id?: JsonValue }[] } = JSON.parse(await res.text());
  return (parsed.members ?? []).map((m) => String(m.id));
}

const T0 = '2026-03-10T12:00:00.000Z';

describe('simulator quirks', () => {
  it('keeps the friendly defaults: insertion order, limit honoured, every row served', async () => {
    const clock = new SimulatorClock(T0);
    const sim = await start({ now: clock.now });
    const app = sim.app('a');
    const [first, second, third] = app.seed(3, { varied: false });
    clock.advance(1000);
    app.update(String(first), { last_location: 'moved' });
    expect(app.quirks).toEqual({});
    expect(await ids(sim, { limit: 10 })).toEqual([first, second, third]);
  });

  it('serves rows by updated time, ascending or descending, so an update moves a row', async () => {
    const clock = new SimulatorClock(T0);
    const sim = await start({ now: clock.now });
    const app = sim.app('a');
    const [a, b, c] = app.seed(3, { varied: false });
    clock.advance(1000);
    app.update(String(a), { last_location: 'moved' });
    app.setQuirks({ order: 'updated-asc' });
    expect(await ids(sim, { limit: 10 })).toEqual([b, c, a]);
    app.setQuirks({ order: 'updated-desc' });
    expect(await ids(sim, { limit: 10 })).toEqual([a, b, c]);
    // An offset over a moving order: the row at offset 1 changes when another row is updated.
    app.setQuirks({ order: 'updated-asc' });
    expect(await ids(sim, { limit: 1, offset: 1 })).toEqual([c]);
    clock.advance(1000);
    app.touch(String(b));
    expect(await ids(sim, { limit: 1, offset: 1 })).toEqual([a]);
  });

  it('drops hidden rows after LIMIT, so a page comes back short and the next offset still holds rows', async () => {
    const sim = await start({ now: new SimulatorClock(T0).now });
    const app = sim.app('a');
    const all = app.seed(6, { varied: false });
    app.setQuirks({ hidden: (id) => id === all[1] });
    expect(await ids(sim, { limit: 3, offset: 0 })).toEqual([all[0], all[2]]);
    expect(await ids(sim, { limit: 3, offset: 3 })).toEqual([all[3], all[4], all[5]]);
    expect([...app.visibleMembers().keys()]).toEqual(all.filter((id) => id !== all[1]));
  });

  it('caps limit: a larger limit is accepted and served fewer rows', async () => {
    const sim = await start({ now: new SimulatorClock(T0).now, quirks: { maxLimit: 2 } });
    const all = sim.app('a').seed(5, { varied: false });
    expect(await ids(sim, { limit: 1000 })).toEqual(all.slice(0, 2));
    expect(await ids(sim, { limit: 1000, offset: 4 })).toEqual(all.slice(4));
    expect(() => sim.app('a').setQuirks({ maxLimit: 0 })).toThrow(/maxLimit/);
  });

  it('reads updated_since as a day in the server zone, inclusive or exclusive', async () => {
    const clock = new SimulatorClock('2026-03-10T05:00:00.000Z');
    const sim = await start({ now: clock.now });
    const app = sim.app('a');
    const [early] = app.seed(1, { varied: false }); // 10 Mar 05:00 UTC
    clock.advanceDays(1); // 11 Mar 05:00 UTC
    const [late] = app.seed(1, { varied: false });
    const since = (updated_since: string) => ids(sim, { limit: 10, updated_since });

    expect(await since('2026-03-10')).toEqual([early, late]);
    expect(await since('2026-03-11')).toEqual([late]);
    // UTC−8: 10 Mar 05:00 UTC is 9 Mar 21:00 there, so 10 Mar starts after it.
    app.setQuirks({ utcOffsetMinutes: -480 });
    expect(await since('2026-03-10')).toEqual([late]);
    // UTC+14: 11 Mar starts at 10 Mar 10:00 UTC, after the early row.
    app.setQuirks({ utcOffsetMinutes: 840 });
    expect(await since('2026-03-11')).toEqual([late]);
    expect(await since('2026-03-10')).toEqual([early, late]);
    // Exclusive: only rows after the end of the day.
    app.setQuirks({ updatedSinceInclusive: false });
    expect(await since('2026-03-10')).toEqual([late]);
    expect(await since('2026-03-11')).toEqual([]);
    expect(() => app.setQuirks({ utcOffsetMinutes: -721 })).toThrow(/utcOffsetMinutes/);
    expect(() => app.setQuirks({ utcOffsetMinutes: 841 })).toThrow(/utcOffsetMinutes/);
  });

  it('deletes a member: later rows shift one offset down', async () => {
    const sim = await start({ now: new SimulatorClock(T0).now });
    const app = sim.app('a');
    const all = app.seed(4, { varied: false });
    app.remove(String(all[0]));
    expect(await ids(sim, { limit: 2, offset: 2 })).toEqual([all[3]]);
    expect(app.visibleMembers().has(String(all[0]))).toBe(false);
  });

  it('has a clock that tests move by days', () => {
    const clock = new SimulatorClock(T0);
    clock.advanceDays(2.5);
    expect(clock.date().toISOString()).toBe('2026-03-13T00:00:00.000Z');
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => new SimulatorClock('not a time')).toThrow(RangeError);
  });
});

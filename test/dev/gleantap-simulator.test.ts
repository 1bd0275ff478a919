import { afterEach, describe, expect, it } from 'vitest';
import {
  GET_CUSTOMERS_PATH,
  type GleantapSimulator,
  type GleantapSimulatorOptions,
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

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

async function post(
  sim: GleantapSimulator,
  body: unknown,
  headers: Record<string, string> = { 'x-api-key': sim.apiKey, 'x-secret-key': sim.secretKey },
): Promise<Reply> {
  const res = await fetch(`${sim.url}${GET_CUSTOMERS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function members(
  sim: GleantapSimulator,
  body: Record<string, unknown>,
): Promise<Record<string, JsonValue>[]> {
  const reply = await post(sim, body);
  expect(reply.status).toBe(200);
  return JSON.parse(reply.text).members;
}

const idsOf = (rows: readonly Record<string, JsonValue>[]) => rows.map((row) => String(row.id));

describe('auth', () => {
  it.each([
    ['no headers', {}],
    ['only the api key', { 'x-api-key': 'k1' }],
    ['a wrong secret', { 'x-api-key': 'k1', 'x-secret-key': 'nope' }],
    ['swapped keys', { 'x-api-key': 's1', 'x-secret-key': 'k1' }],
  ])('answers 401 with a JSON error for %s', async (_name, headers) => {
    const sim = await start({ apiKey: 'k1', secretKey: 's1' });
    const reply = await post(sim, { app_id: 'a' }, headers);
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.text)).toEqual({ status: false, message: expect.stringMatching(/key/i) });
    expect(sim.requests.map((r) => r.status)).toEqual([401]);
  });

  it('never logs the keys', async () => {
    const sim = await start({ apiKey: 'api-key-123', secretKey: 'secret-456' });
    await post(sim, { app_id: 'a' });
    await post(sim, { app_id: 'a' }, { 'x-api-key': 'api-key-123', 'x-secret-key': 'wrong-789' });
    const logged = JSON.stringify(sim.requests);
    expect(logged).not.toContain('api-key-123');
    expect(logged).not.toContain('secret-456');
    expect(logged).not.toContain('wrong-789');
  });

  it('answers 404 off the documented path and 405 for other methods', async () => {
    const sim = await start();
    expect((await fetch(`${sim.url}/v2/ExternalApi/nope`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${sim.url}${GET_CUSTOMERS_PATH}`)).status).toBe(405);
  });
});

describe('request validation', () => {
  it.each<[string, unknown, RegExp]>([
    ['no app_id', {}, /app_id/],
    ['an empty app_id', { app_id: '' }, /app_id/],
    ['a numeric app_id', { app_id: 7 }, /app_id/],
    ['limit 0', { app_id: 'a', limit: 0 }, /limit/],
    ['limit 1001', { app_id: 'a', limit: 1001 }, /limit/],
    ['a fractional limit', { app_id: 'a', limit: 2.5 }, /limit/],
    ['a string limit', { app_id: 'a', limit: '10' }, /limit/],
    ['a negative offset', { app_id: 'a', offset: -1 }, /offset/],
    ['a month 13', { app_id: 'a', updated_since: '2024-13-01' }, /updated_since/],
    ['February 30', { app_id: 'a', updated_since: '2024-02-30' }, /updated_since/],
    ['slashes', { app_id: 'a', updated_since: '2024/01/01' }, /updated_since/],
    ['a timestamp', { app_id: 'a', updated_since: '2024-01-01T00:00:00Z' }, /updated_since/],
    ['a bad event_since_date', { app_id: 'a', event_since_date: 'yesterday' }, /event_since_date/],
    ['a non-boolean fulldata', { app_id: 'a', fulldata: 'yes' }, /fulldata/],
    ['a non-string email', { app_id: 'a', email: 5 }, /email/],
    ['an array body', [{ app_id: 'a' }], /object/],
    ['invalid JSON', '{"app_id":', /JSON/],
  ])('answers 400 naming the problem for %s', async (_name, body, message) => {
    const sim = await start();
    const reply = await post(sim, body);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).message).toMatch(message);
  });

  it('accepts the documented optional fields and ignores unknown ones', async () => {
    const sim = await start();
    sim.app('a').seed(3);
    const rows = await members(sim, {
      app_id: 'a',
      limit: 1000,
      offset: 0,
      updated_since: '2000-01-01',
      event_since_date: '2000-01-01',
      fulldata: false,
      events: false,
      something_new: 1,
    });
    expect(rows).toHaveLength(3);
  });

  it('serves an app it has never heard of as an empty list', async () => {
    const sim = await start();
    expect(await members(sim, { app_id: 'unknown', limit: 10 })).toEqual([]);
  });
});

describe('paging', () => {
  it('serves at most limit rows, with a default of 100 when limit is absent', async () => {
    const sim = await start();
    sim.app('a').seed(1500);
    expect(await members(sim, { app_id: 'a', limit: 1000 })).toHaveLength(1000);
    expect(await members(sim, { app_id: 'a', limit: 7 })).toHaveLength(7);
    expect(await members(sim, { app_id: 'a' })).toHaveLength(100);
    expect(await members(sim, { app_id: 'a', offset: 1400, limit: 1000 })).toHaveLength(100);
    expect(await members(sim, { app_id: 'a', offset: 5000, limit: 1000 })).toEqual([]);
  });

  it('serves pages in a stable order that together are the whole population', async () => {
    const sim = await start();
    sim.app('a').seed(250);
    const pages: Record<string, JsonValue>[][] = [];
    for (let offset = 0; offset <= 250; offset += 100)
      pages.push(await members(sim, { app_id: 'a', offset, limit: 100 }));
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    expect(pages.flat()).toEqual(sim.app('a').members());
    expect(new Set(idsOf(pages.flat())).size).toBe(250);
    expect(await members(sim, { app_id: 'a', offset: 100, limit: 100 })).toEqual(pages[1]);
  });

  it('keeps apps apart', async () => {
    const sim = await start();
    sim.app('a').seed(5);
    sim.app('b').seed(2);
    expect(await members(sim, { app_id: 'a', limit: 100 })).toHaveLength(5);
    expect(await members(sim, { app_id: 'b', limit: 100 })).toHaveLength(2);
  });

  it('serves raw rows as inserted, in place', async () => {
    const sim = await start();
    const app = sim.app('a');
    app.seed(1);
    app.insertRaw({ firstname: 'No Id' });
    app.insertRaw('not an object');
    app.seed(1, { seed: 2 });
    const rows = await members(sim, { app_id: 'a', limit: 10 });
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual({ firstname: 'No Id' });
    expect(rows[2]).toBe('not an object');
    expect(app.size).toBe(4);
  });

  it('filters by _id and email, and adds the fulldata sections', async () => {
    const sim = await start();
    const app = sim.app('a');
    const [, second] = app.seed(3, { varied: false });
    const record = app.get(second ?? '');
    const byId = await members(sim, { app_id: 'a', _id: second, limit: 10 });
    expect(idsOf(byId)).toEqual([second]);
    const byEmail = await members(sim, { app_id: 'a', email: record?.email, limit: 10 });
    expect(idsOf(byEmail)).toEqual([second]);
    const full = await members(sim, { app_id: 'a', fulldata: true, limit: 1 });
    expect(full[0]).toMatchObject({ visits: [], purchases: [], memberships: [], sales_notes: [] });
  });

  it('serves a page deep in a 100k population', async () => {
    const sim = await start();
    sim.app('big').seed(100_000);
    const rows = await members(sim, { app_id: 'big', offset: 99_500, limit: 1000 });
    expect(rows).toHaveLength(500);
    expect(rows[499]).toEqual(sim.app('big').members()[99_999]);
  });
});

describe('seeding', () => {
  it('is deterministic for a seed and differs across seeds', async () => {
    const sim = await start();
    sim.app('x').seed(200, { seed: 42, updatedAt: 0 });
    sim.app('y').seed(200, { seed: 42, updatedAt: 0 });
    sim.app('z').seed(200, { seed: 43, updatedAt: 0 });
    expect(sim.app('x').members()).toEqual(sim.app('y').members());
    expect(sim.app('x').members()).not.toEqual(sim.app('z').members());
  });

  it('varies representations the way the API is known to', async () => {
    const sim = await start();
    const rows = sim
      .app('a')
      .seed(2000)
      .map((id) => sim.app('a').get(id) ?? {});
    expect(rows.some((r) => typeof r.id === 'number')).toBe(true);
    expect(rows.some((r) => typeof r.id === 'string')).toBe(true);
    const optouts = new Set(rows.map((r) => (r.email_optout === null ? 'null' : typeof r.email_optout)));
    expect(optouts).toEqual(new Set(['number', 'string', 'boolean', 'null']));
    expect(rows.some((r) => r.sms_optout === 1 || r.sms_optout === '1' || r.sms_optout === true)).toBe(true);
    expect(rows.some((r) => r.email === null)).toBe(true);
    expect(rows.some((r) => r.phone === null)).toBe(true);
    const dates = rows.map((r) => String(r.created_date));
    expect(dates.some((d) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(d))).toBe(true);
    expect(dates.some((d) => d.endsWith('Z'))).toBe(true);
    expect(dates.some((d) => d.endsWith('+02:00'))).toBe(true);
  });

  it('keeps canonical representations when varied is off', async () => {
    const sim = await start();
    const rows = sim
      .app('a')
      .seed(500, { varied: false })
      .map((id) => sim.app('a').get(id) ?? {});
    for (const r of rows) {
      expect(typeof r.id).toBe('string');
      expect([0, 1]).toContain(r.email_optout);
      expect([0, 1]).toContain(r.sms_optout);
      expect(r.email).toEqual(expect.any(String));
      expect(r.phone).toEqual(expect.any(String));
      expect(r.created_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });
});

describe('changes and updated_since', () => {
  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

  it('filters on the updated day (UTC) and keeps the served order', async () => {
    let clock = day('2024-01-10') + 5_000;
    const sim = await start({ now: () => clock });
    const app = sim.app('a');
    const ids = app.seed(10, { varied: false });
    clock = day('2024-01-14') + 86_399_000; // last second of the 14th
    app.update(ids[7] ?? '', { firstname: 'Changed' });
    clock = day('2024-01-15');
    app.touch(ids[2] ?? '');
    const created = app.create({ email: 'new@example.com' });
    app.setOptout(ids[5] ?? '', 'sms', true);

    expect(idsOf(await members(sim, { app_id: 'a', updated_since: '2024-01-15', limit: 100 }))).toEqual([
      ids[2],
      ids[5],
      created,
    ]);
    expect(idsOf(await members(sim, { app_id: 'a', updated_since: '2024-01-14', limit: 100 }))).toEqual([
      ids[2],
      ids[5],
      ids[7],
      created,
    ]);
    expect(await members(sim, { app_id: 'a', updated_since: '2024-01-16', limit: 100 })).toEqual([]);
    expect(await members(sim, { app_id: 'a', updated_since: '2024-01-10', limit: 100 })).toHaveLength(11);
    const page2 = await members(sim, { app_id: 'a', updated_since: '2024-01-14', offset: 2, limit: 2 });
    expect(idsOf(page2)).toEqual([ids[7], created]);
  });

  it('touch bumps the updated time without changing the content', async () => {
    let clock = 1_000;
    const sim = await start({ now: () => clock });
    const [id = ''] = sim.app('a').seed(1);
    const before = sim.app('a').get(id);
    clock = 2_000;
    sim.app('a').touch(id);
    expect(sim.app('a').get(id)).toEqual(before);
    expect(sim.app('a').updatedAt(id)).toBe(2_000);
  });

  it('setOptout keeps the representation the record uses', async () => {
    const sim = await start();
    const app = sim.app('a');
    const asString = app.create({ email_optout: '0' });
    const asBool = app.create({ email_optout: false });
    const asNull = app.create({ sms_optout: null });
    app.setOptout(asString, 'email', true);
    app.setOptout(asBool, 'email', true);
    app.setOptout(asNull, 'sms', true);
    expect(app.get(asString)?.email_optout).toBe('1');
    expect(app.get(asBool)?.email_optout).toBe(true);
    expect(app.get(asNull)?.sms_optout).toBe(1);
  });

  it('update removes a field given undefined, and refuses unknown ids and id changes', async () => {
    const sim = await start();
    const app = sim.app('a');
    const id = app.create({ id: 77, nickname: 'x' });
    expect(id).toBe('77');
    app.update(id, { nickname: undefined, email: null });
    expect(app.get(id)).not.toHaveProperty('nickname');
    expect(app.get(id)?.email).toBeNull();
    expect(() => app.update('nope', {})).toThrow(/no member/);
    expect(() => app.update(id, { id: 78 })).toThrow(/id cannot change/);
    expect(() => app.create({ id: '77' })).toThrow(/already exists/);
  });
});

describe('faults', () => {
  it('429 sends Retry-After (seconds, verbatim, or none) and is spent after `times`', async () => {
    const sim = await start();
    sim.faults.add({ kind: '429', request: 1, retryAfter: 7 });
    sim.faults.add({ kind: '429', request: 2, retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT' });
    const noHeader = sim.faults.add({ kind: '429', request: 3, retryAfter: null });
    const first = await post(sim, { app_id: 'a' });
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '7']);
    expect((await post(sim, { app_id: 'a' })).headers.get('retry-after')).toBe(
      'Wed, 21 Oct 2015 07:28:00 GMT',
    );
    const third = await post(sim, { app_id: 'a' });
    expect([third.status, third.headers.get('retry-after')]).toEqual([429, null]);
    expect(noHeader).toMatchObject({ fired: 1, remaining: 0 });
    expect((await post(sim, { app_id: 'a' })).status).toBe(200);
    expect(sim.requests.map((r) => r.fault)).toEqual(['429', '429', '429', undefined]);
  });

  it('500 sends the configured 5xx status, `times` times', async () => {
    const sim = await start();
    sim.faults.add({ kind: '500', page: 'first', status: 503, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await post(sim, { app_id: 'a' })).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it('truncated sends a complete 200 whose JSON is cut in half', async () => {
    const sim = await start();
    sim.app('a').seed(20);
    sim.faults.add({ kind: 'truncated', request: 1 });
    const cut = await post(sim, { app_id: 'a', limit: 20 });
    const whole = await post(sim, { app_id: 'a', limit: 20 });
    expect(cut.status).toBe(200);
    expect(whole.text.startsWith(cut.text)).toBe(true);
    expect(cut.text.length).toBe(Math.floor(whole.text.length / 2));
    expect(() => JSON.parse(cut.text)).toThrow();
  });

  it('html sends a 200 HTML page', async () => {
    const sim = await start();
    sim.faults.add({ kind: 'html', request: 1 });
    const reply = await post(sim, { app_id: 'a' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/text\/html/);
    expect(reply.text).toMatch(/^<!DOCTYPE html>/);
  });

  it('reset destroys the socket, before the response or in the middle of the body', async () => {
    const sim = await start();
    sim.app('a').seed(50);
    sim.faults.add({ kind: 'reset', request: 1 });
    sim.faults.add({ kind: 'reset', request: 2, at: 'mid-body' });
    await expect(post(sim, { app_id: 'a' })).rejects.toThrow();
    await expect(post(sim, { app_id: 'a' })).rejects.toThrow();
    expect(sim.requests.map((r) => r.outcome)).toEqual(['reset', 'reset']);
    expect((await post(sim, { app_id: 'a' })).status).toBe(200);
  });

  it('hang holds the request until the client gives up, and close releases held requests', async () => {
    const sim = await start();
    sim.faults.add({ kind: 'hang', request: 1 });
    sim.faults.add({ kind: 'hang', request: 2 });
    const abandoned = fetch(`${sim.url}${GET_CUSTOMERS_PATH}`, {
      method: 'POST',
      headers: { 'x-api-key': sim.apiKey, 'x-secret-key': sim.secretKey },
      body: '{"app_id":"a"}',
      signal: AbortSignal.timeout(100),
    });
    await expect(abandoned).rejects.toThrow();
    await expect.poll(() => sim.requests[0]?.outcome).toBe('client-closed');
    const heldUntilClose = post(sim, { app_id: 'a' });
    await expect.poll(() => sim.requests[1]?.outcome).toBe('held');
    await sim.close();
    await expect(heldUntilClose).rejects.toThrow();
  });

  it('drift inserts customers at the front between two pages, so rows repeat', async () => {
    const sim = await start();
    sim.app('a').seed(30);
    sim.faults.add({ kind: 'drift', page: 'middle', insert: 4 });
    const first = await members(sim, { app_id: 'a', offset: 0, limit: 10 });
    const second = await members(sim, { app_id: 'a', offset: 10, limit: 10 });
    expect(sim.app('a').size).toBe(34);
    expect(idsOf(second).slice(0, 4)).toEqual(idsOf(first).slice(6));
    expect(sim.requests.map((r) => r.fault)).toEqual([undefined, 'drift']);
  });

  it('page triggers match first, middle, last and an offset', async () => {
    const sim = await start();
    sim.app('a').seed(25);
    sim.faults.add({ kind: '500', page: 'last' });
    sim.faults.add({ kind: '500', page: 'middle' });
    sim.faults.add({ kind: '500', page: 'first' });
    sim.faults.add({ kind: '429', page: 10 });
    const statuses = [];
    for (const offset of [0, 10, 20, 10, 20, 0])
      statuses.push((await post(sim, { app_id: 'a', offset, limit: 10 })).status);
    expect(statuses).toEqual([500, 500, 500, 429, 200, 200]);
  });

  it('probability faults repeat for a seed and only hit the named app', async () => {
    const run = async (seed: number) => {
      const sim = await start({ seed });
      sim.faults.add({ kind: '500', probability: 0.5, times: Number.POSITIVE_INFINITY, appId: 'a' });
      const statuses = [];
      for (let i = 0; i < 20; i += 1)
        statuses.push((await post(sim, { app_id: i % 4 === 0 ? 'b' : 'a' })).status);
      return statuses;
    };
    const first = await run(7);
    expect(await run(7)).toEqual(first);
    expect(first.filter((_s, i) => i % 4 === 0).every((s) => s === 200)).toBe(true);
    expect(first).toContain(500);
    expect(first).toContain(200);
    sims[0]?.faults.clear();
  });

  it('rejects rules without exactly one trigger', async () => {
    const sim = await start();
    expect(() => sim.faults.add({ kind: '500' })).toThrow(RangeError);
    expect(() => sim.faults.add({ kind: '500', request: 1, page: 'first' })).toThrow(RangeError);
    expect(() => sim.faults.add({ kind: '500', request: 0 })).toThrow(RangeError);
  });
});

describe('latency', () => {
  it('holds every valid request for the configured time, and can be changed or turned off', async () => {
    const sim = await start({ latencyMs: 400 });
    sim.app('lat').seed(3);
    // Only a lower bound is asserted: a slower machine can answer later, never sooner.
    const early = Symbol('early');
    const first = await Promise.race([
      members(sim, { app_id: 'lat' }),
      new Promise((resolve) => setTimeout(() => resolve(early), 150)),
    ]);
    expect(first).toBe(early);
    sim.setLatency(0);
    expect(await members(sim, { app_id: 'lat' })).toHaveLength(3);
    // Invalid requests are answered at once, as the real API's validation would be.
    sim.setLatency(60_000);
    expect((await post(sim, { limit: 5 })).status).toBe(400);
    expect(() => sim.setLatency(-1)).toThrow(/latencyMs/);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createGleantapClient, GleantapRetriesExhaustedError } from '../../lib/gleantap/client.ts';
import { closeHarnesses, collect, groundTruthIds, harness, idsOf, request } from './harness.ts';

afterEach(closeHarnesses);

describe('paging', () => {
  it.each([
    [2000, [1000, 1000, 0]],
    [2001, [1000, 1000, 1, 0]],
    [1999, [1000, 999, 0]],
    [1000, [1000, 0]],
    [0, [0]],
  ])('with %i customers it reads pages of %j: only an empty page ends', async (count, sizes) => {
    const { sim, client } = await harness();
    sim.app('gym').seed(count);
    const pages = await collect(client.pages(request()));
    expect(pages.map((p) => p.received)).toEqual(sizes);
    // Each offset is the previous one plus the rows received.
    const offsets = sizes.map((_s, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    expect(pages.map((p) => p.offset)).toEqual(offsets);
    expect(sim.requests.map((r) => r.offset)).toEqual(offsets);
    expect(idsOf(pages)).toEqual(groundTruthIds(sim.app('gym').members()));
  });

  it('advances the offset by the rows received, invalid ones included, and reports them as rejections', async () => {
    const { sim, client, pageInfos } = await harness();
    const app = sim.app('gym');
    app.seed(2);
    app.insertRaw({ firstname: 'No Id' });
    app.seed(2, { seed: 2 });
    app.insertRaw('not an object');
    app.seed(1, { seed: 3 });
    const pages = await collect(client.pages(request({ pageSize: 3 })));
    expect(pages.map((p) => [p.offset, p.received, p.customers.length])).toEqual([
      [0, 3, 2],
      [3, 3, 2],
      [6, 1, 1],
      [7, 0, 0],
    ]);
    expect(pages[0]?.rejections).toEqual([expect.objectContaining({ index: 2, code: 'missing_id' })]);
    expect(pages[1]?.rejections).toEqual([expect.objectContaining({ index: 2, code: 'not_an_object' })]);
    expect(idsOf(pages)).toEqual(
      groundTruthIds(app.members()).filter((id) => id !== '' && id !== 'undefined'),
    );
    expect(pageInfos.map((i) => [i.received, i.valid, i.rejected])).toEqual([
      [3, 2, 1],
      [3, 2, 1],
      [1, 1, 0],
      [0, 0, 0],
    ]);
  });

  it('sends app_id, limit and offset, and updated_since only when given', async () => {
    const { sim, client } = await harness();
    sim.app('gym').seed(3);
    await collect(client.pages(request({ pageSize: 2 })));
    await collect(client.pages(request({ pageSize: 5, startOffset: 1, updatedSince: '2020-01-01' })));
    expect(sim.requests.map((r) => r.body)).toEqual([
      { app_id: 'gym', limit: 2, offset: 0 },
      { app_id: 'gym', limit: 2, offset: 2 },
      { app_id: 'gym', limit: 2, offset: 3 },
      { app_id: 'gym', limit: 5, offset: 1, updated_since: '2020-01-01' },
      { app_id: 'gym', limit: 5, offset: 3, updated_since: '2020-01-01' },
    ]);
    expect(sim.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('filters by updated_since through the simulator', async () => {
    const { sim, client } = await harness({ sim: { now: () => Date.UTC(2026, 0, 10) } });
    sim.app('gym').seed(5, { updatedAt: Date.UTC(2025, 0, 1) });
    const changed = sim.app('gym').create();
    const pages = await collect(client.pages(request({ updatedSince: '2026-01-10' })));
    expect(idsOf(pages)).toEqual([changed]);
  });

  it('reuses keep-alive connections for sequential pages', async () => {
    const { sim, client } = await harness({ client: { prefetch: false } });
    sim.app('gym').seed(50);
    await collect(client.pages(request({ pageSize: 10 })));
    await collect(client.pages(request({ pageSize: 25 })));
    expect(sim.requests).toHaveLength(6 + 3);
    // undici's pool may open a second socket when a request is dispatched in the same tick
    // the previous response ends; what matters is that sockets are reused, not one per request.
    expect(new Set(sim.requests.map((r) => r.connection)).size).toBeLessThanOrEqual(2);
  });

  it('rejects a page size outside 1..1000 and a negative start offset before any request', async () => {
    const { sim, client } = await harness();
    await expect(collect(client.pages(request({ pageSize: 1001 })))).rejects.toThrow(RangeError);
    await expect(collect(client.pages(request({ pageSize: 0 })))).rejects.toThrow(/pageSize/);
    await expect(collect(client.pages(request({ startOffset: -1 })))).rejects.toThrow(/startOffset/);
    expect(sim.requests).toHaveLength(0);
  });

  it('rejects a base URL with a path, and empty keys', () => {
    const keys = { apiKey: 'a', secretKey: 's' };
    expect(() => createGleantapClient({ ...keys, baseUrl: 'https://api.gleantap.com/v2' })).toThrow(
      /scheme and host/,
    );
    expect(() => createGleantapClient({ ...keys, baseUrl: 'ftp://x' })).toThrow(/http/);
    expect(() => createGleantapClient({ ...keys, baseUrl: 'not a url' })).toThrow(/baseUrl/);
    expect(() => createGleantapClient({ apiKey: '', secretKey: 's' })).toThrow(/apiKey/);
    expect(() => createGleantapClient({ ...keys, retry: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
  });
});

describe('prefetch', () => {
  it('gives the same pages with prefetch on and off', async () => {
    const on = await harness();
    const off = await harness({ client: { prefetch: false } });
    on.sim.app('gym').seed(2345, { seed: 9 });
    off.sim.app('gym').seed(2345, { seed: 9 });
    const withPrefetch = await collect(on.client.pages(request()));
    const without = await collect(off.client.pages(request()));
    expect(withPrefetch).toEqual(without);
    expect(withPrefetch.map((p) => p.received)).toEqual([1000, 1000, 345, 0]);
  });

  it('requests the next page while the consumer still holds the current one', async () => {
    const { sim, client } = await harness();
    sim.app('gym').seed(2500);
    const seenWhileHolding: (number | undefined)[][] = [];
    for await (const page of client.pages(request())) {
      if (page.received === 1000) {
        await expect.poll(() => sim.requests.length).toBe(page.offset / 1000 + 2);
        seenWhileHolding.push(sim.requests.map((r) => r.offset));
      }
    }
    expect(seenWhileHolding).toEqual([
      [0, 1000],
      [0, 1000, 2000],
    ]);
    expect(sim.requests).toHaveLength(4);
  });

  it('without prefetch, requests a page only when the consumer asks for it', async () => {
    const { sim, client } = await harness({ client: { prefetch: false } });
    sim.app('gym').seed(1500);
    const counts: number[] = [];
    for await (const _page of client.pages(request())) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      counts.push(sim.requests.length);
    }
    expect(counts).toEqual([1, 2, 3]);
  });

  it('a short page is not the end: a server that drops rows after LIMIT still serves later pages', async () => {
    const { sim, client } = await harness();
    const all = sim.app('gym').seed(10, { varied: false });
    sim.app('gym').setQuirks({ hidden: (id) => id === all[2] });
    const pages = await collect(client.pages(request({ pageSize: 5 })));
    expect(pages.map((p) => [p.offset, p.received])).toEqual([
      [0, 4],
      [4, 5],
      [9, 1],
      [10, 0],
    ]);
    // Nothing visible is skipped; the row after the hidden one's page is read twice.
    expect(new Set(idsOf(pages))).toEqual(new Set(all.filter((id) => id !== all[2])));
  });

  it('a server that caps limit below what was asked is read to the end', async () => {
    const { sim, client } = await harness();
    const all = sim.app('gym').seed(25, { varied: false });
    sim.app('gym').setQuirks({ maxLimit: 10 });
    const pages = await collect(client.pages(request()));
    expect(pages.map((p) => [p.offset, p.received])).toEqual([
      [0, 10],
      [10, 10],
      [20, 5],
      [25, 0],
    ]);
    expect(idsOf(pages)).toEqual(all);
  });

  it('aborts the prefetch in flight when the consumer stops early, without unhandled rejections', async () => {
    const { sim, client } = await harness({ client: { headersTimeoutMs: 20_000 } });
    sim.app('gym').seed(3000);
    const hang = sim.faults.add({ kind: 'hang', page: 'middle' });
    const seen: number[] = [];
    for await (const page of client.pages(request())) {
      seen.push(page.offset);
      await expect.poll(() => sim.requests[1]?.outcome).toBe('held');
      break;
    }
    expect(seen).toEqual([0]);
    expect(hang.fired).toBe(1);
    await expect.poll(() => sim.requests[1]?.outcome).toBe('client-closed');
    expect(sim.requests).toHaveLength(2);
  }, 5_000);

  it('a prefetch that fails while the consumer holds a page surfaces on the next step, not as an unhandled rejection', async () => {
    const { sim, client, retries } = await harness();
    sim.app('gym').seed(2500);
    sim.faults.add({ kind: '500', page: 'middle', times: Number.POSITIVE_INFINITY });
    const seen: number[] = [];
    const run = async () => {
      for await (const page of client.pages(request())) {
        seen.push(page.offset);
        await expect.poll(() => retries.length).toBe(5);
        await expect.poll(() => sim.requests.filter((r) => r.status === 500)).toHaveLength(6);
        // Let the failed prefetch settle while nobody awaits it.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await expect(run()).rejects.toBeInstanceOf(GleantapRetriesExhaustedError);
    expect(seen).toEqual([0]);
  });

  it("stops with the caller's abort reason when the caller's signal aborts", async () => {
    const { sim, client } = await harness({ client: { headersTimeoutMs: 20_000 } });
    sim.app('gym').seed(10);
    sim.faults.add({ kind: 'hang', request: 1 });
    const controller = new AbortController();
    const reason = new Error('the poll is out of time');
    const run = collect(client.pages(request({ signal: controller.signal })));
    await expect.poll(() => sim.requests[0]?.outcome).toBe('held');
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
  }, 5_000);

  it('an already aborted signal makes no request', async () => {
    const { sim, client } = await harness();
    const reason = new Error('stop');
    await expect(collect(client.pages(request({ signal: AbortSignal.abort(reason) })))).rejects.toBe(reason);
    expect(sim.requests).toHaveLength(0);
  });
});

import { setTimeout as sleepTimer } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultRule, PagePosition } from '../../dev/gleantap-simulator.ts';
import { GleantapBadResponseError, GleantapRetriesExhaustedError } from '../../lib/gleantap/errors.ts';
import { closeHarnesses, collect, failureOf, groundTruthIds, harness, idsOf, request } from './harness.ts';

afterEach(closeHarnesses);

type FaultCase = [name: string, rule: Omit<FaultRule, 'page' | 'request' | 'probability'>, failure: RegExp];

const transientFaults: FaultCase[] = [
  ['429 with Retry-After', { kind: '429', retryAfter: 3 }, /^HTTP 429$/],
  ['500', { kind: '500' }, /^HTTP 500$/],
  ['503', { kind: '500', status: 503 }, /^HTTP 503$/],
  ['hang (headers timeout)', { kind: 'hang' }, /^UND_ERR_HEADERS_TIMEOUT$/],
  ['truncated JSON', { kind: 'truncated' }, /not JSON/],
  ['HTML 200', { kind: 'html' }, /not JSON/],
  ['reset before the response', { kind: 'reset' }, /^(UND_ERR_SOCKET|ECONNRESET)$/],
  [
    'reset in the middle of the body',
    { kind: 'reset', at: 'mid-body' },
    /(UND_ERR_SOCKET|ECONNRESET) while reading the body/,
  ],
];

const positions: [PagePosition, number][] = [
  ['first', 0],
  ['middle', 1000],
  ['last', 2000],
];

describe.each(transientFaults)('a single %s', (_name, rule, failure) => {
  it.each(positions)(
    'on the %s page is retried once and the scan completes unchanged',
    async (page, offset) => {
      const { sim, client, retries, sleeps } = await harness();
      sim.app('gym').seed(2500);
      const fault = sim.faults.add({ ...rule, page });
      const pages = await collect(client.pages(request()));

      expect(fault.fired).toBe(1);
      expect(pages.map((p) => p.received)).toEqual([1000, 1000, 500, 0]);
      expect(idsOf(pages)).toEqual(groundTruthIds(sim.app('gym').members()));
      expect(sim.requests.map((r) => r.offset).sort((a = 0, b = 0) => a - b)).toEqual(
        [0, 1000, 2000, 2500, offset].sort((a, b) => a - b),
      );
      expect(retries).toEqual([
        expect.objectContaining({ offset, attempt: 1, failure: expect.stringMatching(failure) }),
      ]);
      expect(sleeps).toHaveLength(1);
      if (rule.kind === '429') expect(sleeps).toEqual([3000]);
    },
  );
});

describe('retry timing and budget', () => {
  it('honours Retry-After given as an HTTP date', async () => {
    const { sim, client, sleeps, clock } = await harness();
    sim.app('gym').seed(10);
    sim.faults.add({ kind: '429', request: 1, retryAfter: new Date(clock.now + 7000).toUTCString() });
    await collect(client.pages(request()));
    expect(sleeps).toEqual([7000]);
  });

  it('honours a Retry-After longer than maxDelayMs', async () => {
    const { sim, client, sleeps } = await harness({ client: { retry: { maxDelayMs: 1000 } } });
    sim.faults.add({ kind: '429', request: 1, retryAfter: 20 });
    await collect(client.pages(request()));
    expect(sleeps).toEqual([20_000]);
  });

  it('backs off exponentially with jitter, up to maxAttempts, then reports what it tried', async () => {
    const { sim, client, sleeps } = await harness();
    sim.app('gym').seed(10);
    sim.faults.add({ kind: '500', request: 1 });
    sim.faults.add({ kind: '429', request: 2, retryAfter: null });
    sim.faults.add({ kind: '500', page: 'first', status: 502, times: Number.POSITIVE_INFINITY });
    const error = await failureOf(client.pages(request()));

    expect(error).toBeInstanceOf(GleantapRetriesExhaustedError);
    if (!(error instanceof GleantapRetriesExhaustedError)) return;
    expect(error.code).toBe('GLEANTAP_RETRIES_EXHAUSTED');
    expect(error.attempts).toBe(6);
    expect(error.failures).toEqual(['HTTP 500', 'HTTP 429', 'HTTP 502', 'HTTP 502', 'HTTP 502', 'HTTP 502']);
    expect(error.offset).toBe(0);
    expect(error.elapsedMs).toBe(375 + 750 + 1500 + 3000 + 6000);
    expect(error.message).toMatch(/app gym at offset 0 failed after 6 attempts in 11\.6 s/);
    expect(error.message).toMatch(/HTTP 500, HTTP 429, HTTP 502/);
    expect(error.message).toMatch(/all 6 attempts were used/);
    // Random 0.5 with equal jitter: 3/4 of min(maxDelay, 500 ms × 2^n).
    expect(sleeps).toEqual([375, 750, 1500, 3000, 6000]);
    expect(sim.requests).toHaveLength(6);
  });

  it('stops when the next wait would pass the total retry time', async () => {
    const { sim, client, sleeps } = await harness({ client: { retry: { maxRetryTimeMs: 2000 } } });
    sim.faults.add({ kind: '500', page: 'first', times: Number.POSITIVE_INFINITY });
    const error = await failureOf(client.pages(request()));
    expect(error).toBeInstanceOf(GleantapRetriesExhaustedError);
    expect(sleeps).toEqual([375, 750]);
    expect(sim.requests).toHaveLength(3);
    expect(String(error)).toMatch(/next backoff would pass the 2 s retry time limit/);
  });

  it('does not wait for a Retry-After beyond the total retry time', async () => {
    const { sim, client, sleeps } = await harness();
    sim.faults.add({ kind: '429', request: 1, retryAfter: 120 });
    const error = await failureOf(client.pages(request()));
    expect(error).toBeInstanceOf(GleantapRetriesExhaustedError);
    expect(String(error)).toMatch(/Retry-After \(120 s\) would pass the 60 s retry time limit/);
    expect(sleeps).toEqual([]);
    expect(sim.requests).toHaveLength(1);
  });

  it('shares one budget between status retries and body retries', async () => {
    const { sim, client } = await harness({ client: { retry: { maxAttempts: 3 } } });
    sim.app('gym').seed(10);
    sim.faults.add({ kind: '500', request: 1 });
    sim.faults.add({ kind: 'truncated', request: 2 });
    sim.faults.add({ kind: 'html', request: 3 });
    const error = await failureOf(client.pages(request()));
    expect(error).toBeInstanceOf(GleantapBadResponseError);
    expect(sim.requests).toHaveLength(3);
  });

  it('gives up on a persistent truncated body with the offset and the first bytes', async () => {
    const { sim, client } = await harness();
    sim.app('gym').seed(2500);
    sim.faults.add({ kind: 'truncated', page: 'middle', times: Number.POSITIVE_INFINITY });
    const error = await failureOf(client.pages(request()));
    expect(error).toBeInstanceOf(GleantapBadResponseError);
    if (!(error instanceof GleantapBadResponseError)) return;
    expect(error.code).toBe('GLEANTAP_BAD_RESPONSE');
    expect([error.offset, error.attempts]).toEqual([1000, 6]);
    expect(error.bodySnippet.startsWith('{"members":[{')).toBe(true);
    expect(error.bodySnippet.length).toBe(200);
    expect(error.message).toMatch(/app gym at offset 1000 \(the body is not JSON; 6 attempts\)/);
    expect(sim.requests.filter((r) => r.offset === 1000)).toHaveLength(6);
  });

  it('gives up on a persistent HTML page, quoting its start', async () => {
    const { sim, client } = await harness();
    sim.faults.add({ kind: 'html', page: 'first', times: Number.POSITIVE_INFINITY });
    const error = await failureOf(client.pages(request()));
    expect(error).toBeInstanceOf(GleantapBadResponseError);
    expect(String(error)).toMatch(/<!DOCTYPE html><html><head><title>502 Bad Gateway/);
  });

  it.each([
    ['hang', { kind: 'hang' }, 'UND_ERR_HEADERS_TIMEOUT'],
    ['reset', { kind: 'reset' }, 'UND_ERR_SOCKET'],
  ] as const)('gives up on a persistent %s with the errors seen', async (_name, rule, code) => {
    const { sim, client } = await harness({ client: { headersTimeoutMs: 200, retry: { maxAttempts: 2 } } });
    sim.faults.add({ ...rule, page: 'first', times: Number.POSITIVE_INFINITY });
    const error = await failureOf(client.pages(request()));
    expect(error).toBeInstanceOf(GleantapRetriesExhaustedError);
    if (!(error instanceof GleantapRetriesExhaustedError)) return;
    expect(error.failures).toHaveLength(2);
    expect(error.failures.every((f) => f === code || f === 'ECONNRESET')).toBe(true);
    expect(sim.requests).toHaveLength(2);
  });

  it('an abort during a retry wait ends the wait at once', async () => {
    const realSleep = (ms: number, signal: AbortSignal) => sleepTimer(ms, undefined, { signal });
    const { sim, client, retries } = await harness({ client: { sleep: realSleep } });
    sim.faults.add({ kind: '429', request: 1, retryAfter: 30 });
    const controller = new AbortController();
    const run = collect(client.pages(request({ signal: controller.signal })));
    await expect.poll(() => retries.length).toBe(1);
    const reason = new Error('deadline');
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(sim.requests).toHaveLength(1);
  }, 5_000);
});

describe('drift', () => {
  it.each(positions)(
    'inserts at the front before the %s page: every original row is seen, shifted ones twice',
    async (page, offset) => {
      const { sim, client } = await harness();
      sim.app('gym').seed(2500);
      const before = groundTruthIds(sim.app('gym').members());
      const drift = sim.faults.add({ kind: 'drift', page, insert: 5 });
      const pages = await collect(client.pages(request()));
      const ids = idsOf(pages);
      expect(drift.fired).toBe(1);
      expect(pages.map((p) => p.received)).toEqual([1000, 1000, 505, 0]);
      expect(ids).toHaveLength(2505);
      expect(ids.filter((id) => before.includes(id))).toHaveLength(offset === 0 ? 2500 : 2505);
      expect(new Set(ids.filter((id) => before.includes(id)))).toEqual(new Set(before));
      // The page served right after the drift starts with the last 5 rows of the page before it.
      if (offset > 0) expect(ids.slice(offset, offset + 5)).toEqual(before.slice(offset - 5, offset));
    },
  );
});

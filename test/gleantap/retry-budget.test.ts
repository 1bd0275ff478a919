import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SETTINGS, parseRetryAfter, RetryBudget } from '../../lib/gleantap/retry-budget.ts';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-15T12:00:00Z');
  it.each<[string | string[] | undefined, number | undefined]>([
    ['3', 3000],
    [' 0 ', 0],
    [['5', '9'], 5000],
    ['Thu, 15 Jan 2026 12:00:30 GMT', 30_000],
    ['Thu, 15 Jan 2026 11:59:00 GMT', 0],
    ['-1', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('RetryBudget', () => {
  it('allows maxAttempts attempts in all, then says why it stopped', () => {
    const budget = new RetryBudget(
      { ...DEFAULT_RETRY_SETTINGS, maxAttempts: 3 },
      () => 0,
      () => 0,
    );
    expect(budget.next('HTTP 500')).toEqual({ retry: true, delayMs: 250 });
    expect(budget.next('HTTP 500')).toEqual({ retry: true, delayMs: 500 });
    expect(budget.next('HTTP 503')).toEqual({ retry: false, reason: 'all 3 attempts were used' });
    expect(budget.attempts).toBe(3);
    expect(budget.failures).toEqual(['HTTP 500', 'HTTP 500', 'HTTP 503']);
    expect(budget.stoppedBecause).toBe('all 3 attempts were used');
  });

  it('uses Retry-After as given, even above maxDelayMs', () => {
    const budget = new RetryBudget(
      { ...DEFAULT_RETRY_SETTINGS, maxDelayMs: 1000 },
      () => 0,
      () => 0.9,
    );
    expect(budget.next('HTTP 429', 45_000)).toEqual({ retry: true, delayMs: 45_000 });
  });

  it('property: backoff stays within [half, whole] of min(maxDelay, min × 2^n) and inside the time limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.array(fc.double({ min: 0, max: 0.999_999, noNaN: true }), { minLength: 12, maxLength: 12 }),
        (maxAttempts, minDelayMs, maxDelayMs, maxRetryTimeMs, randoms) => {
          let clock = 0;
          let r = 0;
          const budget = new RetryBudget(
            { maxAttempts, minDelayMs, maxDelayMs, maxRetryTimeMs },
            () => clock,
            () => randoms[r++ % randoms.length] ?? 0,
          );
          let retries = 0;
          for (;;) {
            const decision = budget.next('x');
            if (!decision.retry) break;
            const whole = Math.min(maxDelayMs, minDelayMs * 2 ** retries);
            expect(decision.delayMs).toBeGreaterThanOrEqual(Math.floor(whole / 2));
            expect(decision.delayMs).toBeLessThanOrEqual(whole);
            clock += decision.delayMs;
            retries += 1;
          }
          expect(retries + 1).toBeLessThanOrEqual(maxAttempts);
          expect(clock).toBeLessThanOrEqual(maxRetryTimeMs);
          expect(budget.attempts).toBe(retries + 1);
        },
      ),
    );
  });
});

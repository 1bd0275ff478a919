import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_DELETE_SHARE,
  type DeletionInput,
  decideDeletions,
  deletionAllowance,
} from '../../lib/core/reconcile.ts';

const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(from + i));
const CLEAN = { complete: true, drift: false };

function input(partial: Partial<DeletionInput> & Pick<DeletionInput, 'live' | 'seen'>): DeletionInput {
  return { scan: CLEAN, suspects: null, maxDeleteShare: DEFAULT_MAX_DELETE_SHARE, ...partial };
}

describe('decideDeletions', () => {
  const live = ids(100);
  const allBut = (...gone: string[]) => new Set(live.filter((id) => !gone.includes(id)));

  it.each<[string, DeletionInput, ReturnType<typeof decideDeletions>]>([
    [
      'the first conclusive scan only names suspects',
      input({ live, seen: allBut('3', '7') }),
      { verdict: 'conclusive', live: 100, missing: ['3', '7'], deletions: [] },
    ],
    [
      'a customer missing twice is deleted; one missing once is a suspect',
      input({ live, seen: allBut('3', '7'), suspects: new Set(['7', '9']) }),
      { verdict: 'conclusive', live: 100, missing: ['3', '7'], deletions: ['7'] },
    ],
    [
      'a suspect that came back is not deleted',
      input({ live, seen: allBut(), suspects: new Set(['7']) }),
      { verdict: 'conclusive', live: 100, missing: [], deletions: [] },
    ],
    [
      'an incomplete scan is no evidence',
      input({
        live,
        seen: new Set(ids(50)),
        suspects: new Set(live),
        scan: { complete: false, drift: false },
      }),
      { verdict: 'inconclusive', reason: 'incomplete' },
    ],
    [
      'a drifted scan is no evidence (a moved row may also have been skipped)',
      input({ live, seen: allBut('7'), suspects: new Set(['7']), scan: { complete: true, drift: true } }),
      { verdict: 'inconclusive', reason: 'drift' },
    ],
    [
      'every page empty by mistake (an outage, a wrong app id): refused',
      input({ live, seen: new Set(), suspects: new Set(live) }),
      { verdict: 'refused', live: 100, missing: 100, allowed: 10 },
    ],
    [
      'exactly the share is allowed',
      input({ live, seen: new Set(ids(90)), suspects: new Set(live) }),
      { verdict: 'conclusive', live: 100, missing: ids(10, 91).sort(), deletions: ids(10, 91).sort() },
    ],
    [
      'one over the share is refused',
      input({ live, seen: new Set(ids(89)), suspects: new Set(live) }),
      { verdict: 'refused', live: 100, missing: 11, allowed: 10 },
    ],
    [
      'an operator raises the share for a real purge',
      input({ live, seen: new Set(ids(60)), suspects: new Set(live), maxDeleteShare: 0.5 }),
      { verdict: 'conclusive', live: 100, missing: ids(40, 61).sort(), deletions: ids(40, 61).sort() },
    ],
    [
      'customers the scan saw but the store does not know yet change nothing',
      input({ live: ['1'], seen: new Set(['1', '2', '3']) }),
      { verdict: 'conclusive', live: 1, missing: [], deletions: [] },
    ],
    [
      'a small studio may lose one member: the allowance is at least one customer',
      input({ live: ids(9), seen: new Set(ids(8)), suspects: new Set(['9']) }),
      { verdict: 'conclusive', live: 9, missing: ['9'], deletions: ['9'] },
    ],
    [
      'but not two of nine',
      input({ live: ids(9), seen: new Set(ids(7)), suspects: new Set(ids(9)) }),
      { verdict: 'refused', live: 9, missing: 2, allowed: 1 },
    ],
    [
      'a scan that returned nobody from a one-member app is refused (an outage, not a departure)',
      input({ live: ['1'], seen: new Set(), suspects: new Set(['1']) }),
      { verdict: 'refused', live: 1, missing: 1, allowed: 1 },
    ],
    [
      'unless the operator allows every customer to go',
      input({ live: ['1'], seen: new Set(), suspects: new Set(['1']), maxDeleteShare: 1 }),
      { verdict: 'conclusive', live: 1, missing: ['1'], deletions: ['1'] },
    ],
    [
      'an app without snapshots has nothing to delete',
      input({ live: [], seen: new Set() }),
      { verdict: 'conclusive', live: 0, missing: [], deletions: [] },
    ],
    [
      'a share of 0 refuses any absence',
      input({ live, seen: allBut('7'), suspects: new Set(['7']), maxDeleteShare: 0 }),
      { verdict: 'refused', live: 100, missing: 1, allowed: 0 },
    ],
  ])('%s', (_, given, expected) => {
    expect(decideDeletions(given)).toEqual(expected);
  });

  it.each([[-0.1], [1.5], [Number.NaN]])('throws on a share of %d', (share) => {
    expect(() => decideDeletions(input({ live, seen: new Set(live), maxDeleteShare: share }))).toThrow(
      /maxDeleteShare/,
    );
  });
});

describe('deletionAllowance', () => {
  it.each([
    [100, 0.1, 10],
    [9, 0.1, 1],
    [9, 0, 0],
    [100, 0.29, 29],
    [100_000, 0.1, 10_000],
    [0, 0.1, 0],
    [7, 1, 7],
  ])('%d customers at %d allow %d', (live, share, allowed) => {
    expect(deletionAllowance(live, share)).toBe(allowed);
  });
});

describe('laws of decideDeletions', () => {
  const scenario = fc.record({
    live: fc.uniqueArray(fc.integer({ min: 0, max: 60 }).map(String), { maxLength: 60 }),
    seen: fc.uniqueArray(fc.integer({ min: 0, max: 80 }).map(String), { maxLength: 80 }),
    suspects: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 60 }).map(String)), { nil: null }),
    complete: fc.boolean(),
    drift: fc.boolean(),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
  });
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
  const decide = (s: Scenario) =>
    decideDeletions({
      scan: { complete: s.complete, drift: s.drift },
      live: s.live,
      seen: new Set(s.seen),
      suspects: s.suspects === null ? null : new Set(s.suspects),
      maxDeleteShare: s.share,
    });

  it('deletes only live customers missing now and suspected before, from a complete drift-free scan, within the share', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const decision = decide(s);
        if (decision.verdict !== 'conclusive') return;
        expect(s.complete && !s.drift).toBe(true);
        expect(decision.missing.length).toBeLessThanOrEqual(
          s.share === 0 ? 0 : Math.max(1, s.share * s.live.length + 1e-9),
        );
        if (s.live.length > 0 && s.share < 1) expect(s.seen.length).toBeGreaterThan(0);
        for (const id of decision.deletions) {
          expect(s.live).toContain(id);
          expect(s.seen).not.toContain(id);
          expect(s.suspects).toContain(id);
        }
        for (const id of decision.missing) expect(s.seen).not.toContain(id);
      }),
      { seed: 17, numRuns: 500 },
    );
  });

  it('a customer the scan returned is never deleted, whatever else holds', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const decision = decide(s);
        const deleted = decision.verdict === 'conclusive' ? decision.deletions : [];
        for (const id of s.seen) expect(deleted).not.toContain(id);
      }),
      { seed: 1717, numRuns: 500 },
    );
  });

  it('without suspects (a first scan, or after one that saw everyone) nobody is deleted', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const decision = decide({ ...s, suspects: null });
        if (decision.verdict === 'conclusive') expect(decision.deletions).toEqual([]);
      }),
      { seed: 171717, numRuns: 300 },
    );
  });
});

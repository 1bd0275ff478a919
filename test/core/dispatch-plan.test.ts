import { describe, expect, it } from 'vitest';
import {
  type DispatchApp,
  isDue,
  isReconcileDue,
  planDispatch,
  pollDeduplicationId,
  RECONCILE_RESUMES,
  reconcileDeduplicationId,
  reconcileMessageAt,
  tickOf,
} from '../../lib/core/dispatch-plan.ts';

const app = (appId: string, intervalMinutes: number | null = null, paused = false) => ({
  appId,
  intervalMinutes,
  paused,
});

describe('planDispatch', () => {
  const at = new Date('2026-03-02T10:00:00Z');

  it('plans every active app each tick by default, and skips paused ones', () => {
    const plan = planDispatch([app('a'), app('b'), app('c', null, true)], at, 5);
    expect(plan).toEqual({
      tick: tickOf(at, 5),
      due: ['a', 'b'],
      reconcile: [],
      reconcileLast: [],
      paused: 1,
      notDue: 0,
    });
  });

  it('plans the same polls for any time inside one tick, so a retried tick repeats itself', () => {
    const apps = Array.from({ length: 50 }, (_, i) => app(`app-${i}`, i % 2 ? 15 : null));
    const later = new Date(at.getTime() + 4 * 60_000 + 59_000);
    expect(planDispatch(apps, later, 5)).toEqual(planDispatch(apps, at, 5));
    expect(pollDeduplicationId('app-1', tickOf(later, 5))).toBe(pollDeduplicationId('app-1', tickOf(at, 5)));
  });

  it.each([
    [15, 3],
    [60, 12],
    [7, 2], // rounded up to whole dispatch intervals
  ])(
    'polls an app with a %i-minute interval once in every %i ticks, at a phase spread by app id',
    (interval, every) => {
      const phases = new Set<number>();
      for (let i = 0; i < 40; i++) {
        const candidate = app(`studio-${i}`, interval);
        const dueTicks = Array.from({ length: every * 4 }, (_, k) => 1000 + k).filter((t) =>
          isDue(candidate, t, 5),
        );
        expect(dueTicks).toHaveLength(4);
        expect(dueTicks.every((t, k) => k === 0 || t - (dueTicks[k - 1] ?? 0) === every)).toBe(true);
        phases.add((dueTicks[0] ?? 0) % every);
      }
      expect(phases.size).toBe(every);
    },
  );
});

describe('the reconciliation plan', () => {
  const midnight = new Date('2026-03-02T00:00:00Z');
  const ticksOfDays = (days: number, dispatchMinutes = 5) =>
    Array.from({ length: days * (1440 / dispatchMinutes) }, (_, k) => tickOf(midnight, dispatchMinutes) + k);
  const apps = Array.from({ length: 60 }, (_, i) => app(`studio-${i}`, i % 3 === 0 ? 15 : null));
  /** The ticks at which an app's run starts: due, with no due tick one resume spacing before. */
  const startsOf = (candidate: DispatchApp, ticks: readonly number[], minutes: number, days: number) => {
    const spacing = Math.max(1, Math.ceil(60 / minutes));
    return ticks.filter(
      (t) =>
        isReconcileDue(candidate, t, minutes, days) && !isReconcileDue(candidate, t - spacing, minutes, days),
    );
  };

  it('plans one reconciliation start a day per app, then three resumes an hour apart, and nothing else', () => {
    const ticks = ticksOfDays(3);
    const byApp = new Map<string, number[]>();
    for (const tick of ticks) {
      for (const appId of planDispatch(apps, new Date(tick * 5 * 60_000), 5, { intervalDays: 1 }).reconcile)
        byApp.set(appId, [...(byApp.get(appId) ?? []), tick]);
    }
    expect(RECONCILE_RESUMES).toBe(3);
    expect([...byApp.keys()].sort()).toEqual(apps.map((a) => a.appId).sort());
    for (const candidate of apps) {
      const starts = startsOf(candidate, ticks, 5, 1);
      expect(starts, candidate.appId).toHaveLength(3);
      expect([(starts[1] ?? 0) - (starts[0] ?? 0), (starts[2] ?? 0) - (starts[1] ?? 0)]).toEqual([288, 288]);
      for (const start of starts) {
        const run = Array.from({ length: 288 }, (_, k) => start + k).filter((t) =>
          isReconcileDue(candidate, t, 5, 1),
        );
        expect(run.map((t) => t - start)).toEqual([0, 12, 24, 36]);
        // Only the third resume is marked last: a scan unfinished after it cannot conclude.
        expect(run.map((t) => reconcileMessageAt(candidate, t, 5, 1)?.last)).toEqual([
          false,
          false,
          false,
          true,
        ]);
      }
      // Three days hold three runs' messages, give or take a run cut by the window's edges.
      expect(byApp.get(candidate.appId)?.length).toBeGreaterThanOrEqual(3 * 4 - 3);
      expect(byApp.get(candidate.appId)?.length).toBeLessThanOrEqual(3 * 4 + 3);
    }
  });

  it("spreads the apps' starts over the day instead of one hour", () => {
    const hours = new Set(
      apps.map((candidate) => {
        const [start = 0] = startsOf(candidate, ticksOfDays(1), 5, 1);
        return Math.floor((start - tickOf(midnight, 5)) / 12);
      }),
    );
    expect(hours.size).toBeGreaterThan(12);
  });

  it.each([
    [2, 5],
    [7, 5],
    [1, 60],
    [1, 720],
    [1, 1440],
  ])(
    'with an interval of %i days and %i-minute ticks, each app is due once per interval plus its resumes',
    (days, minutes) => {
      const every = (days * 1440) / minutes;
      const ticks = ticksOfDays(days * 2, minutes);
      for (const candidate of apps.slice(0, 10)) {
        const due = ticks.filter((t) => isReconcileDue(candidate, t, minutes, days));
        expect(due.length, candidate.appId).toBe(2 * Math.min(1 + RECONCILE_RESUMES, every));
        // Exactly one message per interval is the last.
        expect(due.filter((t) => reconcileMessageAt(candidate, t, minutes, days)?.last)).toHaveLength(2);
      }
    },
  );

  it('plans no reconciliation for a paused app, and none at all without reconciliation options', () => {
    const paused = app('resting', null, true);
    expect(ticksOfDays(2).some((t) => isReconcileDue(paused, t, 5, 1))).toBe(false);
    for (const tick of ticksOfDays(1))
      expect(planDispatch(apps, new Date(tick * 5 * 60_000), 5).reconcile).toEqual([]);
  });

  it('gives a reconciliation and a poll of the same tick different deduplication ids', () => {
    expect(reconcileDeduplicationId('a', 7)).not.toBe(pollDeduplicationId('a', 7));
    expect(reconcileDeduplicationId('a', 7)).not.toBe(reconcileDeduplicationId('a', 8));
  });
});

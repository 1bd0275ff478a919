import { describe, expect, it } from 'vitest';
import { isDue, planDispatch, pollDeduplicationId, tickOf } from '../../lib/core/dispatch-plan.ts';

const app = (appId: string, intervalMinutes: number | null = null, paused = false) => ({
  appId,
  intervalMinutes,
  paused,
});

describe('planDispatch', () => {
  const at = new Date('2026-03-02T10:00:00Z');

  it('plans every active app each tick by default, and skips paused ones', () => {
    const plan = planDispatch([app('a'), app('b'), app('c', null, true)], at, 5);
    expect(plan).toEqual({ tick: tickOf(at, 5), due: ['a', 'b'], paused: 1, notDue: 0 });
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

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addCounts,
  advanceScan,
  type Checkpoint,
  earnedWatermarks,
  finishScan,
  freshScan,
  judgeScan,
  type LastPoll,
  markDrifted,
  type PollCounts,
  rememberTail,
  type SavedScans,
  startScan,
  TAIL_IDS,
  ZERO_COUNTS,
} from '../../lib/core/scan-state.ts';

const NOW = new Date('2024-03-20T12:00:00.000Z');
const WATERMARK = '2024-03-19T12:00:00.000Z';
const PREVIOUS = '2024-03-18T12:00:00.000Z';

const scan = (overrides: Partial<Checkpoint> = {}): Checkpoint => ({
  mode: 'incremental',
  updatedSince: '2024-03-17',
  offset: 2000,
  startedAt: '2024-03-20T11:00:00.000Z',
  dirty: false,
  totals: ZERO_COUNTS,
  ...overrides,
});

const saved = (overrides: Partial<SavedScans> = {}): SavedScans => ({
  watermark: null,
  previousWatermark: null,
  checkpoint: null,
  resyncCheckpoint: null,
  ...overrides,
});

const counts = (overrides: Partial<PollCounts>): PollCounts => ({ ...ZERO_COUNTS, ...overrides });

describe('startScan', () => {
  const scheduled = scan({ offset: 3000 });
  const resyncing = scan({ mode: 'resync', updatedSince: null, offset: 5000 });

  it.each<[string, SavedScans | null, boolean, Checkpoint]>([
    ['no state at all: a baseline', null, false, freshScan('baseline', null, NOW)],
    ['no watermark: a baseline', saved(), false, freshScan('baseline', null, NOW)],
    [
      'only the baseline completed: a full incremental scan',
      saved({ watermark: WATERMARK }),
      false,
      freshScan('incremental', null, NOW),
    ],
    [
      'two complete scans: the window reaches back past the older one',
      saved({ watermark: WATERMARK, previousWatermark: PREVIOUS }),
      false,
      freshScan('incremental', '2024-03-17', NOW),
    ],
    ['a saved scheduled checkpoint is resumed', saved({ checkpoint: scheduled }), false, scheduled],
    ['a saved resync is resumed by a resync', saved({ resyncCheckpoint: resyncing }), true, resyncing],
    [
      'a resync never resumes the scheduled checkpoint',
      saved({ watermark: WATERMARK, checkpoint: scheduled }),
      true,
      freshScan('resync', null, NOW),
    ],
    [
      'a scheduled poll never resumes (or erases) the resync',
      saved({ watermark: WATERMARK, previousWatermark: PREVIOUS, resyncCheckpoint: resyncing }),
      false,
      freshScan('incremental', '2024-03-17', NOW),
    ],
  ])('%s', (_name, state, resync, expected) => {
    expect(startScan(state, { resync, lookbackDays: 1 }, NOW)).toEqual(expected);
  });

  it('starts a fresh scan at offset 0, clean, with zero totals, at the given instant', () => {
    expect(freshScan('baseline', null, NOW)).toEqual({
      mode: 'baseline',
      updatedSince: null,
      offset: 0,
      startedAt: NOW.toISOString(),
      dirty: false,
      totals: ZERO_COUNTS,
    });
  });

  it('throws on a malformed watermark rather than guessing a window', () => {
    expect(() => startScan(saved({ watermark: 'yesterday' }), { lookbackDays: 1 }, NOW)).toThrow();
  });
});

describe('advanceScan', () => {
  it.each<[string, Checkpoint, boolean, Partial<Checkpoint>]>([
    ['a clean page keeps a clean scan clean', scan(), false, { dirty: false }],
    ['a page with something unhandled makes the scan dirty', scan(), true, { dirty: true }],
    ['a dirty scan stays dirty after a clean page', scan({ dirty: true }), false, { dirty: true }],
  ])('%s', (_name, before, dirty, expected) => {
    const after = advanceScan(before, { offset: 1000, received: 950 }, counts({ fetched: 950 }), dirty);
    expect(after).toMatchObject({ ...expected, offset: 1950 });
  });

  it('moves the offset by the rows received (valid and invalid), not by the page size', () => {
    expect(advanceScan(scan({ offset: 0 }), { offset: 0, received: 7 }, ZERO_COUNTS, false).offset).toBe(7);
  });

  it('adds the page counts to the totals and keeps everything else', () => {
    const before = scan({
      totals: counts({ fetched: 10, updated: 2 }),
      drift: true,
      tail: ['a'],
      tailRows: 3,
    });
    const after = advanceScan(
      before,
      { offset: 2000, received: 5 },
      counts({ fetched: 5, updated: 1 }),
      false,
    );
    expect(after).toEqual({ ...before, offset: 2005, totals: counts({ fetched: 15, updated: 3 }) });
  });
});

describe('rememberTail and markDrifted', () => {
  it(`keeps the last ${TAIL_IDS} ids of the page and its row count`, () => {
    const ids = ['1', '2', '3', '4', '5', '6', '7'];
    expect(rememberTail(scan(), ids, 9)).toEqual({ ...scan(), tail: ids.slice(-TAIL_IDS), tailRows: 9 });
  });

  it('keeps all ids of a page shorter than the tail', () => {
    expect(rememberTail(scan(), ['1', '2'], 2).tail).toEqual(['1', '2']);
  });

  it('marks drift and changes nothing else', () => {
    expect(markDrifted(scan())).toEqual({ ...scan(), drift: true });
  });
});

describe('judgeScan', () => {
  it.each<[string, Checkpoint, boolean, ReturnType<typeof judgeScan>]>([
    ['stopped before the last page: incomplete', scan({ dirty: true }), false, { outcome: 'incomplete' }],
    ['reached the end with everything handled: complete', scan(), true, { outcome: 'complete' }],
    [
      'reached the end with something unhandled: failed, saying what',
      scan({ dirty: true, totals: counts({ unpublished: 3, conflicts: 1 }) }),
      true,
      {
        outcome: 'failed',
        error:
          '3 message(s) could not be published or 1 snapshot commit(s) conflicted; the watermark stays and the next poll reads the window again.',
      },
    ],
  ])('%s', (_name, checkpoint, reachedEnd, expected) => {
    expect(judgeScan(checkpoint, reachedEnd)).toEqual(expected);
  });
});

describe('earnedWatermarks', () => {
  it.each<[string, Checkpoint, string | null, ReturnType<typeof earnedWatermarks>]>([
    [
      'a clean incremental scan moves both',
      scan(),
      WATERMARK,
      { watermark: scan().startedAt, previousWatermark: WATERMARK },
    ],
    [
      'a clean baseline has no previous watermark',
      scan({ mode: 'baseline' }),
      null,
      { watermark: scan().startedAt, previousWatermark: null },
    ],
    ['a dirty scan earns nothing', scan({ dirty: true }), WATERMARK, undefined],
    ['a drifted scan earns nothing', scan({ drift: true }), WATERMARK, undefined],
    ['a resync leaves the watermarks to scheduled scans', scan({ mode: 'resync' }), WATERMARK, undefined],
  ])('%s', (_name, checkpoint, watermark, expected) => {
    expect(earnedWatermarks(checkpoint, { watermark })).toEqual(expected);
  });
});

describe('finishScan', () => {
  const lastPoll: LastPoll = {
    startedAt: NOW.toISOString(),
    finishedAt: NOW.toISOString(),
    outcome: 'complete',
    mode: 'incremental',
    counts: ZERO_COUNTS,
  };
  const progressed = scan({ offset: 4000 });
  const lastSaved = scan({ offset: 3000 });
  const finish = (over: Partial<Parameters<typeof finishScan>[0]>) =>
    finishScan({
      scan: progressed,
      saved: lastSaved,
      complete: false,
      reachedEnd: false,
      state: { watermark: WATERMARK },
      lastPoll,
      ...over,
    });

  it('a complete scan clears its checkpoint and moves the watermarks it earned', () => {
    expect(finish({ complete: true, reachedEnd: true })).toEqual({
      watermarks: { watermark: progressed.startedAt, previousWatermark: WATERMARK },
      slot: 'scan',
      checkpoint: null,
      lastPoll,
    });
  });

  it('a complete scan that drifted clears its checkpoint and keeps the watermarks', () => {
    expect(finish({ scan: markDrifted(progressed), complete: true, reachedEnd: true })).toEqual({
      slot: 'scan',
      checkpoint: null,
      lastPoll,
    });
  });

  it('a scan that reached its end with something unhandled starts the window over', () => {
    expect(finish({ scan: scan({ dirty: true }), reachedEnd: true })).toEqual({
      slot: 'scan',
      checkpoint: null,
      lastPoll,
    });
  });

  it('a scan stopped before its end keeps the checkpoint as last saved, not its unsaved progress', () => {
    expect(finish({})).toEqual({ slot: 'scan', checkpoint: lastSaved, lastPoll });
  });

  it('a resync ends in its own slot', () => {
    const resync = scan({ mode: 'resync' });
    expect(finish({ scan: resync, saved: resync })).toEqual({ slot: 'resync', checkpoint: resync, lastPoll });
  });
});

describe('addCounts', () => {
  const arbitraryCounts = fc.record<PollCounts>({
    fetched: fc.nat(),
    created: fc.nat(),
    updated: fc.nat(),
    optout_changed: fc.nat(),
    unchanged: fc.nat(),
    invalid: fc.nat(),
    published: fc.nat(),
    conflicts: fc.nat(),
    unpublished: fc.nat(),
  });

  it('has ZERO_COUNTS as identity and is commutative', () => {
    fc.assert(
      fc.property(arbitraryCounts, arbitraryCounts, (a, b) => {
        expect(addCounts(a, ZERO_COUNTS)).toEqual(a);
        expect(addCounts(a, b)).toEqual(addCounts(b, a));
      }),
      { seed: 19 },
    );
  });

  it('adds every field', () => {
    expect(addCounts(counts({ fetched: 1, unpublished: 2 }), counts({ fetched: 3, conflicts: 4 }))).toEqual(
      counts({ fetched: 4, unpublished: 2, conflicts: 4 }),
    );
  });
});

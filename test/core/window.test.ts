import { describe, expect, it } from 'vitest';
import { LOOKBACK_DAYS } from '../../lib/core/settings.ts';
import { computeWindow } from '../../lib/core/window.ts';

const PREVIOUS = '2024-03-14T09:00:00.000Z';

describe('computeWindow', () => {
  it('is a baseline without a watermark', () => {
    expect(computeWindow({ watermark: null, lookbackDays: 1 })).toEqual({ mode: 'baseline' });
  });

  it('reads everything again after the baseline alone (two complete scans of what it saw)', () => {
    expect(
      computeWindow({ watermark: '2024-03-15T10:00:00Z', previousWatermark: null, lookbackDays: 1 }),
    ).toEqual({
      mode: 'incremental',
      updatedSince: null,
    });
  });

  it('reaches back to the start of the complete scan before the last one, not the last one', () => {
    // Issue 12: a recovery scan started days after the previous one; the scan after it must
    // still reach back past the gap.
    expect(
      computeWindow({ watermark: '2024-03-20T10:00:00Z', previousWatermark: PREVIOUS, lookbackDays: 1 }),
    ).toEqual({ mode: 'incremental', updatedSince: '2024-03-13' });
  });

  it.each([
    ['lookback 1', '2024-03-15T10:00:00.000Z', 1, '2024-03-14'],
    ['lookback 1 at midnight', '2024-03-15T00:00:00.000Z', 1, '2024-03-14'],
    ['lookback 1 just before midnight', '2024-03-15T23:59:59.999Z', 1, '2024-03-14'],
    ['a month boundary', '2024-03-01T05:00:00.000Z', 1, '2024-02-29'],
    ['a non-leap February', '2023-03-01T05:00:00.000Z', 1, '2023-02-28'],
    ['a year boundary', '2024-01-01T00:30:00.000Z', 1, '2023-12-31'],
    ['a week back across a year', '2024-01-03T12:00:00.000Z', 7, '2023-12-27'],
    ['a long lookback', '2024-03-15T10:00:00.000Z', 366, '2023-03-15'],
    ['an offset watermark is read in UTC', '2024-03-15T01:00:00+02:00', 1, '2024-03-13'],
    ['a negative offset crossing forward', '2024-03-14T22:00:00-05:00', 1, '2024-03-14'],
    ['no milliseconds', '2024-03-15T10:00:00Z', 1, '2024-03-14'],
  ])('%s', (_, previousWatermark, lookbackDays, updatedSince) => {
    expect(computeWindow({ watermark: '2030-01-01T00:00:00Z', previousWatermark, lookbackDays })).toEqual({
      mode: 'incremental',
      updatedSince,
    });
  });

  it('uses the earlier watermark should a clock have stepped back', () => {
    expect(
      computeWindow({ watermark: '2024-03-10T10:00:00Z', previousWatermark: PREVIOUS, lookbackDays: 1 }),
    ).toEqual({ mode: 'incremental', updatedSince: '2024-03-09' });
  });

  it.each([
    ['no zone', '2024-03-15T10:00:00'],
    ['a date only', '2024-03-15'],
    ['free text', 'yesterday'],
    ['empty', ''],
    ['an impossible day', '2024-02-30T00:00:00Z'],
  ])('throws on a watermark with %s', (_, watermark) => {
    expect(() => computeWindow({ watermark, lookbackDays: 1 })).toThrow(/watermark/);
    expect(() =>
      computeWindow({ watermark: PREVIOUS, previousWatermark: watermark, lookbackDays: 1 }),
    ).toThrow(/watermark/);
  });

  it.each([[0], [-1], [0.5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'throws on lookbackDays %d (at least one day: issue 12)',
    (lookbackDays) => {
      expect(() => computeWindow({ watermark: '2024-03-15T10:00:00Z', lookbackDays })).toThrow(
        /lookbackDays/,
      );
      expect(() => computeWindow({ watermark: null, lookbackDays })).toThrow(/lookbackDays/);
    },
  );

  it('keeps the lookback range at least one day, defaulting to one', () => {
    expect(LOOKBACK_DAYS.min).toBe(1);
    expect(LOOKBACK_DAYS.default).toBe(1);
  });

  it('throws when the lookback reaches before year 0000', () => {
    expect(() =>
      computeWindow({
        watermark: '0001-01-01T00:00:00Z',
        previousWatermark: '0001-01-01T00:00:00Z',
        lookbackDays: 400,
      }),
    ).toThrow(/year 0000/);
  });
});

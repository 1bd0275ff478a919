import { describe, expect, it } from 'vitest';
import { computeWindow } from '../../lib/core/window.ts';

describe('computeWindow', () => {
  it('is a baseline without a watermark', () => {
    expect(computeWindow({ watermark: null, lookbackDays: 1 })).toEqual({ mode: 'baseline' });
  });

  it.each([
    ['lookback 1', '2024-03-15T10:00:00.000Z', 1, '2024-03-14'],
    ['lookback 0 keeps the day', '2024-03-15T10:00:00.000Z', 0, '2024-03-15'],
    ['lookback 0 at midnight', '2024-03-15T00:00:00.000Z', 0, '2024-03-15'],
    ['lookback 0 just before midnight', '2024-03-15T23:59:59.999Z', 0, '2024-03-15'],
    ['a month boundary', '2024-03-01T05:00:00.000Z', 1, '2024-02-29'],
    ['a non-leap February', '2023-03-01T05:00:00.000Z', 1, '2023-02-28'],
    ['a year boundary', '2024-01-01T00:30:00.000Z', 1, '2023-12-31'],
    ['a week back across a year', '2024-01-03T12:00:00.000Z', 7, '2023-12-27'],
    ['a long lookback', '2024-03-15T10:00:00.000Z', 366, '2023-03-15'],
    ['an offset watermark is read in UTC', '2024-03-15T01:00:00+02:00', 0, '2024-03-14'],
    ['a negative offset crossing forward', '2024-03-14T22:00:00-05:00', 1, '2024-03-14'],
    ['no milliseconds', '2024-03-15T10:00:00Z', 1, '2024-03-14'],
  ])('%s', (_, watermark, lookbackDays, updatedSince) => {
    expect(computeWindow({ watermark, lookbackDays })).toEqual({ mode: 'incremental', updatedSince });
  });

  it.each([
    ['no zone', '2024-03-15T10:00:00'],
    ['a date only', '2024-03-15'],
    ['free text', 'yesterday'],
    ['empty', ''],
    ['an impossible day', '2024-02-30T00:00:00Z'],
  ])('throws on a watermark with %s', (_, watermark) => {
    expect(() => computeWindow({ watermark, lookbackDays: 1 })).toThrow(/watermark/);
  });

  it.each([[-1], [0.5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'throws on lookbackDays %d',
    (lookbackDays) => {
      expect(() => computeWindow({ watermark: '2024-03-15T10:00:00Z', lookbackDays })).toThrow(
        /lookbackDays/,
      );
      expect(() => computeWindow({ watermark: null, lookbackDays })).toThrow(/lookbackDays/);
    },
  );

  it('throws when the lookback reaches before year 0000', () => {
    expect(() => computeWindow({ watermark: '0001-01-01T00:00:00Z', lookbackDays: 400 })).toThrow(
      /year 0000/,
    );
  });
});

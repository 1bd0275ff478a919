/**
 * The `updated_since` window of a poll.
 */
import { formatUtcDate, isFormattableInstant, parseInstant } from './instant.ts';

const DAY_MS = 86_400_000;

export type PollWindow =
  | { readonly mode: 'baseline' }
  | { readonly mode: 'incremental'; readonly updatedSince: string };

/**
 * The window of the next poll. No watermark: a `baseline` (full scan, no `updated_since`).
 * Otherwise `incremental` from the UTC calendar date (`YYYY-MM-DD`) of `watermark − lookbackDays`
 * days. `updated_since` has day granularity and Gleantap does not document its time zone,
 * hence the lookback (1 day by default in the config) covers any zone's "yesterday".
 *
 * @param input.watermark Start time of the last successful poll: ISO 8601 with `Z` or an offset, or null.
 * @param input.lookbackDays Whole days to reach back, ≥ 0.
 * @throws Error when `watermark` is not an ISO 8601 instant with a zone, when `lookbackDays` is
 *   negative, fractional or not finite, or when the window would start before year 0000.
 */
export function computeWindow(input: {
  readonly watermark: string | null;
  readonly lookbackDays: number;
}): PollWindow {
  const { watermark, lookbackDays } = input;
  if (!Number.isSafeInteger(lookbackDays) || lookbackDays < 0) {
    throw new Error(
      `computeWindow: lookbackDays must be a whole number of days ≥ 0, got ${String(lookbackDays)}.`,
    );
  }
  if (watermark === null) return { mode: 'baseline' };
  const watermarkMs = parseInstant(watermark, { requireZone: true });
  if (watermarkMs === undefined) {
    throw new Error(
      'computeWindow: watermark must be an ISO 8601 date-time with a zone, e.g. 2024-03-01T10:00:00.000Z.',
    );
  }
  const sinceMs = watermarkMs - lookbackDays * DAY_MS;
  if (!isFormattableInstant(sinceMs)) {
    throw new Error('computeWindow: the lookback reaches before year 0000; check lookbackDays.');
  }
  return { mode: 'incremental', updatedSince: formatUtcDate(sinceMs) };
}

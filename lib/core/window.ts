/**
 * The `updated_since` window of a poll.
 */
import { formatUtcDate, isFormattableInstant, parseInstant } from './instant.ts';
import { LOOKBACK_DAYS } from './settings.ts';

const DAY_MS = 86_400_000;

export type PollWindow =
  | { readonly mode: 'baseline' }
  /** `updatedSince` null: a full scan (no `updated_since`) that publishes what differs. */
  | { readonly mode: 'incremental'; readonly updatedSince: string | null };

/**
 * The window of the next poll.
 * - No watermark: a `baseline` (full scan, no `updated_since`).
 * - A watermark but no previous one (only the baseline has completed): a full incremental
 *   scan, so the customers that existed at the baseline are read by two complete scans too.
 * - Otherwise `incremental` from the UTC date of `previousWatermark − lookbackDays`: the window
 *   reaches back to the start of the complete scan *before* the last one, so every change is
 *   read by two complete scans (an offset scan over a moving result set can skip a row once),
 *   and the scan after a recovery scan still reaches back past the outage.
 *
 * @param input.watermark Start of the last complete scan: ISO 8601 with `Z` or an offset, or null.
 * @param input.previousWatermark Start of the complete scan before it, or null.
 * @param input.lookbackDays Whole days to reach back, at least LOOKBACK_DAYS.min (lib/core/settings.ts): a
 *   server whose clock is behind UTC, or whose `updated_since` is exclusive, leaves a change of
 *   the window's first day outside a window that starts on it.
 * @throws Error when a watermark is not an ISO 8601 instant with a zone, when `lookbackDays`
 *   is below the minimum, fractional or not finite, or when the window would start before year 0000.
 */
export function computeWindow(input: {
  readonly watermark: string | null;
  readonly previousWatermark?: string | null;
  readonly lookbackDays: number;
}): PollWindow {
  const { watermark, lookbackDays } = input;
  if (!Number.isSafeInteger(lookbackDays) || lookbackDays < LOOKBACK_DAYS.min) {
    throw new Error(
      `computeWindow: lookbackDays must be a whole number of days ≥ ${LOOKBACK_DAYS.min}, got ${String(lookbackDays)}.`,
    );
  }
  if (watermark === null) return { mode: 'baseline' };
  const watermarkMs = parseInstant(watermark, { requireZone: true });
  const previous = input.previousWatermark ?? null;
  const previousMs = previous === null ? null : parseInstant(previous, { requireZone: true });
  if (watermarkMs === undefined || previousMs === undefined) {
    throw new Error(
      'computeWindow: watermark must be an ISO 8601 date-time with a zone, e.g. 2024-03-01T10:00:00.000Z.',
    );
  }
  if (previousMs === null) return { mode: 'incremental', updatedSince: null };
  // The earlier of the two, should a clock have stepped back between the scans.
  const sinceMs = Math.min(previousMs, watermarkMs) - lookbackDays * DAY_MS;
  if (!isFormattableInstant(sinceMs)) {
    throw new Error('computeWindow: the lookback reaches before year 0000; check lookbackDays.');
  }
  return { mode: 'incremental', updatedSince: formatUtcDate(sinceMs) };
}

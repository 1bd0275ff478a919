/**
 * How long a poller invocation scans: the one source for the handler's deadline and the
 * construct's default timeout, so the two always agree.
 */

/**
 * Time kept back from the Lambda timeout to finish the page in hand (diff, publish, commit)
 * and record the checkpoint. The fetch of the next page is cancelled at the deadline, so
 * the margin does not have to cover Gleantap's retries.
 */
export const DEADLINE_MARGIN_MS = 15_000;

/** The margin for a function with `remainingMs` left: {@link DEADLINE_MARGIN_MS}, or a quarter of a short one. */
export function deadlineMarginMs(remainingMs: number): number {
  return Math.max(0, Math.min(DEADLINE_MARGIN_MS, remainingMs / 4));
}

/**
 * The instant after which a poll starts no page: `now` plus the remaining time less the margin.
 * A 48 s function (the default for a 1-minute schedule) scans for 36 s; a 40 s one for 30 s.
 */
export function pollDeadline(now: Date, remainingMs: number): Date {
  const remaining = Math.max(0, remainingMs);
  return new Date(now.getTime() + remaining - deadlineMarginMs(remaining));
}

/** The longest default timeout (s): a poll that needs longer resumes from its checkpoint. */
const MAX_DEFAULT_TIMEOUT_SECONDS = 240;

/**
 * The poller's default timeout (s) for a schedule interval (s): 80 % of the interval (so an
 * invocation ends before the next one is due), at most four minutes; four minutes when the
 * schedule is not a fixed rate.
 */
export function defaultPollerTimeoutSeconds(scheduleIntervalSeconds: number | undefined): number {
  if (scheduleIntervalSeconds === undefined) return MAX_DEFAULT_TIMEOUT_SECONDS;
  return Math.min(MAX_DEFAULT_TIMEOUT_SECONDS, Math.floor(scheduleIntervalSeconds * 0.8));
}

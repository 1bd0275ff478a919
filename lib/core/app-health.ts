/**
 * The watchdog's verdict on every registered app, from the registry and the apps' poll state.
 * Pure: the caller passes the time. One pass over the fleet replaces per-app alarms, so the
 * number of alarms (and their cost) no longer grows with the number of apps.
 */

/** What the watchdog knows of one app. */
export interface AppHealthInput {
  readonly appId: string;
  readonly paused: boolean;
  /** Minutes between polls of this app; null for the dispatch interval. */
  readonly intervalMinutes: number | null;
  /** When it was registered (ISO); an app never polled is stale only after this plus the allowance. */
  readonly addedAt: string;
  /** The app's last complete scan: its start (the watermark) or its end, whichever is later (ISO). */
  readonly lastCompleteAt: string | null;
  /** The outcome of the app's last poll, or null when it was never polled. */
  readonly lastOutcome: 'complete' | 'incomplete' | 'failed' | null;
}

export interface FleetHealth {
  readonly registered: number;
  readonly paused: number;
  /** Active apps without a complete scan for `missedPolls` of their intervals. */
  readonly stale: readonly string[];
  /** Active apps whose last poll failed. */
  readonly failing: readonly string[];
  /** Active apps polled in time whose last poll did not fail. */
  readonly healthy: number;
}

/**
 * Sorts every app into stale, failing or healthy (an app can be both stale and failing).
 * An app is stale when its last complete scan (or, never scanned, its registration) is more than
 * `missedPolls` poll intervals old.
 */
export function assessFleet(
  apps: readonly AppHealthInput[],
  now: Date,
  options: { readonly dispatchMinutes: number; readonly missedPolls: number },
): FleetHealth {
  const stale: string[] = [];
  const failing: string[] = [];
  let paused = 0;
  let healthy = 0;
  for (const app of apps) {
    if (app.paused) {
      paused++;
      continue;
    }
    const intervalMs = Math.max(app.intervalMinutes ?? 0, options.dispatchMinutes) * 60_000;
    const since = Date.parse(app.lastCompleteAt ?? app.addedAt);
    const isStale = Number.isNaN(since) || now.getTime() - since > options.missedPolls * intervalMs;
    const isFailing = app.lastOutcome === 'failed';
    if (isStale) stale.push(app.appId);
    if (isFailing) failing.push(app.appId);
    if (!isStale && !isFailing) healthy++;
  }
  return { registered: apps.length, paused, stale, failing, healthy };
}

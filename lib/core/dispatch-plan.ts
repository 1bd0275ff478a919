/**
 * Which registered apps a dispatcher tick enqueues a poll for. Pure: the caller passes the
 * tick's scheduled time, so a retried tick plans exactly the same polls (and the poll queue's
 * deduplication drops the repeats).
 */

/** An app as the dispatcher sees it in the registry. */
export interface DispatchApp {
  readonly appId: string;
  /** A paused app stays registered but is not polled. */
  readonly paused: boolean;
  /**
   * Minutes between polls of this app, a multiple of the dispatch interval; null for every tick.
   */
  readonly intervalMinutes: number | null;
}

/** What one tick enqueues, and what it leaves out. */
export interface DispatchPlan {
  /** The tick number: scheduled time in whole dispatch intervals since the epoch. */
  readonly tick: number;
  readonly due: readonly string[];
  readonly paused: number;
  readonly notDue: number;
}

/** The tick a scheduled time belongs to (times inside one interval share it). */
export function tickOf(scheduledTime: Date, dispatchMinutes: number): number {
  return Math.floor(scheduledTime.getTime() / (dispatchMinutes * 60_000));
}

/** FNV-1a: a stable, well-spread phase per app, so apps polled every n ticks do not all fall on one. */
function phaseOf(appId: string, modulus: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < appId.length; i++) {
    hash ^= appId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % modulus;
}

/**
 * Whether `app` is due at `tick`: every tick by default; with an interval of n dispatch
 * intervals, one tick in n, at a phase fixed by its app id. An interval that is not a multiple
 * of the dispatch interval is rounded up to the next multiple.
 */
export function isDue(app: DispatchApp, tick: number, dispatchMinutes: number): boolean {
  if (app.paused) return false;
  if (app.intervalMinutes === null || app.intervalMinutes <= dispatchMinutes) return true;
  const every = Math.ceil(app.intervalMinutes / dispatchMinutes);
  return (tick + phaseOf(app.appId, every)) % every === 0;
}

/** The polls of one tick. */
export function planDispatch(
  apps: readonly DispatchApp[],
  scheduledTime: Date,
  dispatchMinutes: number,
): DispatchPlan {
  const tick = tickOf(scheduledTime, dispatchMinutes);
  const due: string[] = [];
  let paused = 0;
  let notDue = 0;
  for (const app of apps) {
    if (app.paused) paused++;
    else if (isDue(app, tick, dispatchMinutes)) due.push(app.appId);
    else notDue++;
  }
  return { tick, due, paused, notDue };
}

/**
 * The poll message's deduplication id: one per app and tick, so a tick the scheduler retries
 * (or two dispatchers racing) enqueues each app once. SQS allows 128 characters; app ids have
 * at most 64.
 */
export function pollDeduplicationId(appId: string, tick: number): string {
  return `${appId}#${tick}`;
}

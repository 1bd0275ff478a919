/**
 * Which registered apps a dispatcher tick enqueues a poll for, and which a reconciliation
 * (the daily full scan that finds deleted customers, lib/reconcile.ts). Pure: the caller passes
 * the tick's scheduled time, so a retried tick plans exactly the same messages (and the poll
 * queue's deduplication drops the repeats).
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
  /** Apps whose reconciliation starts (or may resume) at this tick; see {@link isReconcileDue}. */
  readonly reconcile: readonly string[];
  /** Those of `reconcile` whose message is the interval's last (see {@link reconcileMessageAt}). */
  readonly reconcileLast: readonly string[];
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

/**
 * Reconciliation messages sent after the one that starts an app's run, an hour apart. A scan
 * longer than one poller invocation pauses at its deadline and the next message resumes it;
 * once the run has finished, the poller answers a later message with one read (`not_due`: a
 * run at most once in 20 hours, functions/poller/reconcile-task.ts). A scan gets four
 * invocations (about 15 minutes at the default timeout); one that needs more starts over the
 * next day (runs older than 20 hours are not resumed) and never concludes, so the last
 * message is marked and the poller reports a scan still unfinished after it.
 */
export const RECONCILE_RESUMES = 3;
const RESUME_SPACING_MINUTES = 60;

/**
 * Whether `app`'s reconciliation is due at `tick`, with one run every `intervalDays`: at one
 * tick of each interval, at a phase fixed by its app id (so a fleet's scans spread over the
 * day instead of all starting at midnight), then at up to {@link RECONCILE_RESUMES} ticks an
 * hour apart after it. A paused app is not reconciled.
 */
export function isReconcileDue(
  app: DispatchApp,
  tick: number,
  dispatchMinutes: number,
  intervalDays: number,
): boolean {
  return reconcileMessageAt(app, tick, dispatchMinutes, intervalDays) !== null;
}

/**
 * The reconciliation message of `app` at `tick`, if any: `last` when no resume follows it in
 * this interval (a scan still unfinished after it will not conclude; the poller says so).
 */
export function reconcileMessageAt(
  app: DispatchApp,
  tick: number,
  dispatchMinutes: number,
  intervalDays: number,
): { readonly last: boolean } | null {
  if (app.paused) return null;
  const every = Math.max(1, Math.ceil((intervalDays * 1440) / dispatchMinutes));
  const spacing = Math.max(1, Math.ceil(RESUME_SPACING_MINUTES / dispatchMinutes));
  // A phase of its own: an app polled once an hour is not reconciled at its poll's phase.
  const position = (tick + phaseOf(`${app.appId}#reconcile`, every)) % every;
  if (position % spacing !== 0) return null;
  const attempt = position / spacing;
  const lastAttempt = Math.min(RECONCILE_RESUMES, Math.floor((every - 1) / spacing));
  return attempt <= lastAttempt ? { last: attempt === lastAttempt } : null;
}

/** How often apps are reconciled; null when the caller plans no reconciliation. */
export interface ReconcilePlanOptions {
  readonly intervalDays: number;
}

/** The polls and reconciliations of one tick. */
export function planDispatch(
  apps: readonly DispatchApp[],
  scheduledTime: Date,
  dispatchMinutes: number,
  reconcile: ReconcilePlanOptions | null = null,
): DispatchPlan {
  const tick = tickOf(scheduledTime, dispatchMinutes);
  const due: string[] = [];
  const reconciled: string[] = [];
  const reconcileLast: string[] = [];
  let paused = 0;
  let notDue = 0;
  for (const app of apps) {
    if (app.paused) paused++;
    else if (isDue(app, tick, dispatchMinutes)) due.push(app.appId);
    else notDue++;
    const message =
      reconcile === null ? null : reconcileMessageAt(app, tick, dispatchMinutes, reconcile.intervalDays);
    if (message !== null) reconciled.push(app.appId);
    if (message?.last) reconcileLast.push(app.appId);
  }
  return { tick, due, reconcile: reconciled, reconcileLast, paused, notDue };
}

/**
 * The poll message's deduplication id: one per app and tick, so a tick the scheduler retries
 * (or two dispatchers racing) enqueues each app once. SQS allows 128 characters; app ids have
 * at most 64.
 */
export function pollDeduplicationId(appId: string, tick: number): string {
  return `${appId}#${tick}`;
}

/**
 * The reconciliation message's deduplication id: one per app and tick, apart from the poll's
 * (`<app>#<tick>`), since both may be sent at one tick. At most 64 + 3 + 16 characters.
 */
export function reconcileDeduplicationId(appId: string, tick: number): string {
  return `${appId}#r#${tick}`;
}

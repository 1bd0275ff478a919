/**
 * One dispatcher tick: read the registry, plan which apps are due, enqueue a poll for each,
 * and a reconciliation for the apps whose daily (or `intervalDays`) full scan is due.
 * It reads no clock: the tick's scheduled time comes from the scheduler, so a retried tick
 * plans the same polls and the queue drops the repeats.
 */
import type { RegisteredApp } from './aws/app-registry.ts';
import type { PollQueue, PollRequest } from './aws/poll-queue.ts';
import { planDispatch, pollDeduplicationId, reconcileDeduplicationId } from './core/dispatch-plan.ts';
import type { Log } from './ports.ts';

/** What the dispatcher reads the fleet from. */
export interface AppList {
  list(): Promise<readonly RegisteredApp[]>;
}

/** What one tick did. */
export interface DispatchSummary {
  readonly scheduledTime: string;
  readonly tick: number;
  readonly registered: number;
  /** Messages enqueued: polls and reconciliations. */
  readonly enqueued: number;
  /** Reconciliation messages among them (see `isReconcileDue` in lib/core/dispatch-plan.ts). */
  readonly reconciliations: number;
  readonly paused: number;
  readonly notDue: number;
  /** App ids SQS refused (`<app> (reconcile)` for a reconciliation); they wait for the next tick. */
  readonly failed: readonly string[];
}

/**
 * Enqueues the polls of the tick at `scheduledTime`.
 *
 * @throws Error when the registry cannot be read or SQS cannot be reached.
 */
export async function dispatchPolls(
  ports: { readonly apps: AppList; readonly queue: PollQueue; readonly log: Log },
  options: {
    readonly scheduledTime: Date;
    readonly dispatchMinutes: number;
    /** Days between reconciliations of each app; null plans none. */
    readonly reconcileIntervalDays: number | null;
  },
): Promise<DispatchSummary> {
  const apps = await ports.apps.list();
  const plan = planDispatch(
    apps,
    options.scheduledTime,
    options.dispatchMinutes,
    options.reconcileIntervalDays === null ? null : { intervalDays: options.reconcileIntervalDays },
  );
  const scheduledTime = options.scheduledTime.toISOString();
  const requests: PollRequest[] = [
    ...plan.due.map((appId) => ({
      appId,
      deduplicationId: pollDeduplicationId(appId, plan.tick),
      scheduledTime,
    })),
    ...plan.reconcile.map((appId) => ({
      appId,
      task: 'reconcile' as const,
      ...(plan.reconcileLast.includes(appId) ? { last: true } : {}),
      deduplicationId: reconcileDeduplicationId(appId, plan.tick),
      scheduledTime,
    })),
  ];
  const { failed } = await ports.queue.send(requests);
  const summary: DispatchSummary = {
    scheduledTime,
    tick: plan.tick,
    registered: apps.length,
    enqueued: requests.length - failed.length,
    reconciliations: plan.reconcile.length - failed.filter((id) => id.endsWith(' (reconcile)')).length,
    paused: plan.paused,
    notDue: plan.notDue,
    failed,
  };
  if (failed.length > 0) {
    ports.log.error('Some messages could not be enqueued; they wait for the next tick.', {
      failed: failed.length,
      appIds: failed.slice(0, 50),
    });
  }
  ports.log.info('Dispatched polls.', { ...summary, failed: failed.length });
  return summary;
}

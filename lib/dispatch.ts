/**
 * One dispatcher tick: read the registry, plan which apps are due, enqueue a poll for each.
 * It reads no clock: the tick's scheduled time comes from the scheduler, so a retried tick
 * plans the same polls and the queue drops the repeats.
 */
import type { RegisteredApp } from './aws/app-registry.ts';
import type { PollQueue } from './aws/poll-queue.ts';
import { planDispatch, pollDeduplicationId } from './core/dispatch-plan.ts';
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
  readonly enqueued: number;
  readonly paused: number;
  readonly notDue: number;
  /** App ids SQS refused; their polls wait for the next tick. */
  readonly failed: readonly string[];
}

/**
 * Enqueues the polls of the tick at `scheduledTime`.
 *
 * @throws Error when the registry cannot be read or SQS cannot be reached.
 */
export async function dispatchPolls(
  ports: { readonly apps: AppList; readonly queue: PollQueue; readonly log: Log },
  options: { readonly scheduledTime: Date; readonly dispatchMinutes: number },
): Promise<DispatchSummary> {
  const apps = await ports.apps.list();
  const plan = planDispatch(apps, options.scheduledTime, options.dispatchMinutes);
  const scheduledTime = options.scheduledTime.toISOString();
  const { failed } = await ports.queue.send(
    plan.due.map((appId) => ({
      appId,
      deduplicationId: pollDeduplicationId(appId, plan.tick),
      scheduledTime,
    })),
  );
  const summary: DispatchSummary = {
    scheduledTime,
    tick: plan.tick,
    registered: apps.length,
    enqueued: plan.due.length - failed.length,
    paused: plan.paused,
    notDue: plan.notDue,
    failed,
  };
  if (failed.length > 0) {
    ports.log.error('Some polls could not be enqueued; they wait for the next tick.', {
      failed: failed.length,
      appIds: failed.slice(0, 50),
    });
  }
  ports.log.info('Dispatched polls.', { ...summary, failed: failed.length });
  return summary;
}

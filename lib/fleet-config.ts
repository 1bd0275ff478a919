/**
 * Configuration of the fleet functions (the dispatcher and the watchdog), read from the
 * environment their handler passes in. Like lib/config.ts it never throws: every problem comes
 * back at once, each naming its variable.
 */
import type { Environment } from './config.ts';
import { checkReconcileIntervalDays, RECONCILE_INTERVAL_DAYS } from './core/settings.ts';

/** What a fleet function needs beyond the table: the dispatcher needs the poll queue. */
export interface FleetConfigNeeds {
  readonly queue: boolean;
}

/**
 * The validated fleet configuration, typed by what was asked for: with `{ queue: true }` the
 * queue URL is present (`string`), as loadFleetConfig then guarantees it; otherwise it may be
 * null. The same pattern as NotifierConfig in lib/config.ts.
 */
export interface FleetConfig<N extends FleetConfigNeeds = FleetConfigNeeds> {
  readonly tableName: string;
  /** The poll queue (dispatcher only). */
  readonly queueUrl: N extends { readonly queue: true } ? string : string | null;
  /** Minutes between dispatcher ticks: the default poll interval of every app. */
  readonly dispatchMinutes: number;
  /**
   * Days between reconciliations of each app (dispatcher only); null when
   * `NOTIFIER_RECONCILE_INTERVAL_DAYS` is `off` (local fleets that test polls alone).
   */
  readonly reconcileIntervalDays: number | null;
  /** Intervals without a complete poll before the watchdog calls an app stale. */
  readonly missedPolls: number;
  /** AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1 (Lambda always sets AWS_REGION). */
  readonly region: string;
}

export type FleetConfigResult<N extends FleetConfigNeeds = FleetConfigNeeds> =
  | { readonly ok: true; readonly config: FleetConfig<N> }
  | { readonly ok: false; readonly problems: readonly string[] };

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

function whole(env: Environment, name: string, fallback: number, max: number, problems: string[]): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    problems.push(`${name} must be a whole number from 1 to ${max}, not ${JSON.stringify(raw)}.`);
    return fallback;
  }
  return value;
}

function reconcileInterval(env: Environment, problems: string[]): number | null {
  const name = 'NOTIFIER_RECONCILE_INTERVAL_DAYS';
  const raw = env[name]?.trim();
  if (!raw) return RECONCILE_INTERVAL_DAYS.default;
  if (raw === 'off') return null;
  const value = /^\d+$/.test(raw) ? Number(raw) : raw;
  const problem = checkReconcileIntervalDays(value);
  if (problem === undefined && typeof value === 'number') return value;
  problems.push(`${name} ${problem ?? 'is invalid'} (or off).`);
  return RECONCILE_INTERVAL_DAYS.default;
}

/**
 * Reads NOTIFIER_TABLE_NAME, POLL_QUEUE_URL, NOTIFIER_DISPATCH_MINUTES,
 * NOTIFIER_RECONCILE_INTERVAL_DAYS and NOTIFIER_MISSED_POLLS. With `{ queue: true }` a missing
 * or malformed POLL_QUEUE_URL is a problem, so the config's type has the queue URL present.
 */
export function loadFleetConfig<const N extends FleetConfigNeeds>(
  env: Environment,
  needs: N,
): FleetConfigResult<N>;
export function loadFleetConfig(env: Environment, needs: FleetConfigNeeds): FleetConfigResult {
  const problems: string[] = [];
  const tableName = env.NOTIFIER_TABLE_NAME?.trim() ?? '';
  if (!TABLE_NAME.test(tableName)) {
    problems.push('NOTIFIER_TABLE_NAME is missing or invalid: name the DynamoDB state table.');
  }
  const queueUrl = env.POLL_QUEUE_URL?.trim() || null;
  if (needs.queue && (queueUrl === null || !/^https?:\/\/\S+\.fifo$/.test(queueUrl))) {
    problems.push('POLL_QUEUE_URL is missing or not the URL of an SQS FIFO queue (…/name.fifo).');
  }
  const dispatchMinutes = whole(env, 'NOTIFIER_DISPATCH_MINUTES', 5, 1440, problems);
  const reconcileIntervalDays = reconcileInterval(env, problems);
  const missedPolls = whole(env, 'NOTIFIER_MISSED_POLLS', 3, 1440, problems);
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1';
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: { tableName, queueUrl, dispatchMinutes, reconcileIntervalDays, missedPolls, region },
  };
}

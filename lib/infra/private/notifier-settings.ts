/**
 * The construct's props checked with the rules of lib/core/settings.ts (the runtime's own) and
 * turned into the settings its parts are built from; every problem is reported at once, each
 * naming its prop.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { IConstruct } from 'constructs';
import { defaultPollerTimeoutSeconds } from '../../core/deadline.ts';
import {
  checkAppId,
  checkAppIds,
  checkBaseUrl,
  checkInteger,
  checkLookbackDays,
  checkPageSize,
  checkReconcileIntervalDays,
  checkWatchedFields,
  DEFAULT_GLEANTAP_BASE_URL,
  LOOKBACK_DAYS,
  MAX_CONCURRENCY,
  PAGE_SIZE,
  RECONCILE_INTERVAL_DAYS,
} from '../../core/settings.ts';
import type { GleantapChangeNotifierProps } from '../gleantap-change-notifier-props.ts';
import { propsError } from './validation-error.ts';

/** CloudWatch evaluates at most one day of periods per alarm. */
const MAX_ALARM_EVALUATION = Duration.days(1);

/** The variables the construct sets itself; a caller's `environment` may not override them. */
export const WIRED_ENVIRONMENT = [
  'GLEANTAP_BASE_URL',
  'GLEANTAP_APP_IDS',
  'GLEANTAP_CREDENTIALS_SECRET_ARN',
  'NOTIFIER_TABLE_NAME',
  'EVENTS_TOPIC_ARN',
  'NOTIFIER_LOOKBACK_DAYS',
  'NOTIFIER_PAGE_SIZE',
  'NOTIFIER_EMIT_BASELINE',
  'NOTIFIER_WATCHED_FIELDS',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
] as const;

/** What the construct builds from its props, once they are checked. */
export interface NotifierSettings {
  readonly appIds: readonly string[];
  readonly maxConcurrency: number;
  readonly scheduleExpression: ScheduleExpression;
  readonly pollInterval: Duration;
  readonly missedPolls: number;
  readonly maxEventAge: Duration;
  readonly timeout: Duration;
  readonly lookbackDays: number;
  readonly pageSize: number;
  readonly baseUrl: string;
  readonly reconcileIntervalDays: number;
}

/**
 * Checks every prop with the rules of lib/core/settings.ts (the runtime's own) and derives
 * the settings the constructor uses. Never throws: every problem is returned, each naming
 * its prop; the settings are only meaningful when there are none.
 */
export function resolveNotifierProps(props: GleantapChangeNotifierProps): {
  readonly settings: NotifierSettings;
  readonly problems: readonly string[];
} {
  const problems: string[] = [];
  // May be empty: the app registry is the fleet, these ids only seed it.
  const appIds = Array.isArray(props.appIds) ? props.appIds : [];
  if (appIds.length > 0) for (const problem of checkAppIds(appIds)) problems.push(`appIds ${problem}`);
  const maxConcurrency = props.maxConcurrency ?? MAX_CONCURRENCY.default;
  const maxConcurrencyProblem = checkInteger(maxConcurrency, MAX_CONCURRENCY);
  if (maxConcurrencyProblem !== undefined) problems.push(`maxConcurrency ${maxConcurrencyProblem}`);

  const schedule = props.schedule ?? Duration.minutes(5);
  let scheduleExpression = ScheduleExpression.rate(Duration.minutes(5));
  let scheduleInterval: Duration | undefined;
  if (schedule instanceof Duration) {
    const minutes = schedule.toSeconds() / 60;
    if (!Number.isInteger(minutes) || minutes < 1) {
      problems.push(
        `schedule must be a whole number of minutes, at least one; got ${schedule.toHumanString()}`,
      );
    } else {
      scheduleExpression = ScheduleExpression.rate(schedule);
      scheduleInterval = schedule;
    }
  } else {
    scheduleExpression = schedule;
  }

  let pollInterval = props.pollInterval ?? scheduleInterval ?? Duration.minutes(5);
  if (props.pollInterval === undefined && !(schedule instanceof Duration)) {
    problems.push('pollInterval is required when schedule is a ScheduleExpression');
  }
  const pollMinutes = pollInterval.toSeconds() / 60;
  if (!Number.isInteger(pollMinutes) || pollMinutes < 1) {
    problems.push(
      `pollInterval must be a whole number of minutes, at least one; got ${pollInterval.toHumanString()}`,
    );
    pollInterval = Duration.minutes(5);
  }
  const missedPolls = props.missedPollsBeforeAlarm ?? 3;
  if (!Number.isInteger(missedPolls) || missedPolls < 1) {
    problems.push(`missedPollsBeforeAlarm must be a positive integer; got ${missedPolls}`);
  } else if (missedPolls * pollInterval.toSeconds() > MAX_ALARM_EVALUATION.toSeconds()) {
    problems.push(
      `missedPollsBeforeAlarm × pollInterval must not exceed one day (CloudWatch's evaluation limit); got ${missedPolls} × ${pollInterval.toHumanString()}`,
    );
  }

  const timeout =
    props.timeout ?? Duration.seconds(defaultPollerTimeoutSeconds(scheduleInterval?.toSeconds()));
  const timeoutSeconds = timeout.toSeconds();
  if (timeoutSeconds < 10 || timeoutSeconds > 900) {
    problems.push(`timeout must be between 10 seconds and 15 minutes; got ${timeout.toHumanString()}`);
  } else if (scheduleInterval !== undefined && timeoutSeconds >= scheduleInterval.toSeconds()) {
    problems.push(
      `timeout (${timeout.toHumanString()}) must be shorter than the schedule interval (${scheduleInterval.toHumanString()})`,
    );
  }

  const lookbackDays = props.lookbackDays ?? LOOKBACK_DAYS.default;
  const lookbackProblem = checkLookbackDays(lookbackDays);
  if (lookbackProblem !== undefined) problems.push(`lookbackDays ${lookbackProblem}`);
  const reconcileIntervalDays = props.reconcileIntervalDays ?? RECONCILE_INTERVAL_DAYS.default;
  const reconcileProblem = checkReconcileIntervalDays(reconcileIntervalDays);
  if (reconcileProblem !== undefined) problems.push(`reconcileIntervalDays ${reconcileProblem}`);
  const pageSize = props.pageSize ?? PAGE_SIZE.default;
  const pageSizeProblem = checkPageSize(pageSize);
  if (pageSizeProblem !== undefined) problems.push(`pageSize ${pageSizeProblem}`);

  const baseUrl = props.gleantapBaseUrl ?? DEFAULT_GLEANTAP_BASE_URL;
  const baseUrlProblem = Token.isUnresolved(baseUrl) ? undefined : checkBaseUrl(baseUrl);
  if (baseUrlProblem !== undefined) problems.push(`gleantapBaseUrl ${baseUrlProblem}`);

  if (props.reservedConcurrency !== undefined) {
    if (!Number.isInteger(props.reservedConcurrency) || props.reservedConcurrency < 1) {
      problems.push(`reservedConcurrency must be a positive integer; got ${props.reservedConcurrency}`);
    }
  }
  for (const problem of checkWatchedFields(props.watchedFields ?? [])) {
    problems.push(`watchedFields ${problem}`);
  }
  for (const address of props.alertEmails ?? []) {
    const problem = emailProblem(address);
    if (problem !== undefined) problems.push(`alertEmails: ${problem}`);
  }
  if ((props.alertEmails ?? []).length > 0 && appIds.length > 1) {
    problems.push(
      "alertEmails sends opt-outs of one app only: with several appIds use alertEmailsByApp, so each studio's staff see only its own members",
    );
  }
  for (const [appId, addresses] of Object.entries(props.alertEmailsByApp ?? {})) {
    // Apps registered with the CLI are not in appIds: check the id's form only.
    const appIdProblem = checkAppId(appId);
    if (appIdProblem !== undefined) problems.push(`alertEmailsByApp ${appIdProblem}`);
    for (const address of addresses) {
      const problem = emailProblem(address);
      if (problem !== undefined) problems.push(`alertEmailsByApp.${appId}: ${problem}`);
    }
  }
  for (const address of props.alarmEmails ?? []) {
    const problem = emailProblem(address);
    if (problem !== undefined) problems.push(`alarmEmails: ${problem}`);
  }
  if (props.environment !== undefined) {
    for (const wired of WIRED_ENVIRONMENT.filter((name) => name in (props.environment ?? {}))) {
      problems.push(`environment must not set ${wired}; the construct sets it from its props`);
    }
  }

  const settings: NotifierSettings = {
    appIds,
    maxConcurrency,
    scheduleExpression,
    pollInterval,
    missedPolls,
    maxEventAge: Duration.seconds(
      Math.min(
        Duration.hours(1).toSeconds(),
        Math.max(60, (scheduleInterval ?? Duration.hours(1)).toSeconds()),
      ),
    ),
    timeout,
    lookbackDays,
    pageSize,
    baseUrl,
    reconcileIntervalDays,
  };
  return { settings, problems };
}

/**
 * The settings of `props`, checked.
 *
 * @throws ValidationError (on `scope`, code `GleantapNotifierProps`) listing every problem,
 *   each naming its prop.
 */
export function checkedNotifierSettings(
  scope: IConstruct,
  props: GleantapChangeNotifierProps,
): NotifierSettings {
  const { settings, problems } = resolveNotifierProps(props);
  if (problems.length > 0) throw propsError(scope, 'GleantapNotifierProps', problems);
  return settings;
}

/** Why `address` cannot be an email subscription's endpoint, or undefined when it can. */
export function emailProblem(address: string): string | undefined {
  if (Token.isUnresolved(address)) return undefined;
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address) ? undefined : `"${address}" is not an email address`;
}

import { Duration } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import {
  checkAppIds,
  checkBaseUrl,
  checkEmail,
  checkInteger,
  checkLookbackDays,
  checkPageSize,
  checkReconcileIntervalDays,
  checkWatchedFields,
  MAX_CONCURRENCY,
} from '../core/settings.ts';
import type { NotifierStackProps } from './notifier-stack.ts';
import { ALERT_DELIVERIES, type AlertDelivery } from './opt-out-alerts.ts';

/**
 * The CDK context keys the app reads (from `cdk.json`, `cdk.context.json` or `-c key=value`).
 * Values given with `-c` arrive as strings; in `cdk.json` they may also be JSON arrays,
 * numbers and booleans.
 */
export const CONTEXT_KEYS = {
  /**
   * Optional. Gleantap app ids that seed the app registry on deploy: an array, or a
   * comma-separated string. More apps are added with `npx gleantap-notifier apps add`.
   */
  appIds: 'gleantap:appIds',
  /** Optional. ARN of an existing secret with the Gleantap keys; default: a new secret. */
  credentialsSecretArn: 'gleantap:credentialsSecretArn',
  /**
   * Optional. Staff emails that receive one app's opt-out events, as `app-id=email` entries
   * (array or comma-separated), or a JSON object `{"app-id": ["email", ...]}`. A bare email
   * is allowed only when one app is polled: each studio sees only its own members.
   */
  alertEmails: 'gleantap:alertEmails',
  /** Optional. `digest` (default: one mail per app and poll page) or `each` (one mail per opt-out event). */
  alertDelivery: 'gleantap:alertDelivery',
  /** Optional. Emails that receive alarms: array or comma-separated. */
  alarmEmails: 'gleantap:alarmEmails',
  /** Optional. Minutes between polls of each app (default 5), or a `rate(...)`/`cron(...)` expression. */
  schedule: 'gleantap:schedule',
  /** Optional with a minutes schedule, required with an expression: expected minutes between polls. */
  pollIntervalMinutes: 'gleantap:pollIntervalMinutes',
  /** Optional. Days of lookback for `updated_since`, 1 to 30 (default 1). */
  lookbackDays: 'gleantap:lookbackDays',
  /** Optional. Members per page, 1..1000 (default 1000). */
  pageSize: 'gleantap:pageSize',
  /** Optional. Days between reconciliations (deleted customers) of each app, 1 to 7 (default 1). */
  reconcileIntervalDays: 'gleantap:reconcileIntervalDays',
  /** Optional. Gleantap API scheme and host (default https://api.gleantap.com). */
  baseUrl: 'gleantap:baseUrl',
  /** Optional. `true` to publish `customer.created` for every customer on the first poll. */
  emitBaseline: 'gleantap:emitBaseline',
  /** Optional. Extra watched member fields: array or comma-separated. */
  watchedFields: 'gleantap:watchedFields',
  /** Optional. Concurrency reserved for the poller (default: none). */
  reservedConcurrency: 'gleantap:reservedConcurrency',
  /** Optional. Pollers the poll queue runs at once, 2 to 1000 (default 50). */
  maxConcurrency: 'gleantap:maxConcurrency',
  /** Optional. The CloudFormation stack name (default GleantapNotifier). */
  stackName: 'gleantap:stackName',
} as const;

/** Thrown when context is missing or invalid; the message lists every problem, each naming its key. */
export class ContextError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`Invalid CDK context:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ContextError';
  }
}

/** What {@link stackPropsFromContext} returns: the stack's name and its props. */
export interface NotifierAppConfig {
  readonly stackName: string;
  readonly props: NotifierStackProps;
}

const KNOWN_KEYS: readonly string[] = Object.values(CONTEXT_KEYS);

/**
 * Reads and validates the app's context keys, with the same rules (lib/core/settings.ts) the
 * construct and the Lambda apply, so a value that synthesizes is a value the poller accepts.
 *
 * @param tryGetContext `app.node.tryGetContext`, or any lookup with the same contract
 * @param contextKeys every context key given (`Object.keys(app.node.getAllContext())`): a
 *   `gleantap:` key that is not one of {@link CONTEXT_KEYS} is a problem (a typo would
 *   otherwise be ignored silently)
 * @throws ContextError listing every missing, unknown or invalid key at once
 */
export function stackPropsFromContext(
  tryGetContext: (key: string) => unknown,
  contextKeys: Iterable<string> = [],
): NotifierAppConfig {
  const problems: string[] = [];
  for (const key of contextKeys) {
    if (key.startsWith('gleantap:') && !KNOWN_KEYS.includes(key)) problems.push(unknownKeyProblem(key));
  }
  const read = <T>(key: string, parse: (value: unknown) => T): T | undefined => {
    const value = tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    try {
      return parse(value);
    } catch (error) {
      problems.push(`${key}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };

  // Absent: a registry-only deployment (apps are added with `apps add`).
  const appIds = read(CONTEXT_KEYS.appIds, (value) => checked(parseList(value), checkAppIds)) ?? [];
  const credentialsSecretArn = read(CONTEXT_KEYS.credentialsSecretArn, parseString);
  const alertEntries = read(CONTEXT_KEYS.alertEmails, parseAlertEmails);
  const alertDelivery = read(CONTEXT_KEYS.alertDelivery, parseAlertDelivery);
  const alarmEmails = read(CONTEXT_KEYS.alarmEmails, (value) => checked(parseList(value), checkEmails));
  const schedule = read(CONTEXT_KEYS.schedule, parseSchedule);
  const pollIntervalMinutes = read(CONTEXT_KEYS.pollIntervalMinutes, parsePositiveInteger);
  const lookbackDays = read(CONTEXT_KEYS.lookbackDays, (value) =>
    checkedOne(parseInteger(value), checkLookbackDays),
  );
  const pageSize = read(CONTEXT_KEYS.pageSize, (value) => checkedOne(parseInteger(value), checkPageSize));
  const reconcileIntervalDays = read(CONTEXT_KEYS.reconcileIntervalDays, (value) =>
    checkedOne(parseInteger(value), checkReconcileIntervalDays),
  );
  const baseUrl = read(CONTEXT_KEYS.baseUrl, (value) => checkedOne(parseString(value), checkBaseUrl));
  const emitBaseline = read(CONTEXT_KEYS.emitBaseline, parseBoolean);
  const watchedFields = read(CONTEXT_KEYS.watchedFields, (value) =>
    checked(parseList(value), checkWatchedFields),
  );
  const reservedConcurrency = read(CONTEXT_KEYS.reservedConcurrency, parsePositiveInteger);
  const maxConcurrency = read(CONTEXT_KEYS.maxConcurrency, (value) =>
    checkedOne(parseInteger(value), (n) => checkInteger(n, MAX_CONCURRENCY)),
  );
  const stackName = read(CONTEXT_KEYS.stackName, parseString) ?? 'GleantapNotifier';

  const alertEmailsByApp =
    alertEntries === undefined ? undefined : groupAlertEmails(alertEntries, appIds, problems);

  if (problems.length > 0) throw new ContextError(problems);

  return {
    stackName,
    props: {
      ...(credentialsSecretArn === undefined ? {} : { credentialsSecretArn }),
      notifier: {
        appIds,
        ...(schedule === undefined ? {} : { schedule }),
        ...(pollIntervalMinutes === undefined ? {} : { pollInterval: Duration.minutes(pollIntervalMinutes) }),
        ...(lookbackDays === undefined ? {} : { lookbackDays }),
        ...(pageSize === undefined ? {} : { pageSize }),
        ...(reconcileIntervalDays === undefined ? {} : { reconcileIntervalDays }),
        ...(baseUrl === undefined ? {} : { gleantapBaseUrl: baseUrl }),
        ...(emitBaseline === undefined ? {} : { emitBaseline }),
        ...(watchedFields === undefined ? {} : { watchedFields }),
        ...(alertEmailsByApp === undefined ? {} : { alertEmailsByApp }),
        ...(alertDelivery === undefined ? {} : { alertDelivery }),
        ...(alarmEmails === undefined ? {} : { alarmEmails }),
        ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
        ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
      },
    },
  };
}

function parseAlertDelivery(value: unknown): AlertDelivery {
  const delivery = ALERT_DELIVERIES.find((d) => d === value);
  if (delivery === undefined)
    throw new Error(`expected one of ${ALERT_DELIVERIES.join(', ')}, got ${JSON.stringify(value)}`);
  return delivery;
}

function parseString(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

/** An array of strings, or one comma-separated string; blanks are dropped. */
function parseList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (items === undefined || !items.every((item) => typeof item === 'string')) {
    throw new Error(`expected a comma-separated string or an array of strings, got ${JSON.stringify(value)}`);
  }
  const list = items.map((item) => item.trim()).filter((item) => item !== '');
  if (list.length === 0) throw new Error('must list at least one value');
  return list;
}

function parseInteger(value: unknown): number {
  const number =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(number)) throw new Error(`expected an integer, got ${JSON.stringify(value)}`);
  return number;
}

function parsePositiveInteger(value: unknown): number {
  const number = parseInteger(value);
  if (number < 1) throw new Error(`expected a positive integer, got ${number}`);
  return number;
}

/** Throws the problems a settings check finds in a list, joined, or returns the list. */
function checked<T>(list: T[], check: (values: readonly unknown[]) => string[]): T[] {
  const problems = check(list);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return list;
}

/** Throws the problem a settings check finds in a value, or returns it. */
function checkedOne<T>(value: T, check: (value: unknown) => string | undefined): T {
  const problem = check(value);
  if (problem !== undefined) throw new Error(problem);
  return value;
}

function checkEmails(values: readonly unknown[]): string[] {
  return values.map(checkEmail).filter((p): p is string => p !== undefined);
}

/** An alert email entry: for one app (`app-id=email`), or bare (only valid with one app). */
interface AlertEmailEntry {
  readonly appId: string | undefined;
  readonly email: string;
}

/** `app=email` entries (array or comma-separated), or an object of app id to emails. */
function parseAlertEmails(value: unknown): AlertEmailEntry[] {
  const entries: AlertEmailEntry[] = [];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [appId, emails] of Object.entries(value)) {
      for (const email of parseList(emails)) entries.push({ appId, email });
    }
  } else {
    for (const item of parseList(value)) {
      const at = item.indexOf('=');
      entries.push(
        at < 0
          ? { appId: undefined, email: item }
          : { appId: item.slice(0, at).trim(), email: item.slice(at + 1).trim() },
      );
    }
  }
  const problems = checkEmails(entries.map((entry) => entry.email));
  if (problems.length > 0) throw new Error(problems.join('; '));
  return entries;
}

function groupAlertEmails(
  entries: readonly AlertEmailEntry[],
  appIds: readonly string[],
  problems: string[],
): Record<string, string[]> {
  const byApp: Record<string, string[]> = {};
  for (const { appId, email } of entries) {
    const app = appId ?? (appIds.length === 1 ? appIds[0] : undefined);
    if (app === undefined) {
      problems.push(
        `${CONTEXT_KEYS.alertEmails}: ${email} names no app; with several apps write app-id=${email} (e.g. ${appIds[0]}=${email}), so each studio's staff see only its own members`,
      );
    } else if (!appIds.includes(app)) {
      problems.push(
        `${CONTEXT_KEYS.alertEmails}: ${app}=${email} names an app that is not in ${CONTEXT_KEYS.appIds}`,
      );
    } else {
      byApp[app] = [...(byApp[app] ?? []), email];
    }
  }
  return byApp;
}

function unknownKeyProblem(key: string): string {
  const distances = KNOWN_KEYS.map((known) => editDistance(known.toLowerCase(), key.toLowerCase()));
  const best = Math.min(...distances);
  const near = best <= 3 ? KNOWN_KEYS.filter((_, index) => distances[index] === best) : [];
  return `${key} is not a known context key${near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : ''}; the known keys are ${KNOWN_KEYS.join(', ')}`;
}

/** Levenshtein distance, for suggesting the key a typo meant. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function parseBoolean(value: unknown): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`expected true or false, got ${JSON.stringify(value)}`);
}

/** Minutes (a number or numeric string), or an EventBridge Scheduler `rate(...)`/`cron(...)` expression. */
function parseSchedule(value: unknown): Duration | ScheduleExpression {
  if (typeof value === 'string' && /^(rate|cron)\(.+\)$/.test(value.trim())) {
    return ScheduleExpression.expression(value.trim());
  }
  try {
    return Duration.minutes(parsePositiveInteger(value));
  } catch {
    throw new Error(
      `expected minutes between polls or a rate(...)/cron(...) expression, got ${JSON.stringify(value)}`,
    );
  }
}

import { Duration } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { NotifierStackProps } from './notifier-stack.ts';

/**
 * The CDK context keys the app reads (from `cdk.json`, `cdk.context.json` or `-c key=value`).
 * Values given with `-c` arrive as strings; in `cdk.json` they may also be JSON arrays,
 * numbers and booleans.
 */
export const CONTEXT_KEYS = {
  /** Required. The Gleantap app ids: an array, or a comma-separated string. */
  appIds: 'gleantap:appIds',
  /** Optional. ARN of an existing secret with the Gleantap keys; default: a new secret. */
  credentialsSecretArn: 'gleantap:credentialsSecretArn',
  /** Optional. Emails that receive opt-out events: array or comma-separated. */
  alertEmails: 'gleantap:alertEmails',
  /** Optional. Emails that receive alarms: array or comma-separated. */
  alarmEmails: 'gleantap:alarmEmails',
  /** Optional. Minutes between polls of each app (default 5), or a `rate(...)`/`cron(...)` expression. */
  schedule: 'gleantap:schedule',
  /** Optional with a minutes schedule, required with an expression: expected minutes between polls. */
  pollIntervalMinutes: 'gleantap:pollIntervalMinutes',
  /** Optional. Days of lookback for `updated_since` (default 1). */
  lookbackDays: 'gleantap:lookbackDays',
  /** Optional. Members per page, 1..1000 (default 1000). */
  pageSize: 'gleantap:pageSize',
  /** Optional. Gleantap API scheme and host (default https://api.gleantap.com). */
  baseUrl: 'gleantap:baseUrl',
  /** Optional. `true` to publish `customer.created` for every customer on the first poll. */
  emitBaseline: 'gleantap:emitBaseline',
  /** Optional. Extra watched member fields: array or comma-separated. */
  watchedFields: 'gleantap:watchedFields',
  /** Optional. Concurrency reserved for the poller (default: app count + 1). */
  reservedConcurrency: 'gleantap:reservedConcurrency',
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

/**
 * Reads and validates the app's context keys.
 *
 * @param tryGetContext `app.node.tryGetContext`, or any lookup with the same contract
 * @throws ContextError listing every missing or invalid key at once
 */
export function stackPropsFromContext(tryGetContext: (key: string) => unknown): NotifierAppConfig {
  const problems: string[] = [];
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

  const appIds = read(CONTEXT_KEYS.appIds, parseList);
  if (appIds === undefined && !problems.some((p) => p.startsWith(CONTEXT_KEYS.appIds))) {
    problems.push(
      `${CONTEXT_KEYS.appIds} is required: the Gleantap app ids to poll, e.g. -c ${CONTEXT_KEYS.appIds}=app1,app2`,
    );
  }
  const credentialsSecretArn = read(CONTEXT_KEYS.credentialsSecretArn, parseString);
  const alertEmails = read(CONTEXT_KEYS.alertEmails, parseList);
  const alarmEmails = read(CONTEXT_KEYS.alarmEmails, parseList);
  const schedule = read(CONTEXT_KEYS.schedule, parseSchedule);
  const pollIntervalMinutes = read(CONTEXT_KEYS.pollIntervalMinutes, parsePositiveInteger);
  const lookbackDays = read(CONTEXT_KEYS.lookbackDays, parseNonNegativeInteger);
  const pageSize = read(CONTEXT_KEYS.pageSize, parsePositiveInteger);
  const baseUrl = read(CONTEXT_KEYS.baseUrl, parseString);
  const emitBaseline = read(CONTEXT_KEYS.emitBaseline, parseBoolean);
  const watchedFields = read(CONTEXT_KEYS.watchedFields, parseList);
  const reservedConcurrency = read(CONTEXT_KEYS.reservedConcurrency, parsePositiveInteger);
  const stackName = read(CONTEXT_KEYS.stackName, parseString) ?? 'GleantapNotifier';

  if (problems.length > 0 || appIds === undefined) throw new ContextError(problems);

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
        ...(baseUrl === undefined ? {} : { gleantapBaseUrl: baseUrl }),
        ...(emitBaseline === undefined ? {} : { emitBaseline }),
        ...(watchedFields === undefined ? {} : { watchedFields }),
        ...(alertEmails === undefined ? {} : { alertEmails }),
        ...(alarmEmails === undefined ? {} : { alarmEmails }),
        ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
      },
    },
  };
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

function parseNonNegativeInteger(value: unknown): number {
  const number = parseInteger(value);
  if (number < 0) throw new Error(`expected zero or more, got ${number}`);
  return number;
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

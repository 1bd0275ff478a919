/**
 * Every limit, default and validation rule of a setting, defined once. The runtime
 * configuration (lib/config.ts), the CDK context reader (lib/infra/notifier-context.ts) and
 * the construct's props (lib/infra/private/notifier-settings.ts) all check their values here,
 * so a deploy can never carry a value the Lambda rejects (a property test holds them to it).
 *
 * Each check returns `undefined` for a good value, or a phrase saying what is wrong and what
 * is expected (`"must be from 1 to 30, not 60"`); the caller prefixes the name its user
 * wrote (an environment variable, a context key or a prop).
 */
import { DOCUMENTED_FIELDS } from './customer.ts';
import type { EventType } from './types.ts';

/** Gleantap's public API: scheme and host only, the client appends the path. */
export const DEFAULT_GLEANTAP_BASE_URL = 'https://api.gleantap.com';

/** A whole-number setting: its range and default. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

/**
 * Pollers the poll queue's event source mapping runs at once: Lambda's range for
 * `MaximumConcurrency`. It bounds the fleet's concurrency and Gleantap request rate.
 */
export const MAX_CONCURRENCY: IntegerRange = { min: 2, max: 1000, default: 50 };

/** Members per `getCustomers` page: Gleantap documents `limit` as at most 1000. */
export const PAGE_SIZE: IntegerRange = { min: 1, max: 1000, default: 1000 };

/**
 * Days of lookback for `updated_since`. Gleantap filters by date in an undocumented time
 * zone, so less than one day can skip a change made late in the previous day; more than 30
 * re-reads a month of customers on every poll, which is a resync, not a poll.
 */
export const LOOKBACK_DAYS: IntegerRange = { min: 1, max: 30, default: 1 };

/**
 * Days between reconciliations of each app (the full scan that finds deleted customers). A
 * run happens at most once in 20 hours however often it is asked for, so less than a day is
 * not a setting; more than a week leaves a deleted customer in subscribers' mirrors too long
 * (two conclusive runs must miss it: up to twice the interval).
 */
export const RECONCILE_INTERVAL_DAYS: IntegerRange = { min: 1, max: 7, default: 1 };

/** Every event type the poller publishes, in the order documentation and dashboards list them. */
export const EVENT_TYPES = [
  'customer.created',
  'customer.updated',
  'customer.optout_changed',
  'customer.deleted',
] as const satisfies readonly EventType[];

/**
 * An app id: letters, digits, `_`, `.` and `-`, 1 to 64 characters. The state table's keys
 * join the app id and the customer id with `#` (`C#<appId>#<customerId>`), and lists of app
 * ids travel comma-separated, so neither character (nor whitespace) may appear in one: app
 * `a#b` with customer `c` would otherwise share a key with app `a` and customer `b#c`.
 */
export const APP_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** What {@link APP_ID_PATTERN} allows, in words, for messages. */
export const APP_ID_RULE = '1 to 64 letters, digits, _ . or -';

/**
 * A custom member field that may be watched besides the documented ones: a name as Gleantap
 * writes its fields (letters, digits, `_`, not starting with a digit), at most 64 characters.
 */
export const FIELD_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The member fields Gleantap documents, except `id` (the key, never content). */
export const DOCUMENTED_WATCHABLE_FIELDS: readonly string[] = Object.freeze(
  DOCUMENTED_FIELDS.filter((field) => field !== 'id'),
);

const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/;

/** True for a URL or origin on this machine (127.0.0.0/8, localhost, [::1]). */
export function isLoopbackUrl(value: string): boolean {
  try {
    return LOOPBACK_HOST.test(new URL(value).hostname);
  } catch {
    return false;
  }
}

/** Checks a whole number against a range; `value` may be any JSON value. */
export function checkInteger(value: unknown, range: IntegerRange): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return `must be a whole number from ${range.min} to ${range.max}, not ${describe(value)}`;
  }
  if (value < range.min || value > range.max) {
    return `must be from ${range.min} to ${range.max}, not ${value}`;
  }
  return undefined;
}

/** Checks a page size ({@link PAGE_SIZE}). */
export function checkPageSize(value: unknown): string | undefined {
  return checkInteger(value, PAGE_SIZE);
}

/** Checks a lookback in days ({@link LOOKBACK_DAYS}). */
export function checkLookbackDays(value: unknown): string | undefined {
  return checkInteger(value, LOOKBACK_DAYS);
}

/** Checks the days between reconciliations ({@link RECONCILE_INTERVAL_DAYS}). */
export function checkReconcileIntervalDays(value: unknown): string | undefined {
  return checkInteger(value, RECONCILE_INTERVAL_DAYS);
}

/**
 * Checks the Gleantap base URL: an absolute URL with scheme and host only, https unless the
 * host is loopback (the keys travel in headers, so plain HTTP would expose them on the way).
 */
export function checkBaseUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a URL such as ${DEFAULT_GLEANTAP_BASE_URL}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute URL such as ${DEFAULT_GLEANTAP_BASE_URL}, not ${describe(value)}`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname))) {
    return `must use https (http only on 127.0.0.1, localhost or [::1]: the keys travel in headers), not ${describe(value)}`;
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.pathname !== '/' || url.search || url.hash) {
    return `must be scheme and host only (the client appends /v2/ExternalApi/getCustomers), not ${describe(value)}`;
  }
  return undefined;
}

/** The origin the client uses for a base URL that passed {@link checkBaseUrl}. */
export function baseUrlOrigin(value: string): string {
  return new URL(value).origin;
}

/** Checks one app id ({@link APP_ID_PATTERN}). */
export function checkAppId(value: unknown): string | undefined {
  if (typeof value !== 'string' || !APP_ID_PATTERN.test(value)) {
    return `has ${describe(value)}, which is not an app id (${APP_ID_RULE})`;
  }
  return undefined;
}

/** Checks a list of app ids: at least one, each valid, none twice. Returns every problem. */
export function checkAppIds(values: readonly unknown[]): string[] {
  if (values.length === 0) return ['must list at least one Gleantap app id'];
  const problems: string[] = [];
  const seen = new Set<unknown>();
  for (const value of values) {
    const problem = checkAppId(value);
    if (problem !== undefined) problems.push(problem);
    else if (seen.has(value)) problems.push(`lists ${describe(value)} more than once`);
    seen.add(value);
  }
  return problems;
}

/** Checks one extra watched field: not `id`, a documented field or a custom field name. */
export function checkWatchedField(value: unknown): string | undefined {
  if (value === 'id') return 'cannot include id: it identifies the customer';
  if (typeof value === 'string' && FIELD_NAME_PATTERN.test(value)) return undefined;
  return `has ${describe(value)}, which is not a field name (letters, digits and _, not starting with a digit, at most 64)`;
}

/** Checks a list of extra watched fields; returns every problem. */
export function checkWatchedFields(values: readonly unknown[]): string[] {
  const problems: string[] = [];
  const seen = new Set<unknown>();
  for (const value of values) {
    const problem = checkWatchedField(value);
    if (problem !== undefined) problems.push(problem);
    else if (seen.has(value)) problems.push(`lists ${describe(value)} more than once`);
    seen.add(value);
  }
  return problems;
}

/** Checks an event type name. */
export function checkEventType(value: unknown): string | undefined {
  return EVENT_TYPES.some((type) => type === value)
    ? undefined
    : `has ${describe(value)}, which is not an event type (${EVENT_TYPES.join(', ')})`;
}

/** A value quoted for a message, cut short so a pasted secret or a huge value stays out of it. */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Checks an email address (the shape SNS accepts for an email subscription). */
export function checkEmail(value: unknown): string | undefined {
  return typeof value === 'string' && /^[^\s@,;=]+@[^\s@,;=]+\.[^\s@,;=]+$/.test(value)
    ? undefined
    : `has ${describe(value)}, which is not an email address`;
}

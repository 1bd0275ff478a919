/**
 * The one configuration module. The composition roots (the Lambda handler and the CLI) pass
 * in their environment; everything else receives the typed result. Every problem is
 * reported at once, each naming its setting.
 */
import { DEFAULT_WATCHED_FIELDS } from './core/content-hash.ts';
import {
  checkAppId,
  checkBaseUrl,
  checkInteger,
  checkWatchedField,
  DEFAULT_GLEANTAP_BASE_URL,
  type IntegerRange,
  isLoopbackUrl,
  LOOKBACK_DAYS,
  PAGE_SIZE,
} from './core/settings.ts';

export { DEFAULT_GLEANTAP_BASE_URL } from './core/settings.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

export type GleantapCredentialsSource =
  | { readonly kind: 'keys'; readonly apiKey: string; readonly secretKey: string }
  | { readonly kind: 'secret'; readonly secretArn: string };

/** What a command needs; a missing required setting is a problem only when it is needed. */
export interface ConfigNeeds {
  readonly appIds?: boolean;
  readonly credentials?: boolean;
  readonly table?: boolean;
  readonly topic?: boolean;
  readonly aws?: boolean;
}

/** `T` where `N` says `K` is needed (loadConfig then guarantees it), else `T | null`. */
type IfNeeded<N extends ConfigNeeds, K extends keyof ConfigNeeds, T> = N extends { readonly [P in K]: true }
  ? T
  : T | null;

/**
 * The validated configuration, typed by what was asked for: a setting whose need was `true`
 * is present (`NotifierConfig<{ table: true }>` has `tableName: string`), every other one may
 * be null. Without `N`, every optional setting may be null.
 */
export interface NotifierConfig<N extends ConfigNeeds = ConfigNeeds> {
  readonly gleantapBaseUrl: string;
  readonly appIds: readonly string[];
  readonly credentials: IfNeeded<N, 'credentials', GleantapCredentialsSource>;
  readonly tableName: IfNeeded<N, 'table', string>;
  readonly topicArn: IfNeeded<N, 'topic', string>;
  /** The staff alerts topic (opt-out digests); null: no digests are published. */
  readonly alertsTopicArn: string | null;
  readonly region: IfNeeded<N, 'aws', string>;
  readonly dynamodbEndpoint: string | null;
  readonly snsEndpoint: string | null;
  readonly lookbackDays: number;
  readonly pageSize: number;
  readonly emitBaseline: boolean;
  /** The full watched set: the defaults plus NOTIFIER_WATCHED_FIELDS. */
  readonly watchedFields: readonly string[];
}

/** What the deployed poller needs: keys (or their secret), table, topic and region. */
export const POLLER_NEEDS = { credentials: true, table: true, topic: true, aws: true } as const;

export type ConfigResult<N extends ConfigNeeds = ConfigNeeds> =
  | { readonly ok: true; readonly config: NotifierConfig<N> }
  | { readonly ok: false; readonly problems: readonly string[] };

/** The region assumed when every AWS endpoint is a local stand-in and none is set. */
export const LOCAL_REGION = 'us-east-1';

/** True for an origin on this machine (127.0.0.0/8, localhost, [::1]). */
export function isLoopback(origin: string): boolean {
  return isLoopbackUrl(origin);
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function parseUrl(name: string, raw: string, problems: string[]): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name} is not a URL: expected e.g. https://api.gleantap.com.`);
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(`${name} must use http or https, not ${url.protocol.replace(':', '')}.`);
    return null;
  }
  return url.origin;
}

function parseInteger(
  name: string,
  raw: string | undefined,
  range: IntegerRange,
  problems: string[],
): number {
  if (raw === undefined) return range.default;
  const value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
  const problem = checkInteger(value, range);
  if (problem === undefined && typeof value === 'number') return value;
  problems.push(`${name} ${problem ?? 'is not a whole number'}.`);
  return range.default;
}

function parseBoolean(name: string, raw: string | undefined, problems: string[]): boolean {
  if (raw === undefined) return false;
  const value = raw.toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  problems.push(`${name} must be true or false.`);
  return false;
}

/** Splits a comma-separated list, reporting empty and repeated entries. */
export function parseList(name: string, raw: string, problems: string[]): string[] {
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item === ''))
    problems.push(`${name} has an empty entry: write a comma-separated list such as a1,b2.`);
  const seen = new Set<string>();
  for (const item of items) {
    if (item && seen.has(item)) problems.push(`${name} lists ${item} twice.`);
    seen.add(item);
  }
  return [...seen].filter(Boolean);
}

/**
 * Reads and validates the configuration from an environment. Never throws: every problem
 * is returned at once, each a sentence naming its setting. A setting whose need is `true`
 * is missing only as a problem, so the config's type has it present (see NotifierConfig).
 */
export function loadConfig<const N extends ConfigNeeds = Record<never, never>>(
  env: Environment,
  needs?: N,
): ConfigResult<N>;
export function loadConfig(env: Environment, needs: ConfigNeeds = {}): ConfigResult {
  const problems: string[] = [];

  const baseUrlRaw = present(env.GLEANTAP_BASE_URL);
  let gleantapBaseUrl = DEFAULT_GLEANTAP_BASE_URL;
  if (baseUrlRaw) {
    // Keys travel in headers: plain HTTP is refused unless the server is on this machine.
    const problem = checkBaseUrl(baseUrlRaw);
    if (problem === undefined) gleantapBaseUrl = new URL(baseUrlRaw).origin;
    else problems.push(`GLEANTAP_BASE_URL ${problem}.`);
  }

  const appIdsRaw = present(env.GLEANTAP_APP_IDS);
  const appIds = appIdsRaw ? parseList('GLEANTAP_APP_IDS', appIdsRaw, problems) : [];
  for (const appId of appIds) {
    const problem = checkAppId(appId);
    if (problem !== undefined) problems.push(`GLEANTAP_APP_IDS ${problem}.`);
  }
  if (needs.appIds && appIds.length === 0 && !appIdsRaw) {
    problems.push(
      'GLEANTAP_APP_IDS is missing: set it to a comma-separated list of Gleantap app ids (or pass --app-id).',
    );
  }

  const apiKey = present(env.GLEANTAP_API_KEY);
  const secretKey = present(env.GLEANTAP_SECRET_KEY);
  const secretArn = present(env.GLEANTAP_CREDENTIALS_SECRET_ARN);
  let credentials: GleantapCredentialsSource | null = null;
  if (apiKey && secretKey) {
    credentials = { kind: 'keys', apiKey, secretKey };
  } else if (apiKey || secretKey) {
    problems.push(
      `${apiKey ? 'GLEANTAP_SECRET_KEY' : 'GLEANTAP_API_KEY'} is missing: the Gleantap keys come as a pair.`,
    );
  } else if (secretArn) {
    if (SECRET_ARN.test(secretArn)) credentials = { kind: 'secret', secretArn };
    else problems.push('GLEANTAP_CREDENTIALS_SECRET_ARN is not a Secrets Manager secret ARN.');
  } else if (needs.credentials) {
    problems.push(
      'GLEANTAP_API_KEY and GLEANTAP_SECRET_KEY are missing (or set GLEANTAP_CREDENTIALS_SECRET_ARN).',
    );
  }

  const tableName = present(env.NOTIFIER_TABLE_NAME) ?? null;
  if (tableName !== null && !TABLE_NAME.test(tableName)) {
    problems.push('NOTIFIER_TABLE_NAME must be 3 to 255 letters, digits, _ . or -.');
  } else if (tableName === null && needs.table) {
    problems.push('NOTIFIER_TABLE_NAME is missing: name the DynamoDB state table.');
  }

  const topicArn = present(env.EVENTS_TOPIC_ARN) ?? null;
  if (topicArn !== null && !TOPIC_ARN.test(topicArn)) {
    problems.push('EVENTS_TOPIC_ARN is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>).');
  } else if (topicArn === null && needs.topic) {
    problems.push('EVENTS_TOPIC_ARN is missing: name the SNS topic events are published to.');
  }

  const alertsTopicArn = present(env.ALERTS_TOPIC_ARN) ?? null;
  if (alertsTopicArn !== null && !TOPIC_ARN.test(alertsTopicArn)) {
    problems.push('ALERTS_TOPIC_ARN is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>).');
  }

  // The SDK's own rule: a service-specific endpoint wins over AWS_ENDPOINT_URL for all services.
  const anyRaw = present(env.AWS_ENDPOINT_URL);
  const dynamoName = present(env.AWS_ENDPOINT_URL_DYNAMODB)
    ? 'AWS_ENDPOINT_URL_DYNAMODB'
    : 'AWS_ENDPOINT_URL';
  const snsName = present(env.AWS_ENDPOINT_URL_SNS) ? 'AWS_ENDPOINT_URL_SNS' : 'AWS_ENDPOINT_URL';
  const dynamoRaw = present(env.AWS_ENDPOINT_URL_DYNAMODB) ?? anyRaw;
  const snsRaw = present(env.AWS_ENDPOINT_URL_SNS) ?? anyRaw;
  const dynamodbEndpoint = dynamoRaw ? parseUrl(dynamoName, dynamoRaw, problems) : null;
  const snsEndpoint = snsRaw ? parseUrl(snsName, snsRaw, problems) : null;
  // Local stand-ins (dynalite, the SNS stand-in) ignore the region, so it may be left out there.
  const localOnly =
    dynamodbEndpoint !== null &&
    snsEndpoint !== null &&
    isLoopback(dynamodbEndpoint) &&
    isLoopback(snsEndpoint);
  const region =
    present(env.AWS_REGION) ?? present(env.AWS_DEFAULT_REGION) ?? (localOnly ? LOCAL_REGION : null);
  if (region === null && needs.aws)
    problems.push('AWS_REGION is missing: set the AWS region of the table and topic.');

  const lookbackDays = parseInteger(
    'NOTIFIER_LOOKBACK_DAYS',
    present(env.NOTIFIER_LOOKBACK_DAYS),
    LOOKBACK_DAYS,
    problems,
  );
  const pageSize = parseInteger('NOTIFIER_PAGE_SIZE', present(env.NOTIFIER_PAGE_SIZE), PAGE_SIZE, problems);
  const emitBaseline = parseBoolean('NOTIFIER_EMIT_BASELINE', present(env.NOTIFIER_EMIT_BASELINE), problems);

  const watchedRaw = present(env.NOTIFIER_WATCHED_FIELDS);
  const extra = watchedRaw ? parseList('NOTIFIER_WATCHED_FIELDS', watchedRaw, problems) : [];
  for (const field of extra) {
    const problem = checkWatchedField(field);
    if (problem !== undefined) problems.push(`NOTIFIER_WATCHED_FIELDS ${problem}.`);
  }
  const watchedFields = [...new Set([...DEFAULT_WATCHED_FIELDS, ...extra.filter((f) => f !== 'id')])];

  // A bad AWS_ENDPOINT_URL stands for both services; say so once.
  if (problems.length > 0) return { ok: false, problems: [...new Set(problems)] };
  return {
    ok: true,
    config: {
      gleantapBaseUrl,
      appIds,
      credentials,
      tableName,
      topicArn,
      alertsTopicArn,
      region,
      dynamodbEndpoint,
      snsEndpoint,
      lookbackDays,
      pageSize,
      emitBaseline,
      watchedFields,
    },
  };
}

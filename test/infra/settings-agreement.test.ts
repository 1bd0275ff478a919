/**
 * One set of rules for every setting: what the construct accepts, the Lambda's configuration
 * accepts (with exactly the environment the construct gives it), and the reverse; and what
 * `-c gleantap:*` context accepts, the construct and the Lambda accept. Values are drawn from
 * a mix of good and bad ones around each rule's edges. Fixed seed; fast-check prints it with
 * any counterexample.
 */
import { Duration } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig, type NotifierConfig } from '../../lib/config.ts';
import { DEFAULT_WATCHED_FIELDS } from '../../lib/core/content-hash.ts';
import { LOOKBACK_DAYS, PAGE_SIZE } from '../../lib/core/settings.ts';
import type { GleantapChangeNotifierProps } from '../../lib/infra/gleantap-change-notifier.ts';
import { ContextError, stackPropsFromContext } from '../../lib/infra/notifier-context.ts';
import { resolveNotifierProps } from '../../lib/infra/private/notifier-settings.ts';

const SEED = 1313;
const RUNS = 400;

/** The settings the construct passes on to the poller's environment. */
interface Shared {
  readonly appIds: readonly string[];
  readonly lookbackDays?: number;
  readonly pageSize?: number;
  readonly gleantapBaseUrl?: string;
  readonly watchedFields?: readonly string[];
}

const idChar = fc.constantFrom('a', 'B', '7', '-', '_', '.', '#', ',', ' ', 'é', '/', ':');
/** Mostly good values, so that each property meets enough accepted ones; some near each edge. */
const mostly = <T>(good: fc.Arbitrary<T>, any: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: any });
const appId = mostly(
  fc.string({ unit: fc.constantFrom('a', 'B', '7', '-', '_', '.'), minLength: 1, maxLength: 8 }),
  fc.oneof(
    fc.string({ unit: idChar, minLength: 0, maxLength: 8 }),
    fc.string({ unit: fc.constantFrom('a', '1'), minLength: 60, maxLength: 70 }),
  ),
);
const anyBaseUrl = fc
  .tuple(
    fc.constantFrom('https', 'http', 'ftp'),
    fc.constantFrom(
      'api.gleantap.com',
      '127.0.0.1',
      '127.4.5.6',
      'localhost',
      '[::1]',
      '10.0.0.1',
      'localhost.evil.com',
    ),
    fc.constantFrom('', ':8443', ':0'),
    fc.constantFrom('', '/', '/v2', '?x=1', '#top'),
  )
  .map(([scheme, host, port, rest]) => `${scheme}://${host}${port}${rest}`);
const baseUrl = mostly(
  fc.constantFrom(
    'https://api.gleantap.com',
    'https://eu.example:8443/',
    'http://127.0.0.1:9',
    'http://localhost',
  ),
  anyBaseUrl,
);
const fieldName = mostly(
  fc.constantFrom('email', 'custom_1', '_x', 'tier2'),
  fc.oneof(
    fc.constantFrom('id', 'membership-tier', '1abc', '', 'a,b', 'x'.repeat(65)),
    fc.string({ unit: fc.constantFrom('a', 'Z', '_', '9', '-'), minLength: 1, maxLength: 6 }),
  ),
);
const integer = (good: fc.Arbitrary<number>) =>
  mostly(
    good,
    fc.oneof(fc.integer({ min: -3, max: 1005 }), fc.constantFrom(0, 31, 1001, 0.5, 1.5, Number.NaN)),
  );
const lookbackDays = integer(fc.integer({ min: 1, max: 30 }));
const pageSize = integer(fc.integer({ min: 1, max: 1000 }));

const shared: fc.Arbitrary<Shared> = fc.record(
  {
    appIds: mostly(fc.uniqueArray(appId, { minLength: 1, maxLength: 3 }), fc.array(appId, { maxLength: 3 })),
    lookbackDays,
    pageSize,
    gleantapBaseUrl: baseUrl,
    watchedFields: fc.array(fieldName, { maxLength: 2 }),
  },
  { requiredKeys: ['appIds'] },
);

/** The environment the construct gives the poller for these props (see its `environment`). */
function environmentOf(props: Shared): Record<string, string> {
  return {
    GLEANTAP_APP_IDS: props.appIds.join(','),
    GLEANTAP_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys-AbCdEf',
    NOTIFIER_TABLE_NAME: 'table',
    EVENTS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:events',
    AWS_REGION: 'eu-west-1',
    ...(props.gleantapBaseUrl === undefined ? {} : { GLEANTAP_BASE_URL: props.gleantapBaseUrl }),
    ...(props.lookbackDays === undefined ? {} : { NOTIFIER_LOOKBACK_DAYS: String(props.lookbackDays) }),
    ...(props.pageSize === undefined ? {} : { NOTIFIER_PAGE_SIZE: String(props.pageSize) }),
    ...(props.watchedFields === undefined || props.watchedFields.length === 0
      ? {}
      : { NOTIFIER_WATCHED_FIELDS: props.watchedFields.join(',') }),
  };
}

const NEEDS = { appIds: true, credentials: true, table: true, topic: true, aws: true };

function constructProblems(props: Shared): readonly string[] {
  return resolveNotifierProps(props satisfies GleantapChangeNotifierProps).problems;
}

/** The props that carry the settings a configuration holds. */
function propsOf(config: NotifierConfig): Shared {
  return {
    appIds: config.appIds,
    lookbackDays: config.lookbackDays,
    pageSize: config.pageSize,
    gleantapBaseUrl: config.gleantapBaseUrl,
    watchedFields: config.watchedFields.filter((field) => !DEFAULT_WATCHED_FIELDS.includes(field)),
  };
}

describe('settings: construct, context and runtime agree', () => {
  it('every value the construct accepts, the runtime accepts with the environment it is given', () => {
    fc.assert(
      fc.property(shared, (props) => {
        // No app ids is a registry-only deployment (apps added with the CLI): no environment carries them.
        fc.pre(constructProblems(props).length === 0 && props.appIds.length > 0);
        const result = loadConfig(environmentOf(props), NEEDS);
        expect(result.ok ? [] : result.problems).toEqual([]);
        if (!result.ok) return;
        expect(result.config.appIds).toEqual(props.appIds);
        expect(result.config.lookbackDays).toBe(props.lookbackDays ?? LOOKBACK_DAYS.default);
        expect(result.config.pageSize).toBe(props.pageSize ?? PAGE_SIZE.default);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('every value the runtime accepts, the construct accepts', () => {
    fc.assert(
      fc.property(shared, (props) => {
        const result = loadConfig(environmentOf(props), NEEDS);
        fc.pre(result.ok);
        if (result.ok) expect(constructProblems(propsOf(result.config))).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the construct and the runtime reject the same values', () => {
    // The two directions above, over values each side reads the same way (no list separators
    // or surrounding blanks, which the environment's comma lists cannot carry).
    const plain = shared.filter(
      (props) =>
        props.appIds.length > 0 &&
        props.appIds.every((id) => !id.includes(',') && id.trim() === id && id !== '') &&
        (props.watchedFields ?? []).every((f) => !f.includes(',') && f.trim() === f && f !== ''),
    );
    fc.assert(
      fc.property(plain, (props) => {
        const runtime = loadConfig(environmentOf(props), NEEDS).ok;
        expect(constructProblems(props).length === 0).toBe(runtime);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('every value the context accepts, the construct and the runtime accept', () => {
    const context = fc.record({
      'gleantap:appIds': fc.array(appId, { minLength: 1, maxLength: 3 }).map((ids) => ids.join(',')),
      'gleantap:lookbackDays': lookbackDays.map(String),
      'gleantap:pageSize': pageSize.map(String),
      'gleantap:baseUrl': baseUrl,
      'gleantap:watchedFields': fc.array(fieldName, { minLength: 1, maxLength: 3 }).map((f) => f.join(',')),
    });
    fc.assert(
      fc.property(context, (values) => {
        let notifier: Omit<GleantapChangeNotifierProps, 'credentials'>;
        try {
          notifier = stackPropsFromContext((key) => values[key as keyof typeof values], Object.keys(values))
            .props.notifier;
        } catch (error) {
          if (error instanceof ContextError) return;
          throw error;
        }
        expect(resolveNotifierProps({ ...notifier, schedule: Duration.minutes(5) }).problems).toEqual([]);
        // No app ids is a registry-only deployment: no environment carries them.
        if ((notifier.appIds ?? []).length === 0) return;
        const result = loadConfig(environmentOf({ ...notifier, appIds: notifier.appIds ?? [] }), NEEDS);
        expect(result.ok ? [] : result.problems).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

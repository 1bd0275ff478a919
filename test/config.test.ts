import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  DEFAULT_GLEANTAP_BASE_URL,
  type GleantapCredentialsSource,
  loadConfig,
  POLLER_NEEDS,
} from '../lib/config.ts';
import { DEFAULT_WATCHED_FIELDS } from '../lib/core/content-hash.ts';

const good = {
  GLEANTAP_APP_IDS: 'a1, b2',
  GLEANTAP_API_KEY: 'k',
  GLEANTAP_SECRET_KEY: 's',
  NOTIFIER_TABLE_NAME: 'notifier-state',
  EVENTS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:events',
  AWS_REGION: 'eu-west-1',
};
const all = { appIds: true, credentials: true, table: true, topic: true, aws: true };

describe('loadConfig', () => {
  it('reads a good environment with defaults', () => {
    const result = loadConfig(good, all);
    expect(result).toEqual({
      ok: true,
      config: {
        gleantapBaseUrl: DEFAULT_GLEANTAP_BASE_URL,
        appIds: ['a1', 'b2'],
        credentials: { kind: 'keys', apiKey: 'k', secretKey: 's' },
        tableName: 'notifier-state',
        topicArn: 'arn:aws:sns:eu-west-1:123456789012:events',
        alertsTopicArn: null,
        region: 'eu-west-1',
        dynamodbEndpoint: null,
        snsEndpoint: null,
        lookbackDays: 1,
        pageSize: 1000,
        emitBaseline: false,
        watchedFields: DEFAULT_WATCHED_FIELDS,
      },
    });
  });

  it('takes the secret ARN when no keys are set, and extra watched fields', () => {
    const result = loadConfig(
      {
        ...good,
        GLEANTAP_API_KEY: undefined,
        GLEANTAP_SECRET_KEY: undefined,
        GLEANTAP_CREDENTIALS_SECRET_ARN:
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gleantap-AbCdEf',
        NOTIFIER_WATCHED_FIELDS: 'membership_status,tags',
        NOTIFIER_EMIT_BASELINE: 'true',
        GLEANTAP_BASE_URL: 'http://127.0.0.1:8080/',
      },
      all,
    );
    expect(result.ok && result.config.credentials).toEqual({
      kind: 'secret',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gleantap-AbCdEf',
    });
    expect(result.ok && result.config.watchedFields).toEqual([
      ...DEFAULT_WATCHED_FIELDS,
      'membership_status',
      'tags',
    ]);
    expect(result.ok && result.config.emitBaseline).toBe(true);
    expect(result.ok && result.config.gleantapBaseUrl).toBe('http://127.0.0.1:8080');
  });

  it.each([
    ['GLEANTAP_BASE_URL', 'ftp://x.example'],
    ['GLEANTAP_BASE_URL', 'https://api.gleantap.com/v2/ExternalApi'],
    ['GLEANTAP_BASE_URL', 'not a url'],
    // The keys travel in headers: plain HTTP only to a server on this machine.
    ['GLEANTAP_BASE_URL', 'http://api.gleantap.com'],
    ['GLEANTAP_BASE_URL', 'http://localhost.example.com'],
    ['GLEANTAP_APP_IDS', 'a#b'],
    ['GLEANTAP_APP_IDS', 'studio a'],
    ['GLEANTAP_APP_IDS', 'a,,b'],
    ['GLEANTAP_APP_IDS', 'a,a'],
    ['NOTIFIER_TABLE_NAME', 'x'],
    ['NOTIFIER_TABLE_NAME', 'bad name!'],
    ['EVENTS_TOPIC_ARN', 'events'],
    ['NOTIFIER_LOOKBACK_DAYS', '-1'],
    ['NOTIFIER_LOOKBACK_DAYS', '0'],
    ['NOTIFIER_LOOKBACK_DAYS', '366'],
    ['NOTIFIER_LOOKBACK_DAYS', '0'],
    ['NOTIFIER_LOOKBACK_DAYS', '31'],
    ['NOTIFIER_LOOKBACK_DAYS', '1.5'],
    ['NOTIFIER_PAGE_SIZE', '0'],
    ['NOTIFIER_PAGE_SIZE', '1001'],
    ['NOTIFIER_PAGE_SIZE', 'lots'],
    ['NOTIFIER_EMIT_BASELINE', 'maybe'],
    ['NOTIFIER_WATCHED_FIELDS', 'id'],
    ['NOTIFIER_WATCHED_FIELDS', 'has space'],
    ['NOTIFIER_WATCHED_FIELDS', 'membership-tier'],
    ['AWS_ENDPOINT_URL_DYNAMODB', 'nope'],
    ['AWS_ENDPOINT_URL_SNS', 'file:///tmp/x'],
    ['GLEANTAP_CREDENTIALS_SECRET_ARN', 'my-secret'],
  ])('rejects %s=%j, naming it', (name, value) => {
    const env = {
      ...good,
      [name]: value,
      ...(name === 'GLEANTAP_CREDENTIALS_SECRET_ARN'
        ? { GLEANTAP_API_KEY: undefined, GLEANTAP_SECRET_KEY: undefined }
        : {}),
    };
    const result = loadConfig(env, all);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.join('\n')).toContain(name);
  });

  it('lists every problem at once', () => {
    const result = loadConfig({ GLEANTAP_API_KEY: 'only-half', NOTIFIER_PAGE_SIZE: '0' }, all);
    expect(result.ok).toBe(false);
    const text = result.ok ? '' : result.problems.join('\n');
    for (const name of [
      'GLEANTAP_APP_IDS',
      'GLEANTAP_SECRET_KEY',
      'NOTIFIER_TABLE_NAME',
      'EVENTS_TOPIC_ARN',
      'AWS_REGION',
      'NOTIFIER_PAGE_SIZE',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).not.toContain('only-half');
  });

  it('needs no region when every AWS endpoint is a local stand-in', () => {
    const local = loadConfig(
      {
        ...good,
        AWS_REGION: undefined,
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4567',
        AWS_ENDPOINT_URL_SNS: 'http://localhost:4568',
      },
      all,
    );
    expect(local.ok && local.config.region).toBe('us-east-1');
    const remote = loadConfig(
      { ...good, AWS_REGION: undefined, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4567' },
      all,
    );
    expect(remote.ok ? '' : remote.problems.join(' ')).toContain('AWS_REGION');
  });

  it('takes AWS_ENDPOINT_URL for both services unless a service-specific one is set', () => {
    const both = loadConfig(
      { ...good, AWS_REGION: undefined, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' },
      all,
    );
    expect(both.ok && [both.config.dynamodbEndpoint, both.config.snsEndpoint, both.config.region]).toEqual([
      'http://127.0.0.1:4566',
      'http://127.0.0.1:4566',
      'us-east-1',
    ]);
    const mixed = loadConfig(
      { ...good, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:9911' },
      all,
    );
    expect(mixed.ok && mixed.config.snsEndpoint).toBe('http://127.0.0.1:9911');
    const bad = loadConfig({ ...good, AWS_ENDPOINT_URL: 'nope' }, all);
    expect(bad.ok ? [] : bad.problems.filter((p) => p.includes('AWS_ENDPOINT_URL'))).toHaveLength(1);
  });

  it('asks only for what a command needs', () => {
    expect(
      loadConfig(
        { GLEANTAP_API_KEY: 'k', GLEANTAP_SECRET_KEY: 's', GLEANTAP_APP_IDS: 'a' },
        { appIds: true, credentials: true },
      ).ok,
    ).toBe(true);
    expect(loadConfig({}, {}).ok).toBe(true);
  });

  it('types what was asked for as present, and the rest as possibly null (checked by npm run typecheck)', () => {
    const poller = loadConfig(good, POLLER_NEEDS);
    if (!poller.ok) throw new Error(poller.problems.join(' '));
    expectTypeOf(poller.config.credentials).toEqualTypeOf<GleantapCredentialsSource>();
    expectTypeOf(poller.config.tableName).toEqualTypeOf<string>();
    expectTypeOf(poller.config.topicArn).toEqualTypeOf<string>();
    expectTypeOf(poller.config.region).toEqualTypeOf<string>();
    expectTypeOf(poller.config.alertsTopicArn).toEqualTypeOf<string | null>();
    expect(poller.config).toMatchObject({ tableName: 'notifier-state', region: 'eu-west-1' });

    // A need decided at run time (a dry run needs no table) leaves the setting nullable.
    const dryRun = good.AWS_REGION.length > 0;
    const poll = loadConfig(
      { ...good, NOTIFIER_TABLE_NAME: undefined },
      { credentials: true, table: !dryRun },
    );
    if (!poll.ok) throw new Error(poll.problems.join(' '));
    expectTypeOf(poll.config.credentials).toEqualTypeOf<GleantapCredentialsSource>();
    expectTypeOf(poll.config.tableName).toEqualTypeOf<string | null>();
    expectTypeOf(poll.config.topicArn).toEqualTypeOf<string | null>();
    expect(poll.config.tableName).toBeNull();
  });
});

import { Duration } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, ContextError, stackPropsFromContext } from '../../lib/infra/notifier-context.ts';

function fromContext(context: Record<string, unknown>) {
  return stackPropsFromContext((key) => context[key], Object.keys(context));
}

function problemsOf(context: Record<string, unknown>): readonly string[] {
  try {
    fromContext(context);
  } catch (error) {
    if (error instanceof ContextError) return error.problems;
    throw error;
  }
  throw new Error('expected a ContextError');
}

describe('stackPropsFromContext', () => {
  it('reads comma-separated strings as -c gives them', () => {
    const config = fromContext({
      'gleantap:appIds': ' app-1, app-2 ,',
      'gleantap:alertEmails': 'app-1=a@example.com, app-2=b@example.com,app-1=c@example.com',
      'gleantap:alarmEmails': 'ops@example.com',
      'gleantap:schedule': '10',
      'gleantap:lookbackDays': '2',
      'gleantap:pageSize': '500',
      'gleantap:reconcileIntervalDays': '2',
      'gleantap:baseUrl': 'https://eu.gleantap.example',
      'gleantap:emitBaseline': 'true',
      'gleantap:watchedFields': 'custom_1',
      'gleantap:reservedConcurrency': '4',
      'gleantap:credentialsSecretArn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gleantap-AbCdEf',
      'gleantap:stackName': 'GleantapNotifierEu',
    });
    expect(config.stackName).toBe('GleantapNotifierEu');
    expect(config.props.credentialsSecretArn).toBe(
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gleantap-AbCdEf',
    );
    const { schedule, ...notifier } = config.props.notifier;
    expect(schedule).toBeInstanceOf(Duration);
    expect(schedule instanceof Duration && schedule.toMinutes()).toBe(10);
    expect(notifier).toEqual({
      appIds: ['app-1', 'app-2'],
      alertEmailsByApp: { 'app-1': ['a@example.com', 'c@example.com'], 'app-2': ['b@example.com'] },
      alarmEmails: ['ops@example.com'],
      lookbackDays: 2,
      pageSize: 500,
      reconcileIntervalDays: 2,
      gleantapBaseUrl: 'https://eu.gleantap.example',
      emitBaseline: true,
      watchedFields: ['custom_1'],
      reservedConcurrency: 4,
    });
  });

  it('reads JSON arrays, numbers and booleans as cdk.json gives them, with defaults for the rest', () => {
    const config = fromContext({
      'gleantap:appIds': ['a', 'b'],
      'gleantap:schedule': 15,
      'gleantap:emitBaseline': false,
    });
    expect(config.stackName).toBe('GleantapNotifier');
    expect(config.props.credentialsSecretArn).toBeUndefined();
    expect(config.props.notifier.appIds).toEqual(['a', 'b']);
    expect(config.props.notifier.emitBaseline).toBe(false);
    expect(Object.keys(config.props.notifier).sort()).toEqual(['appIds', 'emitBaseline', 'schedule']);
  });

  it('accepts a scheduler expression with the poll interval for the staleness alarm', () => {
    const config = fromContext({
      'gleantap:appIds': 'a',
      'gleantap:schedule': 'cron(0/15 6-22 * * ? *)',
      'gleantap:pollIntervalMinutes': '15',
    });
    const { schedule, pollInterval } = config.props.notifier;
    expect(schedule).toBeInstanceOf(ScheduleExpression);
    expect(schedule instanceof ScheduleExpression && schedule.expressionString).toBe(
      'cron(0/15 6-22 * * ? *)',
    );
    expect(pollInterval?.toMinutes()).toBe(15);
  });

  it('reads no app ids as a registry-only deployment, and rejects an empty list', () => {
    expect(fromContext({}).props.notifier.appIds).toEqual([]);
    expect(problemsOf({ 'gleantap:appIds': ' , ' })).toEqual([expect.stringMatching(/^gleantap:appIds: /)]);
  });

  it('lists every invalid key at once, each by name', () => {
    const problems = problemsOf({
      'gleantap:appIds': [1, 2],
      'gleantap:schedule': 'every five minutes',
      'gleantap:lookbackDays': '-1',
      'gleantap:pageSize': '1.5',
      'gleantap:emitBaseline': 'yes',
      'gleantap:reservedConcurrency': '0',
      'gleantap:maxConcurrency': '1',
    });
    expect(problems.map((p) => p.split(':').slice(0, 2).join(':'))).toEqual([
      CONTEXT_KEYS.appIds,
      CONTEXT_KEYS.schedule,
      CONTEXT_KEYS.lookbackDays,
      CONTEXT_KEYS.pageSize,
      CONTEXT_KEYS.emitBaseline,
      CONTEXT_KEYS.reservedConcurrency,
      CONTEXT_KEYS.maxConcurrency,
    ]);
  });

  it('puts every problem in the error message', () => {
    expect(() => fromContext({ 'gleantap:schedule': 'x', 'gleantap:pageSize': '0' })).toThrow(
      /gleantap:schedule[\s\S]*gleantap:pageSize/,
    );
  });

  it('rejects an unknown gleantap: key, suggesting the known one and listing them all', () => {
    const problems = problemsOf({ 'gleantap:appIds': 'a', 'gleantap:alertEmail': 'x@example.com' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^gleantap:alertEmail is not a known context key \(did you mean gleantap:alertEmails\?\)/,
    );
    for (const key of Object.values(CONTEXT_KEYS)) expect(problems[0]).toContain(key);
    // Other namespaces (CDK feature flags) are not ours to judge.
    expect(() =>
      fromContext({ 'gleantap:appIds': 'a', '@aws-cdk/core:newStyleStackSynthesis': true }),
    ).not.toThrow();
  });

  it('applies the runtime rules, naming the context key: lookback, page size, base URL, fields, app ids', () => {
    const problems = problemsOf({
      'gleantap:appIds': 'a#1,b',
      'gleantap:lookbackDays': '60',
      'gleantap:pageSize': '1001',
      'gleantap:reconcileIntervalDays': '8',
      'gleantap:baseUrl': 'http://api.gleantap.com',
      'gleantap:watchedFields': 'membership-tier,id',
      'gleantap:alarmEmails': 'ops',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^gleantap:appIds: .*"a#1"/),
      expect.stringMatching(/^gleantap:alarmEmails: /),
      expect.stringMatching(/^gleantap:lookbackDays: must be from 1 to 30, not 60/),
      expect.stringMatching(/^gleantap:pageSize: must be from 1 to 1000/),
      expect.stringMatching(/^gleantap:reconcileIntervalDays: must be from 1 to 7, not 8/),
      expect.stringMatching(/^gleantap:baseUrl: must use https/),
      expect.stringMatching(/^gleantap:watchedFields: .*membership-tier.*cannot include id/),
    ]);
  });

  it.each([
    { value: 'each', delivery: 'each' },
    { value: 'digest', delivery: 'digest' },
  ])('reads gleantap:alertDelivery=$value', ({ value, delivery }) => {
    const config = fromContext({ 'gleantap:appIds': 'a', 'gleantap:alertDelivery': value });
    expect(config.props.notifier.alertDelivery).toBe(delivery);
  });

  it('leaves alertDelivery to the construct default, and names the key for a bad value', () => {
    expect(fromContext({ 'gleantap:appIds': 'a' }).props.notifier).not.toHaveProperty('alertDelivery');
    expect(problemsOf({ 'gleantap:appIds': 'a', 'gleantap:alertDelivery': 'weekly' })).toEqual([
      'gleantap:alertDelivery: expected one of digest, each, got "weekly"',
    ]);
  });

  it('keeps alert emails per app: a bare address needs a single app', () => {
    expect(
      fromContext({ 'gleantap:appIds': 'a', 'gleantap:alertEmails': 's@example.com' }).props.notifier,
    ).toMatchObject({ alertEmailsByApp: { a: ['s@example.com'] } });
    expect(
      fromContext({ 'gleantap:appIds': 'a,b', 'gleantap:alertEmails': { b: ['s@example.com'] } }).props
        .notifier,
    ).toMatchObject({ alertEmailsByApp: { b: ['s@example.com'] } });
    expect(problemsOf({ 'gleantap:appIds': 'a,b', 'gleantap:alertEmails': 's@example.com' })).toEqual([
      expect.stringMatching(/^gleantap:alertEmails: s@example.com names no app; .*a=s@example.com/),
    ]);
    expect(problemsOf({ 'gleantap:appIds': 'a,b', 'gleantap:alertEmails': 'c=s@example.com' })).toEqual([
      expect.stringMatching(/^gleantap:alertEmails: c=s@example.com names an app that is not in/),
    ]);
  });
});

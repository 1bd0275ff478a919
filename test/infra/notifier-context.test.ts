import { Duration } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, ContextError, stackPropsFromContext } from '../../lib/infra/notifier-context.ts';

function fromContext(context: Record<string, unknown>) {
  return stackPropsFromContext((key) => context[key]);
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
      'gleantap:alertEmails': 'a@example.com,b@example.com',
      'gleantap:alarmEmails': 'ops@example.com',
      'gleantap:schedule': '10',
      'gleantap:lookbackDays': '2',
      'gleantap:pageSize': '500',
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
      alertEmails: ['a@example.com', 'b@example.com'],
      alarmEmails: ['ops@example.com'],
      lookbackDays: 2,
      pageSize: 500,
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

  it('names the missing app ids key and shows how to pass it', () => {
    expect(problemsOf({})).toEqual([
      expect.stringMatching(/^gleantap:appIds is required.*-c gleantap:appIds=/),
    ]);
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
    });
    expect(problems.map((p) => p.split(':').slice(0, 2).join(':'))).toEqual([
      CONTEXT_KEYS.appIds,
      CONTEXT_KEYS.schedule,
      CONTEXT_KEYS.lookbackDays,
      CONTEXT_KEYS.pageSize,
      CONTEXT_KEYS.emitBaseline,
      CONTEXT_KEYS.reservedConcurrency,
    ]);
  });

  it('puts every problem in the error message', () => {
    expect(() => fromContext({ 'gleantap:schedule': 'x' })).toThrow(
      /gleantap:appIds[\s\S]*gleantap:schedule/,
    );
  });
});

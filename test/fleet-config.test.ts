import { describe, expect, expectTypeOf, it } from 'vitest';
import { RECONCILE_INTERVAL_DAYS } from '../lib/core/settings.ts';
import { loadFleetConfig } from '../lib/fleet-config.ts';

const base = { NOTIFIER_TABLE_NAME: 'notifier-state', POLL_QUEUE_URL: 'https://sqs.local/1/polls.fifo' };

describe('loadFleetConfig: NOTIFIER_RECONCILE_INTERVAL_DAYS', () => {
  it.each([
    [undefined, RECONCILE_INTERVAL_DAYS.default],
    ['', RECONCILE_INTERVAL_DAYS.default],
    ['3', 3],
    [' 7 ', 7],
    ['off', null],
  ])('reads %j as %j', (raw, expected) => {
    const result = loadFleetConfig(
      raw === undefined ? base : { ...base, NOTIFIER_RECONCILE_INTERVAL_DAYS: raw },
      { queue: true },
    );
    expect(result).toMatchObject({ ok: true, config: { reconcileIntervalDays: expected } });
  });

  it.each(['0', '8', '1.5', 'daily', '-1'])('rejects %j, naming the variable and the range', (raw) => {
    const result = loadFleetConfig(
      { ...base, NOTIFIER_RECONCILE_INTERVAL_DAYS: raw, NOTIFIER_DISPATCH_MINUTES: 'x' },
      { queue: true },
    );
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    // Every problem at once: the bad dispatch interval is named too.
    expect(problems).toHaveLength(2);
    expect(problems.join(' ')).toMatch(/NOTIFIER_RECONCILE_INTERVAL_DAYS must be .*1 to 7/);
  });
});

describe('loadFleetConfig: POLL_QUEUE_URL', () => {
  it('types the queue URL as present when the queue is needed (checked by npm run typecheck)', () => {
    const dispatcher = loadFleetConfig(base, { queue: true });
    if (!dispatcher.ok) throw new Error(dispatcher.problems.join(' '));
    expectTypeOf(dispatcher.config.queueUrl).toEqualTypeOf<string>();
    expect(dispatcher.config.queueUrl).toBe('https://sqs.local/1/polls.fifo');

    const watchdog = loadFleetConfig({ NOTIFIER_TABLE_NAME: 'notifier-state' }, { queue: false });
    if (!watchdog.ok) throw new Error(watchdog.problems.join(' '));
    expectTypeOf(watchdog.config.queueUrl).toEqualTypeOf<string | null>();
    expect(watchdog.config.queueUrl).toBeNull();

    // A need known only at run time leaves it nullable.
    const needsQueue = base.POLL_QUEUE_URL.length > 0;
    const either = loadFleetConfig(base, { queue: needsQueue });
    if (!either.ok) throw new Error(either.problems.join(' '));
    expectTypeOf(either.config.queueUrl).toEqualTypeOf<string | null>();
  });

  it.each([[undefined], ['  '], ['https://sqs.local/1/polls'], ['sqs.local/1/polls.fifo']])(
    'refuses POLL_QUEUE_URL %j when the queue is needed, with the same message',
    (raw) => {
      const result = loadFleetConfig({ ...base, POLL_QUEUE_URL: raw }, { queue: true });
      expect(result).toEqual({
        ok: false,
        problems: ['POLL_QUEUE_URL is missing or not the URL of an SQS FIFO queue (…/name.fifo).'],
      });
    },
  );

  it('does not ask the watchdog for a queue', () => {
    const result = loadFleetConfig({ NOTIFIER_TABLE_NAME: 'notifier-state' }, { queue: false });
    expect(result).toMatchObject({ ok: true, config: { tableName: 'notifier-state', queueUrl: null } });
  });
});

describe('loadFleetConfig: the region', () => {
  it.each([
    [{ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' }, 'eu-west-1'],
    [{ AWS_DEFAULT_REGION: 'us-west-2' }, 'us-west-2'],
    [{}, 'us-east-1'],
  ])('reads %j as %s', (regions, expected) => {
    const result = loadFleetConfig({ ...base, ...regions }, { queue: false });
    if (!result.ok) throw new Error(result.problems.join(' '));
    expectTypeOf(result.config.region).toEqualTypeOf<string>();
    expect(result.config.region).toBe(expected);
  });
});

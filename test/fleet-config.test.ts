import { describe, expect, it } from 'vitest';
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

/**
 * Bad configuration: every bad value of every setting gives exit status 2 and a message that
 * names the setting, through loadConfig, through the CLI in-process (runCli, the code behind
 * bin/) for every case, and through the CLI as a child process for a few. Generated values
 * (fast-check) cover the numeric and boolean settings beyond the table.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/main.ts';
import { loadConfig } from '../../lib/config.ts';
import { runCliProcess } from '../support/harness.ts';

// A complete, valid environment; nothing listens at these endpoints (no case gets that far).
const GOOD: Record<string, string> = {
  GLEANTAP_BASE_URL: 'http://127.0.0.1:9',
  GLEANTAP_APP_IDS: 'a1,b2',
  GLEANTAP_API_KEY: 'key-SECRET-API-1234',
  GLEANTAP_SECRET_KEY: 'key-SECRET-SECRET-5678',
  NOTIFIER_TABLE_NAME: 'notifier-state',
  EVENTS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:events',
  AWS_REGION: 'eu-west-1',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
  AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:9',
};
const ALL = { appIds: true, credentials: true, table: true, topic: true, aws: true };

/** [setting, bad value (undefined: unset), the setting the message must name]. */
const BAD: readonly [string, string | undefined, string][] = [
  ['GLEANTAP_BASE_URL', 'not a url', 'GLEANTAP_BASE_URL'],
  ['GLEANTAP_BASE_URL', 'ftp://api.gleantap.com', 'GLEANTAP_BASE_URL'],
  ['GLEANTAP_BASE_URL', 'https://api.gleantap.com/v2/ExternalApi/getCustomers', 'GLEANTAP_BASE_URL'],
  ['GLEANTAP_BASE_URL', 'https://api.gleantap.com/?x=1', 'GLEANTAP_BASE_URL'],
  ['GLEANTAP_APP_IDS', 'a1,,b2', 'GLEANTAP_APP_IDS'],
  ['GLEANTAP_APP_IDS', 'a1,a1', 'GLEANTAP_APP_IDS'],
  ['GLEANTAP_APP_IDS', undefined, 'GLEANTAP_APP_IDS'],
  ['GLEANTAP_API_KEY', undefined, 'GLEANTAP_API_KEY'],
  ['GLEANTAP_SECRET_KEY', undefined, 'GLEANTAP_SECRET_KEY'],
  ['NOTIFIER_TABLE_NAME', 'ab', 'NOTIFIER_TABLE_NAME'],
  ['NOTIFIER_TABLE_NAME', 'state/table', 'NOTIFIER_TABLE_NAME'],
  ['NOTIFIER_TABLE_NAME', 'x'.repeat(256), 'NOTIFIER_TABLE_NAME'],
  ['NOTIFIER_TABLE_NAME', undefined, 'NOTIFIER_TABLE_NAME'],
  ['EVENTS_TOPIC_ARN', 'events', 'EVENTS_TOPIC_ARN'],
  ['EVENTS_TOPIC_ARN', 'arn:aws:sqs:eu-west-1:123456789012:events', 'EVENTS_TOPIC_ARN'],
  ['EVENTS_TOPIC_ARN', 'arn:aws:sns:eu-west-1:12345:events', 'EVENTS_TOPIC_ARN'],
  ['EVENTS_TOPIC_ARN', undefined, 'EVENTS_TOPIC_ARN'],
  ['AWS_REGION', undefined, 'AWS_REGION'],
  ['AWS_ENDPOINT_URL_DYNAMODB', 'localhost:8000', 'AWS_ENDPOINT_URL_DYNAMODB'],
  ['AWS_ENDPOINT_URL_DYNAMODB', 'file:///tmp/db', 'AWS_ENDPOINT_URL_DYNAMODB'],
  ['AWS_ENDPOINT_URL_SNS', 'not a url', 'AWS_ENDPOINT_URL_SNS'],
  ['AWS_ENDPOINT_URL_SNS', 'ws://127.0.0.1:1', 'AWS_ENDPOINT_URL_SNS'],
  ['NOTIFIER_LOOKBACK_DAYS', '-1', 'NOTIFIER_LOOKBACK_DAYS'],
  ['NOTIFIER_LOOKBACK_DAYS', '31', 'NOTIFIER_LOOKBACK_DAYS'],
  ['NOTIFIER_LOOKBACK_DAYS', '1.5', 'NOTIFIER_LOOKBACK_DAYS'],
  ['NOTIFIER_LOOKBACK_DAYS', 'one', 'NOTIFIER_LOOKBACK_DAYS'],
  ['NOTIFIER_PAGE_SIZE', '0', 'NOTIFIER_PAGE_SIZE'],
  ['NOTIFIER_PAGE_SIZE', '1001', 'NOTIFIER_PAGE_SIZE'],
  ['NOTIFIER_PAGE_SIZE', '1e3', 'NOTIFIER_PAGE_SIZE'],
  ['NOTIFIER_PAGE_SIZE', '0x10', 'NOTIFIER_PAGE_SIZE'],
  ['NOTIFIER_EMIT_BASELINE', 'maybe', 'NOTIFIER_EMIT_BASELINE'],
  ['NOTIFIER_EMIT_BASELINE', '2', 'NOTIFIER_EMIT_BASELINE'],
  ['NOTIFIER_WATCHED_FIELDS', 'id', 'NOTIFIER_WATCHED_FIELDS'],
  ['NOTIFIER_WATCHED_FIELDS', 'visits,bad-name', 'NOTIFIER_WATCHED_FIELDS'],
  ['NOTIFIER_WATCHED_FIELDS', 'visits,,notes', 'NOTIFIER_WATCHED_FIELDS'],
  ['NOTIFIER_WATCHED_FIELDS', 'visits,visits', 'NOTIFIER_WATCHED_FIELDS'],
];

/** A setting only the CLI reads (the log level of its stderr log). */
const CLI_ONLY: readonly [string, string, string][] = [
  ['NOTIFIER_LOG_LEVEL', 'verbose', 'NOTIFIER_LOG_LEVEL'],
  ['NOTIFIER_LOG_LEVEL', '5', 'NOTIFIER_LOG_LEVEL'],
];

function envWith(name: string, value: string | undefined): Record<string, string> {
  const env = { ...GOOD };
  if (value === undefined) delete env[name];
  else env[name] = value;
  // The secret ARN would stand in for missing keys; the key cases test the pair rule.
  if (name === 'GLEANTAP_API_KEY' || name === 'GLEANTAP_SECRET_KEY') env.GLEANTAP_CREDENTIALS_SECRET_ARN = '';
  // Against local stand-ins the region may be left out; it is required for real AWS endpoints.
  if (name === 'AWS_REGION') env.AWS_ENDPOINT_URL_SNS = 'https://sns.eu-west-1.amazonaws.com';
  return env;
}

async function cliInProcess(args: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

describe('bad configuration', () => {
  it('the good environment is good (so each case below fails for its one bad value)', () => {
    expect(loadConfig(GOOD, ALL).ok).toBe(true);
  });

  it.each(BAD)('%s=%j: loadConfig names it', (name, value, named) => {
    const result = loadConfig(envWith(name, value), ALL);
    if (result.ok) throw new Error(`${name}=${value} was accepted`);
    expect(result.problems.join('\n')).toContain(named);
    // Never the keys, whatever else is wrong.
    expect(result.problems.join('\n')).not.toMatch(/SECRET-(API|SECRET)/);
  });

  it.each([...BAD, ...CLI_ONLY])('%s=%j: the CLI exits 2 and names it', async (name, value, named) => {
    const run = await cliInProcess(['poll', '--json'], envWith(name, value));
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(named);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toMatch(/SECRET-(API|SECRET)/);
  });

  it('every problem is reported at once, each naming its setting', () => {
    const env = { ...GOOD };
    for (const [name, value] of BAD) if (value !== undefined) env[name] = value;
    const result = loadConfig(env, ALL);
    if (result.ok) throw new Error('accepted');
    const text = result.problems.join('\n');
    for (const [name, value] of BAD) if (value !== undefined) expect(text).toContain(name);
  });

  it('generated bad numbers and booleans are refused with the setting named', () => {
    const notIn = (min: number, max: number) =>
      fc.string({ maxLength: 8 }).filter((s) => {
        const t = s.trim();
        return t !== '' && !(/^\d+$/.test(t) && Number(t) >= min && Number(t) <= max);
      });
    const cases = fc.oneof(
      notIn(1, 30).map((v) => ['NOTIFIER_LOOKBACK_DAYS', v] as const),
      notIn(1, 1000).map((v) => ['NOTIFIER_PAGE_SIZE', v] as const),
      fc
        .string({ maxLength: 8 })
        .filter(
          (s) =>
            s.trim() !== '' && !['true', '1', 'yes', 'false', '0', 'no'].includes(s.trim().toLowerCase()),
        )
        .map((v) => ['NOTIFIER_EMIT_BASELINE', v] as const),
    );
    fc.assert(
      fc.property(cases, ([name, value]) => {
        const result = loadConfig(envWith(name, value), ALL);
        if (result.ok) throw new Error(`${name}=${JSON.stringify(value)} was accepted`);
        expect(result.problems.join('\n')).toContain(name);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['NOTIFIER_PAGE_SIZE', '5000'],
    ['EVENTS_TOPIC_ARN', 'events'],
    ['GLEANTAP_BASE_URL', 'ftp://x'],
  ])('%s=%j through the real process: exit 2 naming it', async (name, value) => {
    const run = await runCliProcess(['poll', '--json'], envWith(name, value));
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(name);
    expect(run.stdout).toBe('');
  });
});

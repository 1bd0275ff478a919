/**
 * Bad usage and bad configuration, command by command, in process: the message on stderr and
 * exit status 2 are the CLI contract (DESIGN.md "Operator CLI"), whichever module parses the
 * flags. Nothing here reaches a server: every case fails before the command builds a client.
 */
import { describe, expect, it } from 'vitest';
import { APPS_HELP } from '../../lib/cli/apps-command.ts';
import { EXIT, runCli } from '../../lib/cli/main.ts';

async function run(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    env,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const TABLE_ENV = { NOTIFIER_TABLE_NAME: 'notifier-state', AWS_REGION: 'eu-west-1' };

describe('CLI usage errors: exit 2 with one sentence naming the problem', () => {
  it.each([
    [['apps', 'frob'], 'Unknown apps command "frob". Use add, remove or list.'],
    [['apps', 'add'], 'apps add needs at least one app id.'],
    [['apps', 'remove'], 'apps remove needs at least one app id.'],
    [['apps', 'list', 'a1'], 'apps list takes no app ids.'],
    [['apps', 'remove', 'a1', '--paused'], '--interval and --paused belong to apps add.'],
    [['apps', 'add', 'a1', '--interval', '0'], '--interval must be whole minutes from 1 to 1440, not "0".'],
    [
      ['apps', 'add', 'a1', '--interval', '1441'],
      '--interval must be whole minutes from 1 to 1440, not "1441".',
    ],
    [
      ['status'],
      'Bad configuration:\n  - GLEANTAP_APP_IDS is missing: set it to a comma-separated list of Gleantap app ids (or pass --app-id).',
    ],
    [['status', '--app-id', ' '], '--app-id must not be empty.'],
    [['replay', '--since', '2026-01-01'], 'replay needs --app-id ID.'],
    [['replay', '--app-id', 'a1'], 'replay needs --since T (an ISO 8601 time or YYYY-MM-DD).'],
    [
      ['replay', '--app-id', 'a1', '--since', 'yesterday'],
      '--since must be an ISO 8601 time or a YYYY-MM-DD date, not "yesterday".',
    ],
    [
      ['replay', '--app-id', 'a1', '--since', '2026-01-02', '--until', '2026-01-01'],
      '--until must be later than --since.',
    ],
    [
      ['replay', '--app-id', 'a1', '--since', '2026-01-01', '--type', 'customer.moved'],
      '--type must be one of customer.created, customer.updated, customer.optout_changed, customer.deleted, not "customer.moved".',
    ],
    [['reconcile'], 'reconcile needs --app-id ID.'],
    [['reconcile', '--app-id', ' '], 'reconcile needs --app-id ID.'],
    [
      ['reconcile', '--app-id', 'a1', '--max-delete-share', '1.5'],
      '--max-delete-share must be a number from 0 to 1, not "1.5".',
    ],
    [
      ['reconcile', '--app-id', 'a1', '--max-seconds', '0'],
      '--max-seconds must be a whole number of at least 1, not "0".',
    ],
    [
      ['redrive', '--from', 'https://sqs.eu-west-1.amazonaws.com/1/dlq'],
      'redrive needs --from DLQ_URL and --to QUEUE_URL.',
    ],
    [
      ['redrive', '--from', 'http://127.0.0.1:1/0/a', '--to', 'http://127.0.0.1:1/0/a'],
      '--from and --to must be different queues.',
    ],
  ])('%j', async (argv, message) => {
    const result = await run(argv, TABLE_ENV);
    expect(result).toEqual({ code: EXIT.usage, stdout: '', stderr: `gleantap-notifier: ${message}\n` });
  });

  it.each([
    ['apps', 'add', 'a1', '--bogus'],
    ['reconcile', '--app-id', 'a1', '--bogus'],
    ['redrive', '--bogus'],
    ['create-table', '--bogus'],
    ['poll', '--bogus'],
  ])('an unknown flag: %j', async (...argv) => {
    const result = await run(argv, TABLE_ENV);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/^gleantap-notifier: Unknown option '--bogus'/);
  });

  it.each([[['create-table', 'extra']], [['reconcile', '--app-id', 'a1', 'extra']]])(
    'an operand where none is taken: %j',
    async (argv) => {
      const result = await run(argv, TABLE_ENV);
      expect(result.code).toBe(EXIT.usage);
      expect(result.stderr).toMatch(/^gleantap-notifier: Unexpected argument 'extra'/);
    },
  );

  it('apps without a subcommand prints its usage on stderr and exits 2', async () => {
    expect(await run(['apps'])).toEqual({ code: EXIT.usage, stdout: '', stderr: APPS_HELP });
  });
});

describe('CLI configuration errors: exit 2 listing every problem, one a line', () => {
  it('apps needs the table and the region', async () => {
    const result = await run(['apps', 'list']);
    expect(result).toEqual({
      code: EXIT.usage,
      stdout: '',
      stderr:
        'gleantap-notifier: Bad configuration:\n' +
        '  - NOTIFIER_TABLE_NAME is missing: name the DynamoDB state table.\n' +
        '  - AWS_REGION is missing: set the AWS region of the table and topic.\n',
    });
  });

  it('reconcile needs keys, table, topic and region; a dry run no topic', async () => {
    const problems = [
      'GLEANTAP_API_KEY and GLEANTAP_SECRET_KEY are missing (or set GLEANTAP_CREDENTIALS_SECRET_ARN).',
      'NOTIFIER_TABLE_NAME is missing: name the DynamoDB state table.',
      'EVENTS_TOPIC_ARN is missing: name the SNS topic events are published to.',
      'AWS_REGION is missing: set the AWS region of the table and topic.',
    ];
    const text = (lines: string[]) =>
      `gleantap-notifier: Bad configuration:\n${lines.map((line) => `  - ${line}\n`).join('')}`;
    expect(await run(['reconcile', '--app-id', 'a1'])).toEqual({
      code: EXIT.usage,
      stdout: '',
      stderr: text(problems),
    });
    expect(await run(['reconcile', '--app-id', 'a1', '--dry-run'])).toEqual({
      code: EXIT.usage,
      stdout: '',
      stderr: text(problems.filter((line) => !line.startsWith('EVENTS_TOPIC_ARN'))),
    });
  });
});

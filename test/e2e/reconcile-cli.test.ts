import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollApp } from '../../lib/poll.ts';
import { type Harness, runCliProcess, startHarness } from '../support/harness.ts';

const APP = 'studio-r';
const KEYS = [
  'app_id',
  'outcome',
  'fetched',
  'seen',
  'live',
  'missing',
  'deleted',
  'unpublished',
  'deferred',
];

const lineOf = (stdout: string): Record<string, unknown> => {
  const lines = stdout.split('\n').filter((line) => line.startsWith('{'));
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? '{}');
};

describe('gleantap-notifier reconcile, as a child process against the local stand-ins', () => {
  let h: Harness;
  let env: Record<string, string>;
  let ids: string[];

  beforeAll(async () => {
    h = await startHarness({ appIds: [APP] });
    env = { ...h.stack.env, NOTIFIER_PAGE_SIZE: '20' };
    ids = h.stack.gleantap.app(APP).seed(40, { seed: 17 });
    const baseline = await pollApp(h.deps(), h.options(APP, { pageSize: 20 }));
    expect(baseline.outcome).toBe('complete');
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers --help with the safety rules and exit codes', async () => {
    const run = await runCliProcess(['reconcile', '--help'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('--max-delete-share');
    expect(run.stdout).toContain('10 %');
  });

  it.each([
    [['reconcile'], /--app-id/],
    [['reconcile', '--app-id', APP, '--max-delete-share', '1.5'], /--max-delete-share/],
    [['reconcile', '--app-id', APP, '--nope'], /nope/],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const run = await runCliProcess(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('announces customers missing from two reconciliations; a dry run shows them first and writes nothing', async () => {
    const app = h.stack.gleantap.app(APP);
    const gone = [ids[2] ?? '', ids[30] ?? ''];
    for (const id of gone) app.remove(id);

    const first = await runCliProcess(['reconcile', '--app-id', APP, '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const firstLine = lineOf(first.stdout);
    expect(Object.keys(firstLine)).toEqual(KEYS);
    expect(firstLine).toMatchObject({ outcome: 'conclusive', live: 40, missing: 2, deleted: 0 });

    const dry = await runCliProcess(['reconcile', '--app-id', APP, '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    const printed = dry.stdout.split('\n').filter((l) => l.startsWith('{'));
    expect(printed.map((l) => JSON.parse(l).subject).sort()).toEqual([...gone].sort());
    expect(h.stack.sns.messages()).toHaveLength(0);

    const second = await runCliProcess(['reconcile', '--app-id', APP, '--json'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(lineOf(second.stdout)).toMatchObject({ outcome: 'conclusive', missing: 2, deleted: 2 });
    const events = h.events();
    expect(events.map((e) => [e.type, e.subject]).sort()).toEqual(
      gone.map((id) => ['customer.deleted', id]).sort(),
    );
  });

  it('a scan that comes back empty (an outage) is refused: exit 1, a sentence, nothing published', async () => {
    const before = h.stack.sns.messages().length;
    h.stack.gleantap.faults.add({ kind: 'empty', page: 'first', appId: APP });
    const run = await runCliProcess(['reconcile', '--app-id', APP, '--json'], env);
    expect(run.code).toBe(1);
    expect(lineOf(run.stdout)).toMatchObject({ outcome: 'refused', live: 38, missing: 38, deleted: 0 });
    expect(run.stderr).toMatch(/missed 38 of 38 customers/);
    expect(h.stack.sns.messages()).toHaveLength(before);
  });
});

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, runCliProcess, startHarness } from '../support/harness.ts';

const APP = 'studio-a';
const OTHER = 'studio-b';

const KEYS = [
  'app_id',
  'mode',
  'complete',
  'fetched',
  'created',
  'updated',
  'optout_changed',
  'unchanged',
  'invalid',
  'published',
];

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

describe('the operator CLI, as a child process against the local stand-ins', () => {
  let h: Harness;
  let env: Record<string, string>;
  let ids: string[];

  beforeAll(async () => {
    h = await startHarness({ appIds: [APP, OTHER] });
    env = { ...h.stack.env, NOTIFIER_PAGE_SIZE: '50' };
    ids = h.stack.gleantap.app(APP).seed(120, { seed: 11 });
    h.stack.gleantap.app(OTHER).seed(30, { seed: 12 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('create-table is idempotent', async () => {
    const first = await runCliProcess(['create-table'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(env.NOTIFIER_TABLE_NAME);
    const second = await runCliProcess(['create-table'], env);
    expect(second.code, second.stderr).toBe(0);
  });

  it('poll --dry-run on a fresh app writes nothing', async () => {
    const run = await runCliProcess(['poll', '--app-id', APP, '--dry-run', '--emit-baseline', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const [line] = jsonLines(run.stdout);
    expect(line).toMatchObject({ app_id: APP, mode: 'baseline', fetched: 120 });
    expect(h.stack.sns.messages()).toHaveLength(0);
    expect(await h.store.getPollState(APP)).toBeNull();
    expect((await h.store.getSnapshots(APP, ids.slice(0, 10))).size).toBe(0);
    // In --json mode the would-be events go to stderr, so stdout keeps one line per app.
    expect(run.stderr).toContain('"type":"customer.created"');
  });

  it('poll --json prints one contract line per app; a baseline publishes nothing', async () => {
    const run = await runCliProcess(['poll', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.app_id)).toEqual([APP, OTHER]);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(KEYS);
      expect(line).toMatchObject({ mode: 'baseline', complete: true, published: 0, invalid: 0 });
    }
    expect(lines[0]?.fetched).toBe(120);
    expect(lines[1]?.fetched).toBe(30);
    expect(h.stack.sns.messages()).toHaveLength(0);
  });

  it('an incremental poll reports exact counts and publishes the events', async () => {
    const app = h.stack.gleantap.app(APP);
    app.update(String(ids[5]), { lastname: 'Okonkwo-Smith' });
    app.setOptout(String(ids[6]), 'email', true);
    app.touch(String(ids[7]));
    const run = await runCliProcess(['poll', '--app-id', APP, '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const [line] = jsonLines(run.stdout);
    expect(line).toEqual({
      app_id: APP,
      mode: 'incremental',
      complete: true,
      fetched: 120,
      created: 0,
      updated: 2,
      optout_changed: 1,
      unchanged: 118,
      invalid: 0,
      published: 3,
    });
    expect(h.stack.sns.messages()).toHaveLength(3);
    const optout = h.stack.sns.messages().find((m) => m.messageStructure === 'json');
    expect(optout?.subject).toBeTruthy();
    expect(optout?.attributes.type?.StringValue).toBe('customer.optout_changed');
    expect(optout?.attributes.channel?.StringValue).toBe('email');
  });

  it('--dry-run after a baseline prints the events it would publish and writes nothing', async () => {
    h.stack.gleantap.app(APP).update(String(ids[9]), { last_location: 'Dry Run Plaza' });
    const stateBefore = await h.store.getPollState(APP);
    const before = h.stack.sns.messages().length;
    const run = await runCliProcess(['poll', '--app-id', APP, '--dry-run'], env);
    expect(run.code, run.stderr).toBe(0);
    const printed = run.stdout.split('\n').filter((l) => l.startsWith('{'));
    expect(printed).toHaveLength(1);
    expect(JSON.parse(printed[0] ?? '{}')).toMatchObject({
      type: 'customer.updated',
      subject: String(ids[9]),
    });
    expect(h.stack.sns.messages()).toHaveLength(before);
    expect(await h.store.getPollState(APP)).toEqual(stateBefore);
    // The change is still there for the real poll.
    const real = await runCliProcess(['poll', '--app-id', APP, '--json'], env);
    expect(jsonLines(real.stdout)[0]).toMatchObject({ updated: 1, published: 1 });
  });

  it('status --json reports watermark, last poll, checkpoint and lease per app', async () => {
    const run = await runCliProcess(['status', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.app_id)).toEqual([APP, OTHER]);
    expect(lines[0]).toMatchObject({
      checkpoint: null,
      lease: null,
      last_poll: { outcome: 'complete', mode: 'incremental' },
    });
    expect(typeof lines[0]?.watermark).toBe('string');
  });

  it('replay re-publishes archived events with the same ids', async () => {
    const before = h.stack.sns.messages().map((m) => m.message);
    const run = await runCliProcess(
      ['replay', '--app-id', APP, '--since', new Date(Date.now() - 3_600_000).toISOString(), '--json'],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({
      app_id: APP,
      found: before.length,
      published: before.length,
      failed: 0,
    });
    const replayed = h.stack.sns
      .messages()
      .slice(before.length)
      .map((m) => m.message);
    expect(replayed.sort()).toEqual([...before].sort());
  });

  it('resync publishes what differs from the snapshots', async () => {
    const before = h.stack.sns.messages().length;
    h.stack.gleantap
      .app(OTHER)
      .create({ firstname: 'Late', lastname: 'Joiner', email: null, email_optout: 0, sms_optout: 0 });
    const run = await runCliProcess(['resync', '--app-id', OTHER, '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({
      app_id: OTHER,
      fetched: 31,
      created: 1,
      unchanged: 30,
      published: 1,
    });
    expect(h.stack.sns.messages()).toHaveLength(before + 1);
  });

  it('a poll that finds the lease held exits 0 and says so on stderr', async () => {
    await h.store.acquireLease(OTHER, 'someone-else', new Date(), 60_000);
    const run = await runCliProcess(['poll', '--app-id', OTHER, '--json'], env);
    await h.store.releaseLease(OTHER, 'someone-else');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/another poll holds the lease/);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ app_id: OTHER, complete: false, published: 0 });
  });

  it('a failed poll exits 1 with a sentence on stderr and does not advance the watermark', async () => {
    const watermark = (await h.store.getPollState(APP))?.watermark;
    const run = await runCliProcess(['poll', '--app-id', APP, '--json'], {
      ...env,
      GLEANTAP_API_KEY: 'wrong-key',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/watermark did not advance/);
    expect(run.stderr).not.toContain('wrong-key');
    expect((await h.store.getPollState(APP))?.watermark).toBe(watermark);
  });

  it('bad usage and bad configuration exit 2 naming the problem', async () => {
    const unknown = await runCliProcess(['frobnicate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('frobnicate');
    const flag = await runCliProcess(['poll', '--bogus'], env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--bogus');
    const config = await runCliProcess(['poll'], {
      ...env,
      GLEANTAP_BASE_URL: 'https://api.gleantap.com/v2',
      NOTIFIER_PAGE_SIZE: '5000',
      EVENTS_TOPIC_ARN: 'not-an-arn',
    });
    expect(config.code).toBe(2);
    for (const name of ['GLEANTAP_BASE_URL', 'NOTIFIER_PAGE_SIZE', 'EVENTS_TOPIC_ARN'])
      expect(config.stderr).toContain(name);
    expect(config.stdout).toBe('');
    const replay = await runCliProcess(['replay', '--app-id', APP, '--since', 'yesterday'], env);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain('--since');
  });

  it('runs as `npx gleantap-notifier` from the repo root', async () => {
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(
        'npx',
        ['--no-install', 'gleantap-notifier', 'status', '--json', '--app-id', OTHER],
        {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)[0]).toMatchObject({ app_id: OTHER });
  });
});

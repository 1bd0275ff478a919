/**
 * The operator CLI as an operator meets it when things go wrong, driven as a child process:
 * help on every command, Ctrl-C and SIGTERM, a lease left behind, and errors that name the
 * component, the cause and the fix (once).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliProcess } from '../support/cli-process.ts';
import { type Harness, runCliProcess, startHarness } from '../support/harness.ts';

const APP = 'studio-ops';
const VERSION: unknown = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Resolves once `predicate` holds for the text so far (the test's timeout bounds the wait). */
function waitFor(read: () => string, predicate: (text: string) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (predicate(read()) ? resolve() : setTimeout(check, 25));
    check();
  });
}

describe('CLI help and version', () => {
  it('--version prints the package version', async () => {
    const run = await runCliProcess(['--version'], {});
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(VERSION);
  });

  it.each(['create-table', 'poll', 'status', 'replay', 'resync', 'unlock', 'local'])(
    '%s --help prints its usage on stdout and exits 0, reading no configuration',
    async (command) => {
      const run = await runCliProcess([command, '--help'], {});
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: gleantap-notifier ${command}`));
      expect(run.stdout).toContain('130 interrupted');
      expect(run.stderr).toBe('');
    },
  );
});

describe('the CLI against the local stand-ins when things go wrong', () => {
  let h: Harness;
  let env: Record<string, string>;
  let ids: string[];

  beforeAll(async () => {
    h = await startHarness({ appIds: [APP] });
    env = { ...h.stack.env, GLEANTAP_APP_IDS: APP, NOTIFIER_PAGE_SIZE: '20' };
    ids = h.stack.gleantap.app(APP).seed(200, { seed: 13 });
    const created = await runCliProcess(['create-table'], env);
    expect(created.code, created.stderr).toBe(0);
  });
  afterAll(async () => {
    h.stack.gleantap.setLatency(0);
    await h.close();
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s during a poll stops it, keeps the checkpoint, releases the lease and exits 130',
    async (signal) => {
      // Slow pages, so the signal lands in the middle of the scan.
      h.stack.gleantap.setLatency(signal === 'SIGINT' ? 150 : 30_000);
      const before = await h.store.getPollState(APP);
      const cli = startCliProcess(['poll', '--app-id', APP, '--json'], env);
      let stderr = '';
      cli.child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      await waitFor(
        () => stderr,
        (text) => text.includes('Poll started'),
      );
      // SIGINT lands after some pages (at a page boundary); SIGTERM while a fetch is in flight.
      if (signal === 'SIGINT') await new Promise((resolve) => setTimeout(resolve, 700));
      cli.child.kill(signal);
      const run = await cli.done;
      h.stack.gleantap.setLatency(0);
      const watermarkBefore = before?.watermark ?? null;
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toMatch(/interrupted; the checkpoint is saved and the lease released/);
      const state = await h.store.getPollState(APP);
      expect(state?.lease ?? null).toBeNull();
      expect(state?.watermark ?? null).toBe(watermarkBefore);
      // The next poll is not turned away by a lease left behind: it finishes the baseline.
      const next = await runCliProcess(['poll', '--app-id', APP, '--json'], env);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).not.toMatch(/holds the lease/);
      expect(JSON.parse(next.stdout)).toMatchObject({ app_id: APP, complete: true });
      // Start over for the other signal.
      await h.store.releaseLease(APP, 'nobody');
    },
    60_000,
  );

  it('shows a lease left behind, names it when a poll is turned away, and frees it only when asked', async () => {
    const now = new Date();
    expect(await h.store.acquireLease(APP, 'cli:gone-host:4242', now, 15 * 60_000)).not.toBeNull();

    const status = await runCliProcess(['status', '--app-id', APP, '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).lease).toMatchObject({ owner: 'cli:gone-host:4242', expired: false });

    const poll = await runCliProcess(['poll', '--app-id', APP], env);
    expect(poll.code).toBe(0);
    expect(poll.stderr).toMatch(
      /another poll holds the lease \(cli:gone-host:4242, until \S+\).*unlock --app-id/,
    );

    const refused = await runCliProcess(['unlock', '--app-id', APP], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/held by cli:gone-host:4242 until .* has not expired.*--force/);
    expect((await h.store.getPollState(APP))?.lease?.owner).toBe('cli:gone-host:4242');

    const forced = await runCliProcess(['unlock', '--app-id', APP, '--force'], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/released the unexpired lease of cli:gone-host:4242/);
    expect((await h.store.getPollState(APP))?.lease ?? null).toBeNull();

    const again = await runCliProcess(['unlock', '--app-id', APP], env);
    expect(again.stdout).toMatch(/no lease is held/);
  }, 60_000);

  it('a missing table names the table and create-table, once, and exits 1', async () => {
    const run = await runCliProcess(['poll', '--app-id', APP], {
      ...env,
      NOTIFIER_TABLE_NAME: 'no-such-table',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('DynamoDB table no-such-table does not exist');
    expect(run.stderr).toContain('npx gleantap-notifier create-table');
    expect(occurrences(run.stderr, 'does not exist')).toBe(1);
  }, 60_000);

  it('an unreachable DynamoDB names DynamoDB, the endpoint and the variable', async () => {
    const run = await runCliProcess(['status', '--app-id', APP], {
      ...env,
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /DynamoDB at http:\/\/127\.0\.0\.1:9 is unreachable \(ECONNREFUSED\): .*AWS_ENDPOINT_URL_DYNAMODB/,
    );
  }, 60_000);

  it('a missing topic fails the poll at once, naming the topic, and keeps the change for later', async () => {
    // Past the baseline (which publishes nothing), so the change is an event to publish.
    const baseline = await runCliProcess(['poll', '--app-id', APP], env);
    expect(baseline.code, baseline.stderr).toBe(0);
    const customer = ids[0] ?? '';
    h.stack.gleantap.app(APP).update(customer, { firstname: 'Renamed' });
    const before = h.stack.sns.requestsByAction.PublishBatch ?? 0;
    const gone = `${env.EVENTS_TOPIC_ARN}-gone`;
    const run = await runCliProcess(['poll', '--app-id', APP], { ...env, EVENTS_TOPIC_ARN: gone });
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stderr).toContain(`SNS topic ${gone} does not exist`);
    expect(run.stderr).not.toMatch(/could not be published or/);
    expect(occurrences(run.stderr, 'does not exist')).toBe(1);
    expect((h.stack.sns.requestsByAction.PublishBatch ?? 0) - before).toBe(1);
    // With the right topic the change is still there to publish.
    const fixed = await runCliProcess(['poll', '--app-id', APP, '--json'], env);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout)).toMatchObject({ updated: 1 });
  }, 60_000);

  it('a wrong API key is reported once, naming Gleantap', async () => {
    const run = await runCliProcess(['poll', '--app-id', APP], { ...env, GLEANTAP_API_KEY: 'wrong' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Gleantap/);
    const lines = run.stderr.split('\n').filter((line) => /40[13]/.test(line));
    expect(lines, run.stderr).toHaveLength(1);
  }, 60_000);

  it('says so when the baseline of an app finds no customers (an unknown app id looks like that)', async () => {
    const run = await runCliProcess(['poll', '--app-id', 'no-such-studio', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ app_id: 'no-such-studio', mode: 'baseline', fetched: 0 });
    expect(run.stderr).toMatch(/app no-such-studio: the baseline found no customers\. .*check the app id/);
  }, 60_000);

  it('refuses a plain-HTTP Gleantap URL that is not on this machine', async () => {
    const run = await runCliProcess(['poll', '--app-id', APP, '--dry-run'], {
      ...env,
      GLEANTAP_BASE_URL: 'http://api.gleantap.com',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/GLEANTAP_BASE_URL must use https/);
  });
});

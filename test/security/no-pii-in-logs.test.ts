/**
 * No customer's email, phone or name in any log line, and the Gleantap keys never logged or
 * in an error message. Two full end-to-end sessions against the local stack, every log line
 * captured:
 * - the CLI as child processes at log level debug (stderr): baseline, changes including
 *   opt-outs, invalid records with PII in them (insertRaw), status, resync, replay, a poll that
 *   fails on an unusable Gleantap page, one that fails on an SNS outage, and one with wrong keys;
 * - the Lambda handler with a Powertools Logger at DEBUG, its output captured at the stream.
 * A third test drives the CLI's log in-process through a truncated page (a retried failure,
 * too slow with the CLI's real backoff) with the client's sleep injected.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../functions/poller/handler.ts';
import { createStreamLog } from '../../lib/cli/stderr-log.ts';
import { DEFAULT_WATCHED_FIELDS } from '../../lib/core/content-hash.ts';
import { createGleantapClient } from '../../lib/gleantap/client.ts';
import { maskJsonValues } from '../../lib/gleantap/errors.ts';
import { pollApp } from '../../lib/poll.ts';
import { type Harness, runCliProcess, startHarness } from '../support/harness.ts';
import { MemoryStateStore } from '../support/memory-state-store.ts';

const API_KEY = 'gtk-API-7f3a9c51e2';
const SECRET_KEY = 'gts-SECRET-42d1e8b07c';
const WRONG_SECRET = 'gts-WRONG-99aa77bb55';
const APP = 'pii-gym';

/** Every email, phone, first and last name the app ever served (the junk rows included). */
function personalData(h: Harness, extra: readonly string[]): string[] {
  const values = new Set<string>(extra);
  for (const member of h.stack.gleantap.app(APP).members()) {
    if (typeof member !== 'object' || member === null || Array.isArray(member)) continue;
    for (const field of ['email', 'phone', 'firstname', 'lastname']) {
      const value = member[field];
      if (typeof value === 'string' && value.length >= 3) values.add(value);
      if (typeof value === 'number') values.add(String(value));
    }
  }
  return [...values];
}

/** The lines that carry any of `needles` (as whole words, so "Kim" does not match "Kimono"). */
function leaks(lines: readonly string[], needles: readonly string[]): string[] {
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const patterns = needles.map(
    (n) => new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(n)}($|[^\\p{L}\\p{N}])`, 'u'),
  );
  return lines.filter((line) => patterns.some((p) => p.test(line)));
}

// Distinctive values, so a leak cannot hide behind a common name.
const CHANGED = { firstname: 'Zebulonia', lastname: 'Quackenbush', email: 'zq.private@example.org' };
const JUNK = [
  { firstname: 'Idless', lastname: 'Nobodyson', email: 'no.id@example.org', phone: '+15550009999' },
  { id: 'bad-optout', firstname: 'Optoutia', email: 'bad.flag@example.org', sms_optout: 'sometimes' },
  { id: { nested: 'x' }, lastname: 'Objectid', phone: '+15550001111' },
];

describe('no PII or secrets in logs', () => {
  let h: Harness;
  let badShape: Server;
  let badShapeUrl: string;

  beforeAll(async () => {
    h = await startHarness({ appIds: [APP], simulator: { apiKey: API_KEY, secretKey: SECRET_KEY } });
    h.stack.gleantap.app(APP).seed(60, { seed: 21 });
    // An API that changed shape: a 200 with the members under another name (not retried).
    badShape = createServer((_req, res) => {
      const body = JSON.stringify({ status: true, data: h.stack.gleantap.app(APP).members() });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    badShape.listen(0, '127.0.0.1');
    await once(badShape, 'listening');
    const address = badShape.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    badShapeUrl = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => badShape?.close(() => resolve()));
    await h?.close();
  });

  it('a full CLI session logs no email, phone or name, and never the keys', async () => {
    const env = { ...h.stack.env, NOTIFIER_PAGE_SIZE: '20', NOTIFIER_LOG_LEVEL: 'debug' };
    const app = h.stack.gleantap.app(APP);
    const stderr: string[] = [];
    const cli = async (args: string[], overrides: Record<string, string> = {}) => {
      const run = await runCliProcess(args, { ...env, ...overrides });
      stderr.push(...run.stderr.split('\n'));
      return run;
    };

    expect((await cli(['poll', '--json'])).code).toBe(0);
    const ids = app.members().flatMap((m) => (typeof m === 'object' && m && 'id' in m ? [String(m.id)] : []));
    const [a = '', b = '', c = ''] = ids;
    app.update(a, CHANGED);
    app.setOptout(b, 'email', true);
    app.setOptout(c, 'sms', true);
    app.create({
      firstname: 'Newcomera',
      lastname: 'Freshwater',
      email: 'new.member@example.org',
      phone: '+15550002222',
    });
    for (const junk of JUNK) app.insertRaw(junk);

    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const incremental = await cli(['poll', '--json']);
    expect(incremental.code, incremental.stderr).toBe(0);
    expect(JSON.parse(incremental.stdout)).toMatchObject({ invalid: JUNK.length, optout_changed: 2 });
    expect((await cli(['status'])).code).toBe(0);
    expect((await cli(['resync', '--app-id', APP])).code).toBe(0);
    expect((await cli(['replay', '--app-id', APP, '--since', yesterday, '--dry-run'])).code).toBe(0);

    // Failing polls: an unusable page, an SNS outage, wrong keys.
    app.update(a, { last_location: 'Somewhere Else' });
    const unusable = await cli(['poll', '--json'], { GLEANTAP_BASE_URL: badShapeUrl });
    expect(unusable.code).toBe(1);
    h.stack.sns.faults.failCalls({ action: 'PublishBatch', times: 1_000 });
    const outage = await cli(['poll', '--json']);
    h.stack.sns.faults.clear();
    expect(outage.code).toBe(1);
    const refused = await cli(['poll', '--json'], { GLEANTAP_SECRET_KEY: WRONG_SECRET });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/GLEANTAP_SECRET_KEY/);

    const lines = stderr.filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.join('\n')).toMatch(/Skipped invalid customer records/);
    expect(leaks(lines, personalData(h, Object.values(CHANGED)))).toEqual([]);
    expect(leaks(lines, [API_KEY, SECRET_KEY, WRONG_SECRET])).toEqual([]);
  }, 120_000);

  it('the Lambda handler logs no email, phone or name, and never the keys', async () => {
    const output: string[] = [];
    const capture = (chunk: unknown) => {
      output.push(String(chunk));
      return true;
    };
    const logger = new Logger({ serviceName: 'pii-test', logLevel: 'DEBUG' });
    const metrics = new Metrics({ namespace: 'PiiTest', serviceName: 'pii-test' });
    const context = { awsRequestId: 'req-pii', getRemainingTimeInMillis: () => 240_000 };
    const app = h.stack.gleantap.app(APP);
    const handler = createHandler({ env: h.stack.env, logger, metrics });
    const broken = createHandler({
      env: { ...h.stack.env, GLEANTAP_BASE_URL: badShapeUrl },
      logger,
      metrics,
    });
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      await handler({ appId: APP }, context);
      app.update(
        String(app.members().flatMap((m) => (typeof m === 'object' && m && 'id' in m ? [m.id] : []))[5]),
        {
          firstname: 'Lambdaline',
          email: 'lambda.line@example.org',
        },
      );
      app.insertRaw({ firstname: 'Rawlambda', email: 'raw.lambda@example.org' });
      await handler({ appId: APP }, context);
      app.update(
        String(app.members().flatMap((m) => (typeof m === 'object' && m && 'id' in m ? [m.id] : []))[6]),
        {
          phone: '+15550003333',
        },
      );
      await expect(broken({ appId: APP }, context)).rejects.toThrow(/unusable/);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    const lines = output
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
    expect(lines.some((line) => line.includes('Poll finished'))).toBe(true);
    expect(lines.some((line) => line.includes('Skipped invalid customer records'))).toBe(true);
    expect(leaks(lines, personalData(h, ['Lambdaline', 'lambda.line@example.org', '+15550003333']))).toEqual(
      [],
    );
    expect(leaks(lines, [API_KEY, SECRET_KEY])).toEqual([]);
  }, 60_000);

  it('a page cut off mid-record fails the poll without its content in the log or the error', async () => {
    const lines: string[] = [];
    const log = createStreamLog((line) => lines.push(line), 'debug');
    const source = createGleantapClient({
      baseUrl: h.stack.gleantap.url,
      apiKey: API_KEY,
      secretKey: SECRET_KEY,
      retry: { maxAttempts: 2 },
      sleep: async () => {},
    });
    h.stack.gleantap.faults.add({ kind: 'truncated', page: 'first', appId: APP, times: 10 });
    try {
      const summary = await pollApp(
        {
          source,
          store: new MemoryStateStore(),
          publisher: { publish: async () => ({ published: [], failed: [] }) },
          log,
          clock: () => new Date(),
        },
        { appId: APP, owner: 'pii', lookbackDays: 1, pageSize: 20, watchedFields: DEFAULT_WATCHED_FIELDS },
      );
      expect(summary.outcome).toBe('failed');
      lines.push(summary.error ?? '');
    } finally {
      h.stack.gleantap.faults.clear();
      await source.close();
    }
    expect(lines.join('\n')).toMatch(/not JSON/);
    expect(leaks(lines, personalData(h, []))).toEqual([]);
    expect(leaks(lines, [API_KEY, SECRET_KEY])).toEqual([]);
  });
});

describe('maskJsonValues (what a bad-page error message shows of the body)', () => {
  it.each([
    [
      '{"members":[{"id":"100001","firstname":"Zeb","phone":15551234567,"sms_optout":f',
      '{"members":[{"id":"…","firstname":"…","phone":#,"sms_optout":f',
    ],
    ['{"a":"x\\"y","b":"cut off', '{"a":"…","b":"…'],
    ['{"k":["a@b.example", 12, null]}', '{"k":["…", 12, null]}'],
    ['{"data":[]}', '{"data":[]}'],
    ['<html><title>502 Bad Gateway</title></html>', '<html><title>502 Bad Gateway</title></html>'],
  ])('%s', (snippet, masked) => {
    expect(maskJsonValues(snippet)).toBe(masked);
  });
});

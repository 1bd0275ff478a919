import { inspect } from 'node:util';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createGleantapClient, GET_CUSTOMERS_PATH, type GleantapClient } from '../../lib/gleantap/client.ts';
import {
  GleantapAuthError,
  GleantapBadRequestError,
  GleantapBadResponseError,
  GleantapError,
  GleantapRequestError,
  GleantapRetriesExhaustedError,
} from '../../lib/gleantap/errors.ts';
import { API_KEY, closeHarnesses, collect, failureOf, harness, request, SECRET_KEY } from './harness.ts';

const agents: MockAgent[] = [];

afterEach(async () => {
  await closeHarnesses();
  for (const agent of agents.splice(0)) await agent.close();
});

interface Call {
  readonly headers: unknown;
  readonly body: unknown;
}

type Reply = {
  statusCode: number;
  data?: string | object;
  responseOptions?: { headers?: Record<string, string> };
};

/** A client whose requests go to an undici MockAgent (for answers the simulator cannot give). */
function mocked(reply: () => Reply): { client: GleantapClient; calls: Call[]; agent: MockAgent } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agents.push(agent);
  const calls: Call[] = [];
  agent
    .get('https://api.gleantap.com')
    .intercept({ path: GET_CUSTOMERS_PATH, method: 'POST' })
    .reply((options) => {
      calls.push({ headers: options.headers, body: options.body });
      return reply();
    })
    .persist();
  const client = createGleantapClient({
    apiKey: API_KEY,
    secretKey: SECRET_KEY,
    dispatcher: agent,
    sleep: async () => {},
    random: () => 0.5,
  });
  return { client, calls, agent };
}

/** Every way an error could be written to a log. */
function serialisations(error: unknown): string[] {
  const out = [String(error), JSON.stringify(error), inspect(error, { depth: null, showHidden: true })];
  if (error instanceof Error) {
    out.push(error.stack ?? '', String(error.cause), inspect(error.cause, { depth: null, showHidden: true }));
  }
  return out;
}

describe('auth', () => {
  it('a 401 is a GleantapAuthError after exactly one request', async () => {
    const { sim } = await harness();
    const wrong = createGleantapClient({ baseUrl: sim.url, apiKey: API_KEY, secretKey: 'not-the-secret' });
    const error = await failureOf(wrong.pages(request()));
    await wrong.close();
    expect(error).toBeInstanceOf(GleantapAuthError);
    expect(error).toMatchObject({
      code: 'GLEANTAP_AUTH',
      status: 401,
      appId: 'gym',
      name: 'GleantapAuthError',
    });
    expect(String(error)).toMatch(/refused the API keys \(HTTP 401\) for app gym/);
    expect(sim.requests.map((r) => r.status)).toEqual([401]);
  });

  it('a 403 is a GleantapAuthError too, not retried', async () => {
    const { client, calls } = mocked(() => ({ statusCode: 403, data: { message: 'Forbidden' } }));
    const error = await failureOf(client.pages(request()));
    expect(error).toMatchObject({ code: 'GLEANTAP_AUTH', status: 403 });
    expect(calls).toHaveLength(1);
  });

  it('sends both keys and a JSON content type', async () => {
    const { client, calls } = mocked(() => ({ statusCode: 200, data: { members: [] } }));
    await collect(client.pages(request({ pageSize: 10 })));
    expect(calls[0]?.headers).toMatchObject({
      'x-api-key': API_KEY,
      'x-secret-key': SECRET_KEY,
      'content-type': 'application/json',
    });
    expect(JSON.parse(String(calls[0]?.body))).toEqual({ app_id: 'gym', limit: 10, offset: 0 });
  });
});

describe('bad requests and responses', () => {
  it('a 400 names the app, the body sent and the answer, and is not retried', async () => {
    const { sim, client } = await harness();
    const error = await failureOf(client.pages(request({ appId: '' })));
    expect(error).toBeInstanceOf(GleantapBadRequestError);
    if (!(error instanceof GleantapBadRequestError)) return;
    expect(error.code).toBe('GLEANTAP_BAD_REQUEST');
    expect(error.requestBody).toEqual({ app_id: '', limit: 1000, offset: 0 });
    expect(error.responseSnippet).toMatch(/app_id is required/);
    expect(error.message).toContain('Sent {"app_id":"","limit":1000,"offset":0}');
    expect(sim.requests).toHaveLength(1);
  });

  it('a 400 for a malformed updated_since quotes it', async () => {
    const { client } = await harness();
    const error = await failureOf(client.pages(request({ updatedSince: '2024-1-5' })));
    expect(error).toBeInstanceOf(GleantapBadRequestError);
    expect(String(error)).toMatch(/"updated_since":"2024-1-5".*updated_since must be a date/);
  });

  it.each([
    ['no members field', { data: [] }, /no `members` field/],
    ['members that is not an array', { members: {} }, /`members` is not an array/],
    ['a JSON array', [1, 2], /not a JSON object/],
  ])('a 200 with %s is a GleantapBadResponseError at once', async (_name, data, reason) => {
    const { client, calls } = mocked(() => ({ statusCode: 200, data }));
    const error = await failureOf(client.pages(request({ startOffset: 40 })));
    expect(error).toBeInstanceOf(GleantapBadResponseError);
    expect(error).toMatchObject({ offset: 40, attempts: 1, reason: expect.stringMatching(reason) });
    expect(String(error)).toContain(`began ${JSON.stringify(JSON.stringify(data))}`);
    expect(calls).toHaveLength(1);
  });

  it('an unexpected status is a GleantapRequestError, not retried', async () => {
    const { client, calls } = mocked(() => ({ statusCode: 404, data: 'Not Found' }));
    const error = await failureOf(client.pages(request()));
    expect(error).toBeInstanceOf(GleantapRequestError);
    expect(String(error)).toMatch(/unexpected HTTP 404, body began "Not Found"/);
    expect(calls).toHaveLength(1);
  });

  it('a transport error that retrying cannot fix is not retried', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agents.push(agent);
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND api.gleantap.com'), {
      code: 'ENOTFOUND',
    });
    agent
      .get('https://api.gleantap.com')
      .intercept({ path: GET_CUSTOMERS_PATH, method: 'POST' })
      .replyWithError(notFound);
    const client = createGleantapClient({ apiKey: API_KEY, secretKey: SECRET_KEY, dispatcher: agent });
    const error = await failureOf(client.pages(request()));
    expect(error).toBeInstanceOf(GleantapRequestError);
    expect(String(error)).toMatch(/not retried: ENOTFOUND \(getaddrinfo ENOTFOUND api.gleantap.com\)/);
  });

  it('does not close an injected dispatcher', async () => {
    const { client, agent } = mocked(() => ({ statusCode: 200, data: { members: [] } }));
    await client.close();
    await client.close();
    const again = createGleantapClient({ apiKey: API_KEY, secretKey: SECRET_KEY, dispatcher: agent });
    expect(await collect(again.pages(request()))).toHaveLength(1);
  });
});

describe('secrets', () => {
  it('redact the keys when the API echoes them back', async () => {
    const { client } = mocked(() => ({
      statusCode: 400,
      data: `bad request; headers were X-API-KEY: ${API_KEY}, X-SECRET-KEY: ${SECRET_KEY}`,
    }));
    const error = await failureOf(client.pages(request()));
    expect(error).toBeInstanceOf(GleantapBadRequestError);
    expect(String(error)).toContain('X-API-KEY: [redacted], X-SECRET-KEY: [redacted]');
  });

  it('never appear in any error, its cause, or what the hooks report', async () => {
    const errors: unknown[] = [];
    const reported: unknown[] = [];
    const { sim, client } = await harness({
      client: { onRetry: (info) => reported.push(info), onPage: (info) => reported.push(info) },
    });
    sim.app('gym').seed(5);

    const wrongSecret = createGleantapClient({
      baseUrl: sim.url,
      apiKey: API_KEY,
      secretKey: `${SECRET_KEY}x`,
    });
    errors.push(await failureOf(wrongSecret.pages(request())));
    await wrongSecret.close();
    errors.push(await failureOf(client.pages(request({ appId: '' }))));
    sim.faults.add({ kind: '500', request: sim.requests.length + 1, times: 1 });
    await collect(client.pages(request()));
    sim.faults.add({ kind: 'html', page: 'first', times: Number.POSITIVE_INFINITY });
    errors.push(await failureOf(client.pages(request())));
    sim.faults.clear();
    sim.faults.add({ kind: '429', page: 'first', times: Number.POSITIVE_INFINITY });
    errors.push(await failureOf(client.pages(request())));

    const echo = mocked(() => ({ statusCode: 200, data: `{"error":"${API_KEY} ${SECRET_KEY}"}` }));
    errors.push(await failureOf(echo.client.pages(request())));
    const agent = new MockAgent();
    agent.disableNetConnect();
    agents.push(agent);
    const leaky = Object.assign(new Error(`tls failure for ${API_KEY}/${SECRET_KEY}`), {
      code: 'ERR_TLS_CERT',
    });
    agent
      .get('https://api.gleantap.com')
      .intercept({ path: GET_CUSTOMERS_PATH, method: 'POST' })
      .replyWithError(leaky);
    const tls = createGleantapClient({ apiKey: API_KEY, secretKey: SECRET_KEY, dispatcher: agent });
    errors.push(await failureOf(tls.pages(request())));

    expect(errors.map((e) => (e instanceof GleantapError ? e.code : 'not a GleantapError'))).toEqual([
      'GLEANTAP_AUTH',
      'GLEANTAP_BAD_REQUEST',
      'GLEANTAP_BAD_RESPONSE',
      'GLEANTAP_RETRIES_EXHAUSTED',
      'GLEANTAP_BAD_RESPONSE',
      'GLEANTAP_REQUEST_FAILED',
    ]);
    expect(errors[3]).toBeInstanceOf(GleantapRetriesExhaustedError);
    expect(reported.length).toBeGreaterThan(0);
    const written = [
      ...errors.flatMap(serialisations),
      JSON.stringify(reported),
      JSON.stringify(sim.requests),
    ];
    for (const text of written) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(SECRET_KEY);
    }
  });
});

import * as undici from 'undici';
import requestMethod from 'undici/lib/api/api-request.js';
import { describe, expect, it } from 'vitest';
import { Agent, errors, request, retryInterceptor } from '../../lib/gleantap/undici.ts';

// lib/gleantap/undici.ts imports undici's parts from their own files to keep the bundle small.
// These are the same objects the package root exports, or an upgrade moved something.
describe('undici parts', () => {
  it('are the objects the package root exports', () => {
    expect(Agent).toBe(undici.Agent);
    expect(errors).toBe(undici.errors);
    expect(retryInterceptor).toBe(undici.interceptors.retry);
    // request() calls this function with the dispatcher as `this`: what `dispatcher.request` is.
    expect(requestMethod).toBe(undici.Dispatcher.prototype.request);
  });

  it('request sends through a MockAgent', async () => {
    const mock = new undici.MockAgent();
    mock.disableNetConnect();
    mock.get('http://gleantap.test').intercept({ path: '/x', method: 'POST' }).reply(200, '{"ok":1}');
    try {
      const response = await request(mock, { origin: 'http://gleantap.test', path: '/x', method: 'POST' });
      expect(response.statusCode).toBe(200);
      expect(await response.body.json()).toEqual({ ok: 1 });
    } finally {
      await mock.close();
    }
  });
});

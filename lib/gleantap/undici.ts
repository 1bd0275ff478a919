/**
 * The parts of undici the Gleantap client uses, each imported from its own module instead of
 * the package root.
 *
 * Why: undici's root (`index.js`) is CommonJS that loads all of undici — fetch, WebSocket,
 * EventSource, the mock and snapshot agents, the cache stores — and esbuild cannot tree-shake
 * CommonJS. Through these four modules the bundle carries only what the client uses: less to
 * read and compile on every cold start. `npm run bench` measures the poller bundle's size and
 * module init against a reference handler (figures `bundle_bytes_vs_reference` and
 * `init_ms_vs_reference`).
 *
 * The cost is depending on file paths inside the package, which undici does not promise to
 * keep (it has no `exports` map, so Node and esbuild allow them). The version is pinned, and
 * test/gleantap/undici.test.ts checks that each part is the very object the root exports:
 * an upgrade that moves or changes one fails the tests, not a deployed poller.
 */
import type { Dispatcher } from 'undici';
import requestMethod from 'undici/lib/api/api-request.js';
import errors from 'undici/lib/core/errors.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import retryInterceptor from 'undici/lib/interceptor/retry.js';

export { Agent, errors, retryInterceptor };

/**
 * `dispatcher.request(options)`. The root installs `request` on `Dispatcher.prototype`; this
 * calls the same function without that import, so any dispatcher works (an Agent composed
 * with interceptors, or a test's MockAgent).
 */
export function request(
  dispatcher: Dispatcher,
  options: Dispatcher.RequestOptions,
): Promise<Dispatcher.ResponseData> {
  return requestMethod.call(dispatcher, options);
}

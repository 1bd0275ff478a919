/**
 * The Gleantap `getCustomers` client: pages of parsed customers over a keep-alive undici
 * pool, with retries, timeouts, prefetch of the next page, and typed errors.
 *
 * Retries: undici's retry interceptor (`interceptors.retry`, the RetryHandler behind
 * RetryAgent) re-sends the request on a retryable status or a connection error/timeout
 * before any response headers arrive. It cannot do everything here, so the client adds:
 * - A custom `retry` callback. undici's default retries only idempotent methods (its
 *   `methods` default leaves out POST; getCustomers is a read, safe to repeat), has no jitter,
 *   caps `Retry-After` at `maxTimeout` instead of honouring it, does not retry header/body
 *   timeouts (`errorCodes` leaves them out), and has no total-time limit. The callback
 *   classifies the failure, asks the page's {@link RetryBudget} (attempts, total time,
 *   backoff with jitter, `Retry-After`) and sleeps with the injectable sleep, which the
 *   caller's abort signal interrupts.
 * - Its own loop for failures after the headers. A 200 whose body is truncated, HTML or
 *   otherwise not JSON (a proxy or a cut connection, most likely transient) and a body that
 *   fails or times out midway are retried within the same budget; a persistent non-JSON
 *   body ends in GleantapBadResponseError. undici would resume a failed body with a `Range`
 *   request, which a JSON POST API does not support, so the callback declines those.
 * - A 2xx with well-formed JSON but no `members` array is not retried: it is a definite answer.
 *
 * Longer than 400 lines on purpose: createGleantapClient is one closure whose parts (the pool,
 * the retry callback, the page loop with its prefetch and the body checks) share the page's
 * retry budget and abort signal; the budget itself, the error types and the undici plumbing
 * already live in retry-budget.ts, errors.ts and undici.ts.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { Dispatcher, interceptors } from 'undici';
import { parseMembersPage } from '../core/customer.ts';
import { DEFAULT_GLEANTAP_BASE_URL, PAGE_SIZE } from '../core/settings.ts';
import type { CustomerPage, CustomerSource, PageRequest } from '../ports.ts';
import {
  GleantapAuthError,
  GleantapBadRequestError,
  GleantapBadResponseError,
  GleantapRequestError,
  GleantapRetriesExhaustedError,
} from './errors.ts';
import { DEFAULT_RETRY_SETTINGS, parseRetryAfter, RetryBudget, type RetrySettings } from './retry-budget.ts';
import { Agent, errors, retryInterceptor, request as send } from './undici.ts';

export {
  GleantapAuthError,
  GleantapBadRequestError,
  GleantapBadResponseError,
  GleantapError,
  GleantapRequestError,
  GleantapRetriesExhaustedError,
} from './errors.ts';
export { DEFAULT_RETRY_SETTINGS, type RetrySettings } from './retry-budget.ts';

/** The documented endpoint; `baseUrl` is scheme and host only. */
export const GET_CUSTOMERS_PATH = '/v2/ExternalApi/getCustomers';
/** Production API origin, used when `baseUrl` is not given (the settings module's default). */
export const DEFAULT_BASE_URL = DEFAULT_GLEANTAP_BASE_URL;
/** The API's largest page (the settings module's page size limit). */
export const MAX_PAGE_SIZE = PAGE_SIZE.max;

/** What the client reports after each page. Holds counts only, never customer data or keys. */
export interface PageInfo {
  readonly appId: string;
  readonly offset: number;
  readonly received: number;
  readonly valid: number;
  readonly rejected: number;
  readonly attempts: number;
  readonly elapsedMs: number;
}

/** What the client reports before each retry. */
export interface RetryInfo {
  readonly appId: string;
  readonly offset: number;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  /** A short label of the failure, e.g. `HTTP 429` or `UND_ERR_HEADERS_TIMEOUT`. */
  readonly failure: string;
  readonly delayMs: number;
}

/** Options of {@link createGleantapClient}. */
export interface GleantapClientOptions {
  /** Scheme and host; the client appends the endpoint path. @default 'https://api.gleantap.com' */
  readonly baseUrl?: string;
  /** Sent as `X-API-KEY`. Never logged or put in errors. */
  readonly apiKey: string;
  /** Sent as `X-SECRET-KEY`. Never logged or put in errors. */
  readonly secretKey: string;
  /** TCP/TLS connect timeout (ms); applies to the client's own pool only. @default 5_000 */
  readonly connectTimeoutMs?: number;
  /** Time (ms) to wait for the response headers. @default 30_000 */
  readonly headersTimeoutMs?: number;
  /** Time (ms) allowed between two body chunks. @default 30_000 */
  readonly bodyTimeoutMs?: number;
  /** Idle time (ms) a pooled connection is kept for reuse. @default 10_000 */
  readonly keepAliveTimeoutMs?: number;
  /** Retry budget per page; unset fields keep their defaults (see {@link RetrySettings}). */
  readonly retry?: Partial<RetrySettings>;
  /**
   * The undici dispatcher to send through (e.g. a shared Agent or a MockAgent). The client
   * adds its retry interceptor on top and does not close it.
   * @default a keep-alive Agent owned (and closed) by the client
   */
  readonly dispatcher?: Dispatcher;
  /** Fetch the next page while the caller processes the current one (at most one ahead). @default true */
  readonly prefetch?: boolean;
  /** Called after each page. */
  readonly onPage?: (info: PageInfo) => void;
  /** Called before each retry. */
  readonly onRetry?: (info: RetryInfo) => void;
  /** Clock (epoch ms) for the retry time limit and HTTP-date `Retry-After`. @default Date.now */
  readonly now?: () => number;
  /** Waits between retries; must reject when the signal aborts. @default node:timers/promises setTimeout */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Source of backoff jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** A Gleantap customer source that owns connections: close it when done. */
export interface GleantapClient extends CustomerSource {
  /**
   * Pages of `getCustomers` from `startOffset`, each requested with `limit = pageSize` and
   * the next offset advanced by the rows received (valid and invalid); stops after the
   * first empty page (a short page is not the end). Invalid records are reported in `rejections`, never thrown.
   * Throws GleantapAuthError, GleantapBadRequestError, GleantapBadResponseError,
   * GleantapRetriesExhaustedError or GleantapRequestError; a RangeError for a bad request;
   * the signal's reason when `request.signal` aborts. Breaking out of the loop cancels a prefetch.
   */
  pages(request: PageRequest): AsyncGenerator<CustomerPage, void, undefined>;
  /** Closes the client's own connection pool (not an injected dispatcher). */
  close(): Promise<void>;
}

const RETRYABLE_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
// Left out on purpose: ENOTFOUND (a wrong host fails fast; the next scheduled poll tries again)
// and TLS errors (retrying cannot fix a certificate).

const isRetryableStatus = (status: number) => status === 429 || (status >= 500 && status <= 599);

const SNIPPET_BYTES = 200;

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function parseBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl must be an absolute http(s) URL, got ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`baseUrl must use http or https, got ${JSON.stringify(url.protocol)}`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new TypeError(
      `baseUrl must be scheme and host only (the client appends ${GET_CUSTOMERS_PATH}), got ${JSON.stringify(baseUrl)}`,
    );
  }
  return url.origin;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!(Number.isFinite(chosen) && chosen > 0))
    throw new RangeError(`${name} must be a positive number, got ${chosen}`);
  return chosen;
}

/**
 * Creates a Gleantap client. Throws a TypeError or RangeError naming the option when an
 * option is invalid; makes no request until `pages()` is iterated.
 */
export function createGleantapClient(options: GleantapClientOptions): GleantapClient {
  const origin = parseBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
  if (options.apiKey === '' || options.secretKey === '')
    throw new TypeError('apiKey and secretKey must not be empty');
  const headersTimeout = positive('headersTimeoutMs', options.headersTimeoutMs, 30_000);
  const bodyTimeout = positive('bodyTimeoutMs', options.bodyTimeoutMs, 30_000);
  const settings: RetrySettings = { ...DEFAULT_RETRY_SETTINGS, ...options.retry };
  if (!(Number.isInteger(settings.maxAttempts) && settings.maxAttempts >= 1)) {
    throw new RangeError(`retry.maxAttempts must be an integer >= 1, got ${settings.maxAttempts}`);
  }
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number, signal: AbortSignal) => sleepTimer(ms, undefined, { signal }));
  const prefetch = options.prefetch ?? true;
  let base: Dispatcher;
  let ownAgent: Agent | undefined;
  if (options.dispatcher === undefined) {
    ownAgent = new Agent({
      connect: { timeout: positive('connectTimeoutMs', options.connectTimeoutMs, 5_000) },
      keepAliveTimeout: positive('keepAliveTimeoutMs', options.keepAliveTimeoutMs, 10_000),
      keepAliveMaxTimeout: 60_000,
      headersTimeout,
      bodyTimeout,
    });
    base = ownAgent;
  } else {
    base = options.dispatcher;
  }
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    'x-api-key': options.apiKey,
    'x-secret-key': options.secretKey,
  };
  const secrets = [options.apiKey, options.secretKey];
  /** Removes the keys from text that came from elsewhere (a reply that echoes headers, an error message). */
  const redact = (text: string) =>
    secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);

  async function fetchPage(request: PageRequest, offset: number, signal: AbortSignal): Promise<CustomerPage> {
    const { appId } = request;
    const requestBody: Record<string, string | number> = { app_id: appId, limit: request.pageSize, offset };
    if (request.updatedSince !== undefined) requestBody.updated_since = request.updatedSince;
    const body = JSON.stringify(requestBody);
    const budget = new RetryBudget(settings, now, random);
    const exhausted = () =>
      new GleantapRetriesExhaustedError(
        appId,
        offset,
        budget.attempts,
        budget.failures,
        budget.elapsedMs,
        budget.stoppedBecause ?? 'the last failure was not retryable',
      );
    const wait = async (decision: { delayMs: number }, failure: string) => {
      options.onRetry?.({ appId, offset, attempt: budget.attempts - 1, failure, delayMs: decision.delayMs });
      await sleep(decision.delayMs, signal);
    };

    for (;;) {
      const attempt = { headersReceived: false };
      const retry: NonNullable<interceptors.RetryInterceptorOpts['retry']> = (error, _context, callback) => {
        if (signal.aborted || attempt.headersReceived) {
          callback(error);
          return;
        }
        let failure: string;
        let retryAfterMs: number | undefined;
        if (error instanceof errors.RequestRetryError) {
          if (!isRetryableStatus(error.statusCode)) {
            callback(error);
            return;
          }
          failure = `HTTP ${error.statusCode}`;
          retryAfterMs = parseRetryAfter(error.headers['retry-after'], now());
        } else {
          const code = errorCode(error);
          if (code === undefined || !RETRYABLE_ERROR_CODES.has(code)) {
            callback(error);
            return;
          }
          failure = code;
        }
        const decision = budget.next(failure, retryAfterMs);
        if (!decision.retry) {
          callback(error);
          return;
        }
        wait(decision, failure).then(
          () => callback(null),
          () => callback(error),
        );
      };
      // One composed dispatcher per attempt: cheap, and it lets the retry callback close
      // over this page's budget and signal (RetryAgent takes fixed options).
      const dispatcher = base.compose(retryInterceptor({ retry, throwOnError: false, methods: ['POST'] }));

      let response: Dispatcher.ResponseData;
      try {
        response = await send(dispatcher, {
          origin,
          path: GET_CUSTOMERS_PATH,
          method: 'POST',
          headers,
          body,
          signal,
          headersTimeout,
          bodyTimeout,
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (budget.stoppedBecause !== undefined) throw exhausted();
        const code = errorCode(error) ?? 'unknown error';
        const message = error instanceof Error ? redact(error.message) : 'unknown error';
        throw new GleantapRequestError(appId, offset, `${code} (${message})`, { cause: new Error(message) });
      }
      // Set when the caller's promise resumes; a body failure in the very same tick as the
      // headers could still reach the callback first. undici would then resume with a Range
      // request, get a 200 instead of a 206, fail the body with RequestRetryError, and this
      // loop retries: one wasted request, same outcome.
      attempt.headersReceived = true;
      const { statusCode } = response;

      if (statusCode < 200 || statusCode > 299) {
        const snippet = redact(await readSnippet(response.body));
        if (signal.aborted) throw signal.reason;
        if (statusCode === 401 || statusCode === 403) throw new GleantapAuthError(statusCode, appId);
        if (statusCode === 400) throw new GleantapBadRequestError(appId, requestBody, snippet);
        if (isRetryableStatus(statusCode)) throw exhausted();
        throw new GleantapRequestError(
          appId,
          offset,
          `unexpected HTTP ${statusCode}, body began ${JSON.stringify(snippet)}`,
        );
      }

      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        const failure = `${errorCode(error) ?? 'error'} while reading the body`;
        const decision = budget.next(failure);
        if (!decision.retry) throw exhausted();
        await wait(decision, failure);
        continue;
      }

      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        const failure = 'a 2xx body that is not JSON';
        const decision = budget.next(failure);
        if (!decision.retry) {
          throw new GleantapBadResponseError(
            appId,
            offset,
            'the body is not JSON',
            redact(text.slice(0, SNIPPET_BYTES)),
            budget.attempts,
          );
        }
        await wait(decision, failure);
        continue;
      }

      const parsed = parseMembersPage(json);
      if (!parsed.ok) {
        throw new GleantapBadResponseError(
          appId,
          offset,
          parsed.reason,
          redact(text.slice(0, SNIPPET_BYTES)),
          budget.attempts,
        );
      }
      options.onPage?.({
        appId,
        offset,
        received: parsed.received,
        valid: parsed.customers.length,
        rejected: parsed.rejections.length,
        attempts: budget.attempts,
        elapsedMs: budget.elapsedMs,
      });
      return {
        offset,
        received: parsed.received,
        customers: parsed.customers,
        rejections: parsed.rejections,
      };
    }
  }

  async function* pages(request: PageRequest): AsyncGenerator<CustomerPage, void, undefined> {
    const { pageSize, startOffset } = request;
    if (!(Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= MAX_PAGE_SIZE)) {
      throw new RangeError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${pageSize}`);
    }
    if (!(Number.isInteger(startOffset) && startOffset >= 0)) {
      throw new RangeError(`startOffset must be an integer >= 0, got ${startOffset}`);
    }
    // One controller for this scan: the caller's signal aborts it, and so does leaving the
    // loop early, which cancels a prefetch in flight.
    const controller = new AbortController();
    const outer = request.signal;
    const forward = () => controller.abort(outer?.reason);
    if (outer?.aborted) forward();
    outer?.addEventListener('abort', forward, { once: true });
    // A prefetch may fail while the caller is busy; it is awaited (and rethrown) later, so
    // mark it handled now rather than let it surface as an unhandled rejection.
    const start = (offset: number) => {
      const page = fetchPage(request, offset, controller.signal);
      page.catch(() => undefined);
      return page;
    };

    let offset = startOffset;
    let pending: Promise<CustomerPage> | undefined = start(offset);
    try {
      while (pending !== undefined) {
        const page: CustomerPage = await pending;
        pending = undefined;
        // Only an empty page ends the scan: the API has no total count, and a short page is
        // not the end (a server may cap `limit` below what was asked, or drop rows after
        // applying LIMIT). The next offset is always offset + rows received.
        const more = page.received > 0;
        const next = offset + page.received;
        if (more && prefetch) pending = start(next);
        yield page;
        if (!more) return;
        offset = next;
        pending ??= start(offset);
      }
    } finally {
      outer?.removeEventListener('abort', forward);
      if (pending !== undefined) {
        controller.abort(new Error('the consumer stopped reading pages'));
        await pending.catch(() => undefined);
      }
    }
  }

  let closed: Promise<void> | undefined;
  return {
    pages,
    close() {
      closed ??= ownAgent === undefined ? Promise.resolve() : ownAgent.close();
      return closed;
    },
  };
}

/** Reads the first bytes of an error body for a message, then discards the rest. */
async function readSnippet(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(buffer);
      size += buffer.length;
      if (size >= SNIPPET_BYTES) break;
    }
  } catch {
    // Best effort: a snippet is only for the message.
  }
  return Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8');
}

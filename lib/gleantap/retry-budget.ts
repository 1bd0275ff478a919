/**
 * The retry budget of one getCustomers page: how many attempts, how long in total, and how
 * long to wait before the next attempt. One budget is shared by the two places that retry
 * (undici's retry interceptor for statuses and connection errors, and the client's own loop
 * for failures after the response headers), so a page never gets more than its budget.
 */

/** Retry settings of the Gleantap client. */
export interface RetrySettings {
  /**
   * Attempts per page, the first one included.
   * @default 6
   */
  readonly maxAttempts: number;
  /**
   * The first backoff delay (ms); it doubles per retry, with jitter.
   * @default 500
   */
  readonly minDelayMs: number;
  /**
   * The largest backoff delay (ms). A longer `Retry-After` is still honoured.
   * @default 15_000
   */
  readonly maxDelayMs: number;
  /**
   * Time (ms) from a page's first attempt after which no retry starts: a retry whose wait
   * would end past it is not made.
   * @default 60_000
   */
  readonly maxRetryTimeMs: number;
}

/** The defaults: 6 attempts, 0.5 s doubling to at most 15 s, no retry after 60 s. */
export const DEFAULT_RETRY_SETTINGS: RetrySettings = {
  maxAttempts: 6,
  minDelayMs: 500,
  maxDelayMs: 15_000,
  maxRetryTimeMs: 60_000,
};

/**
 * Reads a `Retry-After` header (delta-seconds or an HTTP date) as a delay in ms, or
 * undefined when absent or unreadable (the caller then uses its own backoff).
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would read "-1" or "1.5" as dates.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The decision after a failed attempt. */
export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: string };

/** Counts attempts and time for one page and computes the backoff. */
export class RetryBudget {
  readonly #settings: RetrySettings;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #startedAt: number;
  readonly #failures: string[] = [];
  #attempts = 1;
  #stoppedBecause: string | undefined;

  /** Starts the budget at the page's first attempt. */
  constructor(settings: RetrySettings, now: () => number, random: () => number) {
    this.#settings = settings;
    this.#now = now;
    this.#random = random;
    this.#startedAt = now();
  }

  /** Attempts made so far (the current one included). */
  get attempts(): number {
    return this.#attempts;
  }

  /** One label per failed attempt, in order. */
  get failures(): readonly string[] {
    return this.#failures;
  }

  get elapsedMs(): number {
    return this.#now() - this.#startedAt;
  }

  /** Why the budget refused a retry; undefined while it has not. */
  get stoppedBecause(): string | undefined {
    return this.#stoppedBecause;
  }

  /**
   * Records a failed attempt (`failure` is a short label without secrets) and decides whether
   * to make another: the delay is `Retry-After` when given, else exponential backoff with
   * equal jitter (half fixed, half random) capped at `maxDelayMs`.
   */
  next(failure: string, retryAfterMs?: number): RetryDecision {
    this.#failures.push(failure);
    const { maxAttempts, minDelayMs, maxDelayMs, maxRetryTimeMs } = this.#settings;
    if (this.#attempts >= maxAttempts) return this.#stop(`all ${maxAttempts} attempts were used`);
    const backoff = Math.min(maxDelayMs, minDelayMs * 2 ** (this.#attempts - 1));
    const delayMs = retryAfterMs ?? Math.round(backoff / 2 + (this.#random() * backoff) / 2);
    if (this.elapsedMs + delayMs > maxRetryTimeMs) {
      const wait =
        retryAfterMs === undefined ? 'the next backoff' : `Retry-After (${Math.ceil(retryAfterMs / 1000)} s)`;
      return this.#stop(`${wait} would pass the ${Math.round(maxRetryTimeMs / 1000)} s retry time limit`);
    }
    this.#attempts += 1;
    return { retry: true, delayMs };
  }

  #stop(reason: string): RetryDecision {
    this.#stoppedBecause = reason;
    return { retry: false, reason };
  }
}

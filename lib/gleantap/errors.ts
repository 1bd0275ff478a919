/**
 * Errors of the Gleantap client. Each has a stable `code` and a message that says what
 * happened in a sentence an operator can act on. None carries the API keys: request bodies
 * hold no secrets, and response snippets and causes are redacted before they are attached.
 */

/** The base class: catch this to handle every failure of the Gleantap client. */
export abstract class GleantapError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { readonly cause?: Error }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 401 or 403: the API refused the keys. Not retried: the same keys would be refused again. */
export class GleantapAuthError extends GleantapError {
  readonly code = 'GLEANTAP_AUTH';

  constructor(
    readonly status: number,
    readonly appId: string,
  ) {
    super(
      `Gleantap refused the API keys (HTTP ${status}) for app ${appId}: check GLEANTAP_API_KEY and GLEANTAP_SECRET_KEY (or the credentials secret).`,
    );
  }
}

/** 400: the API rejected the request. Carries the request body sent (it holds no secrets) and the start of the reply. */
export class GleantapBadRequestError extends GleantapError {
  readonly code = 'GLEANTAP_BAD_REQUEST';

  constructor(
    readonly appId: string,
    readonly requestBody: Readonly<Record<string, unknown>>,
    readonly responseSnippet: string,
  ) {
    super(
      `Gleantap rejected the getCustomers request for app ${appId} as invalid (HTTP 400). ` +
        `Sent ${JSON.stringify(requestBody)}; the API answered ${JSON.stringify(responseSnippet)}.`,
    );
  }
}

/**
 * The start of a body with its JSON values blanked out, for a message that gets logged: a
 * page cut off mid-record, or one whose members moved under another key, is customers'
 * names, emails and phones. Keys, punctuation, literals and short numbers stay, so the shape
 * still shows; string values become `"…"` and numbers of five or more digits (a phone sent as
 * a number) become `#`. A body that does not start like JSON (an HTML error page) is kept.
 */
export function maskJsonValues(snippet: string): string {
  if (!/^\s*[[{]/.test(snippet)) return snippet;
  return snippet.replace(/"(?:[^"\\]|\\.)*("?)(\s*:)?|-?\d[\d.eE+-]*/g, (token, closed, colon) => {
    if (!token.startsWith('"')) return token.replace(/[^\d]/g, '').length >= 5 ? '#' : token;
    if (colon !== undefined) return token;
    return closed ? '"…"' : '"…';
  });
}

/**
 * A 2xx whose body is not JSON (after retries within the budget), or JSON without a
 * `members` array. Carries the page offset and the first bytes of the body; the message shows
 * them with every value masked ({@link maskJsonValues}), since error messages are logged.
 */
export class GleantapBadResponseError extends GleantapError {
  readonly code = 'GLEANTAP_BAD_RESPONSE';

  constructor(
    readonly appId: string,
    readonly offset: number,
    readonly reason: string,
    /** The first bytes as received: may hold customer data, so never log it (the message masks it). */
    readonly bodySnippet: string,
    readonly attempts: number,
  ) {
    super(
      `Gleantap sent an unusable getCustomers page for app ${appId} at offset ${offset} ` +
        `(${reason}; ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}). The body began ${JSON.stringify(maskJsonValues(bodySnippet))}.`,
    );
  }
}

/** The retry budget (attempts or total time) ran out on statuses or errors that are worth retrying. */
export class GleantapRetriesExhaustedError extends GleantapError {
  readonly code = 'GLEANTAP_RETRIES_EXHAUSTED';

  constructor(
    readonly appId: string,
    readonly offset: number,
    readonly attempts: number,
    /** One entry per failed attempt, e.g. `HTTP 429`, `UND_ERR_HEADERS_TIMEOUT`. */
    readonly failures: readonly string[],
    readonly elapsedMs: number,
    /** Why no further attempt was made. */
    readonly stoppedBecause: string,
  ) {
    super(
      `Gleantap getCustomers for app ${appId} at offset ${offset} failed after ${attempts} ` +
        `${attempts === 1 ? 'attempt' : 'attempts'} in ${(elapsedMs / 1000).toFixed(1)} s ` +
        `(${failures.join(', ')}); stopped because ${stoppedBecause}.`,
    );
  }
}

/**
 * A failure that is not worth retrying and fits none of the above: an unexpected status
 * (e.g. 404 from a wrong base URL) or a transport error such as an unknown host.
 */
export class GleantapRequestError extends GleantapError {
  readonly code = 'GLEANTAP_REQUEST_FAILED';

  constructor(
    readonly appId: string,
    readonly offset: number,
    readonly detail: string,
    options?: { readonly cause?: Error },
  ) {
    super(
      `Gleantap getCustomers for app ${appId} at offset ${offset} failed and was not retried: ${detail}.`,
      options,
    );
  }
}

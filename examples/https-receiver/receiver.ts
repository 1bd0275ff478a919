/**
 * An HTTP(S) receiver for an SNS subscription of the events topic, built on the subscriber
 * kit: it verifies SNS's signature, completes the subscription handshake, parses the
 * event and applies it once. Mount `createReceiver(...)` on any Node HTTP(S) server.
 *
 * In your project, import from the package instead of the relative path:
 *   import { ... } from 'gleantap-notifier/subscriber';
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  type ApplyOnceStore,
  applyOnce,
  ClaimBusyError,
  confirmSubscription,
  type GleantapNotifierEvent,
  SnsVerificationError,
  type SnsVerifier,
  safeParseEvent,
  type UrlRequester,
} from '../../lib/subscriber/index.ts';

/** Options of {@link createReceiver}. */
export interface ReceiverOptions {
  /** Checks signatures; create it once (it caches certificates) with your topic's ARN. */
  readonly verifier: SnsVerifier;
  /** Where the apply-once state lives (`createDynamoApplyOnceStore` when several instances run). */
  readonly store: ApplyOnceStore;
  /** Applies one event; throw to have SNS retry it. */
  readonly onEvent: (event: GleantapNotifierEvent) => unknown;
  /** Visits the SubscribeURL. @default an HTTPS GET */
  readonly confirm?: UrlRequester;
  /** Told of every answer, for logs. */
  readonly onAnswer?: (status: number, reason: string) => void;
}

// SNS messages are at most 256 KiB; the envelope adds a little.
const MAX_BODY_BYTES = 300 * 1024;

const readBody = (request: IncomingMessage): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')),
    );
    request.on('error', reject);
  });

/**
 * The request listener. Answers 200 for an applied, duplicate or stale event and a
 * completed handshake; 403 for a message SNS did not sign; 400 for a signed message that is
 * not one of our events; 503 while another instance applies an event of the same customer
 * and 500 when `onEvent` threw (SNS retries both).
 */
export const createReceiver = (options: ReceiverOptions): RequestListener => {
  const answer = (response: ServerResponse, status: number, reason: string): void => {
    options.onAnswer?.(status, reason);
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`${reason}\n`);
  };
  return (request, response) => {
    void (async () => {
      if (request.method !== 'POST') return answer(response, 405, 'POST only');
      const body = await readBody(request);
      if (body === undefined) return answer(response, 413, 'body too large');
      let message: Awaited<ReturnType<SnsVerifier['verify']>>;
      try {
        message = await options.verifier.verify(body);
      } catch (error) {
        if (error instanceof SnsVerificationError) return answer(response, 403, `rejected: ${error.code}`);
        throw error;
      }
      if (message.Type === 'SubscriptionConfirmation') {
        await confirmSubscription(message, options.confirm);
        return answer(response, 200, 'subscription confirmed');
      }
      if (message.Type === 'UnsubscribeConfirmation') return answer(response, 200, 'unsubscribed');
      const parsed = safeParseEvent(message);
      if (!parsed.ok) return answer(response, 400, `not an event: ${parsed.error.code}`);
      try {
        const outcome = await applyOnce(options.store, parsed.event, options.onEvent);
        return answer(response, 200, outcome);
      } catch (error) {
        if (error instanceof ClaimBusyError) return answer(response, 503, 'busy: retry later');
        return answer(response, 500, 'handler failed');
      }
    })().catch(() => answer(response, 500, 'receiver error'));
  };
};

/**
 * An SNS-compatible HTTP endpoint for tests and the local demo. It speaks the protocol
 * that `@aws-sdk/client-sns` speaks: awsQuery (form-encoded POST with `Action=…`,
 * XML responses and `<ErrorResponse>` errors), so the real `SNSClient` works against it
 * with `endpoint` set. No signature is checked.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { seededRandom } from './seeded-random.ts';
import { SnsError } from './sns-stand-in/errors.ts';
import type { SnsFaults } from './sns-stand-in/faults.ts';
import { errorXml, parseQuery } from './sns-stand-in/query.ts';
import {
  type DeliveryRecord,
  type LocalSubscribeOptions,
  type LocalSubscriber,
  type RecordedMessage,
  SnsService,
  type SubscriptionInfo,
} from './sns-stand-in/service.ts';
import type { SnsSigning } from './sns-stand-in/signing.ts';

export type { DeliveredMessage, NotificationEnvelope } from './sns-stand-in/delivery.ts';
export type { CallFault, EntryFault, SnsAction, SnsFaults } from './sns-stand-in/faults.ts';
export type { FilterPolicyInput } from './sns-stand-in/filter-policy.ts';
export type { RecordedAttribute } from './sns-stand-in/message.ts';
export type {
  DeliveryRecord,
  LocalSubscribeOptions,
  LocalSubscriber,
  RecordedMessage,
  SubscriptionInfo,
  SubscriptionProtocol,
} from './sns-stand-in/service.ts';
export type { SnsSigning } from './sns-stand-in/signing.ts';

/** Options of {@link startSnsStandIn}. */
export interface SnsStandInOptions {
  /** Region in topic ARNs. @default 'us-east-1' */
  readonly region?: string;
  /** Account id in topic ARNs (12 digits). @default '000000000000' */
  readonly accountId?: string;
  /** Port on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number;
  /** Seed of the generator behind `faults.failEntries({ probability })`. @default 1 */
  readonly seed?: number;
  /** How long one HTTP delivery may take before it counts as failed. @default 5000 */
  readonly deliveryTimeoutMs?: number;
  /**
   * An SQS-protocol endpoint (the SQS stand-in's) that `sqs` subscriptions are delivered to,
   * raw or in the SNS envelope as the subscription says. @default - sqs deliveries are only recorded
   */
  readonly sqsEndpoint?: string;
  /**
   * Sign HTTP(S) and SQS envelopes for real with this key, so receivers can verify them
   * against a locally generated certificate. @default - a placeholder signature
   */
  readonly signing?: SnsSigning;
  /**
   * Email subscriptions start unconfirmed, as in SNS: listed as `PendingConfirmation` and
   * delivered nothing until {@link SnsStandIn.confirmSubscription}. @default false (confirmed at once)
   */
  readonly pendingEmailConfirmation?: boolean;
}

/** A running SNS stand-in. */
export interface SnsStandIn {
  /** `http://127.0.0.1:PORT`: pass as `endpoint` to `SNSClient`. */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  /** Every HTTP request received, including failed and unknown ones. */
  readonly requestCount: number;
  /** Requests per `Action` (a snapshot). */
  readonly requestsByAction: Readonly<Record<string, number>>;
  /** Every accepted message in acceptance order, or only those of one topic. */
  messages(topicArn?: string): RecordedMessage[];
  /** Subscriptions made through the API and with {@link SnsStandIn.subscribe}. */
  subscriptions(topicArn?: string): SubscriptionInfo[];
  /** What each subscription was handed, in order; HTTP records turn from `pending` to their outcome. */
  deliveries(subscriptionArn?: string): DeliveryRecord[];
  /**
   * Subscribes an in-process callback to a topic; it is called synchronously while the
   * publish is handled. Returns a function that unsubscribes it.
   * @throws Error when the topic does not exist or the filter policy is invalid.
   */
  subscribe(topicArn: string, callback: LocalSubscriber, options?: LocalSubscribeOptions): () => void;
  /** Confirms a pending email subscription, as its recipient's click would; false when none is pending. */
  confirmSubscription(subscriptionArn: string): boolean;
  /** The topic ARN the stand-in gives a topic of this name (whether or not it exists). */
  topicArn(name: string): string;
  /** Resolves when every HTTP delivery and async callback started so far has finished. */
  settled(): Promise<void>;
  /** Clears recorded messages, deliveries and request counts; topics, subscriptions and faults stay. */
  reset(): void;
  readonly faults: SnsFaults;
  /** Waits for in-flight deliveries, then stops the server. */
  close(): Promise<void>;
}

// Generous next to SNS's 256 KiB payload: form encoding can triple the size of a message.
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

const readBody = (request: http.IncomingMessage): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')),
    );
    request.on('error', reject);
  });

const send = (response: http.ServerResponse, status: number, body: string, requestId: string): void => {
  response.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  response.end(body);
};

/**
 * Starts an SNS stand-in on 127.0.0.1.
 * @throws Error when the port cannot be bound or `accountId` is not 12 digits.
 */
export const startSnsStandIn = async (options: SnsStandInOptions = {}): Promise<SnsStandIn> => {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  if (!/^\d{12}$/.test(accountId))
    throw new Error(`startSnsStandIn: accountId must be 12 digits, got ${accountId}`);
  const service = new SnsService({
    region,
    accountId,
    random: seededRandom(options.seed ?? 1),
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 5000,
    ...(options.sqsEndpoint === undefined ? {} : { sqsEndpoint: options.sqsEndpoint }),
    ...(options.signing === undefined ? {} : { signing: options.signing }),
    pendingEmailConfirmation: options.pendingEmailConfirmation ?? false,
  });

  const server = http.createServer((request, response) => {
    const requestId = randomUUID();
    readBody(request).then(
      (body) => {
        if (body === undefined) {
          send(
            response,
            413,
            errorXml('RequestEntityTooLarge', 'Request body too large', 413, requestId),
            requestId,
          );
          return;
        }
        // SNS takes parameters from the form body and, for GET (e.g. an UnsubscribeURL), the query string.
        const params = new URLSearchParams(new URL(request.url ?? '/', 'http://localhost').search);
        for (const [key, value] of new URLSearchParams(body)) params.append(key, value);
        const query = parseQuery(params);
        const action = query.get('Action') ?? '';
        const injected = service.admit(action);
        if (injected !== undefined) {
          send(
            response,
            injected.status,
            errorXml(injected.code, injected.message, injected.status, requestId),
            requestId,
          );
          return;
        }
        try {
          send(response, 200, service.handle(action, query, requestId), requestId);
        } catch (error) {
          const snsError =
            error instanceof SnsError
              ? error
              : new SnsError('InternalError', error instanceof Error ? error.message : String(error), 500);
          send(
            response,
            snsError.status,
            errorXml(snsError.code, snsError.message, snsError.status, requestId),
            requestId,
          );
        }
      },
      () => response.destroy(),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('startSnsStandIn: server has no TCP address');
  const endpoint = `http://127.0.0.1:${address.port}`;
  service.endpoint = endpoint;

  return {
    endpoint,
    region,
    accountId,
    get requestCount() {
      return service.requestCount;
    },
    get requestsByAction() {
      return service.requestsByAction;
    },
    messages: (topicArn) => service.messages(topicArn),
    subscriptions: (topicArn) => service.subscriptions(topicArn),
    confirmSubscription: (subscriptionArn) => service.confirmSubscription(subscriptionArn),
    deliveries: (subscriptionArn) => service.deliveries(subscriptionArn),
    subscribe: (topicArn, callback, subscribeOptions = {}) => {
      const arn = service.subscribeLocal(topicArn, callback, subscribeOptions);
      return () => {
        service.removeSubscription(arn);
      };
    },
    topicArn: (name) => `arn:aws:sns:${region}:${accountId}:${name}`,
    settled: () => service.settled(),
    reset: () => service.reset(),
    faults: service.faults,
    close: async () => {
      await service.settled();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      service.destroy();
    },
  };
};

/**
 * Real events for the subscriber tests, built by the core exactly as the poller builds
 * them (parse, diff, build), so the tests follow the contract wherever it moves.
 */
import { DEFAULT_WATCHED_FIELDS } from '../../lib/core/content-hash.ts';
import { parseCustomer } from '../../lib/core/customer.ts';
import { diffCustomer } from '../../lib/core/diff.ts';
import type { GleantapNotifierEvent, LastKnownCustomer } from '../../lib/core/event-types.ts';
import { buildMessages } from '../../lib/core/events.ts';
import type { Customer, JsonObject, Snapshot } from '../../lib/core/types.ts';

/** One published SNS message: the CloudEvent, its SNS `Message` text and attributes. */
export interface FixtureMessage {
  readonly event: GleantapNotifierEvent;
  /** What SNS hands an SQS queue or HTTPS endpoint: for `MessageStructure=json`, the `default` text. */
  readonly message: string;
  /** The SNS `Message` as published (the JSON structure for opt-out events). */
  readonly published: string;
  readonly messageStructure?: 'json';
  readonly attributes: Readonly<Record<string, { DataType: string; StringValue: string }>>;
}

const isEvent = (value: unknown): value is GleantapNotifierEvent =>
  typeof value === 'object' && value !== null && 'specversion' in value;

const delivered = (message: string, structure: 'json' | undefined): string => {
  if (structure === undefined) return message;
  const parsed: unknown = JSON.parse(message);
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('default' in parsed) ||
    typeof parsed.default !== 'string'
  ) {
    throw new Error('a MessageStructure=json message without a default text');
  }
  return parsed.default;
};

/**
 * The messages of a customer's history: the first record is its creation, each later one
 * a change (records equal to the previous one publish nothing).
 */
export const historyMessages = (
  appId: string,
  records: readonly Record<string, unknown>[],
): FixtureMessage[][] => {
  let snapshot: Snapshot | undefined;
  const changes: FixtureMessage[][] = [];
  records.forEach((record, index) => {
    const parsed = parseCustomer(record);
    if (!parsed.ok) throw new Error(`fixture record ${index} is invalid: ${parsed.rejection.reason}`);
    const change = diffCustomer(snapshot, parsed.customer, DEFAULT_WATCHED_FIELDS);
    const detectedAt = new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString();
    const messages = buildMessages(change, { appId, detectedAt }).map((message) => {
      if (!isEvent(message.event)) throw new Error('buildMessages returned a non-event');
      return {
        event: message.event,
        message: delivered(message.message, message.messageStructure),
        published: message.message,
        ...(message.messageStructure === undefined ? {} : { messageStructure: message.messageStructure }),
        attributes: message.attributes,
      };
    });
    if (change.kind !== 'unchanged') snapshot = change.next;
    changes.push(messages);
  });
  return changes;
};

/** A plain member record as Gleantap sends it. */
export const member = (id: string, overrides: JsonObject = {}): JsonObject => ({
  id,
  firstname: 'Ada',
  lastname: 'Lovelace',
  email: `${id}@example.com`,
  phone: null,
  last_location: 'Main St',
  email_optout: 0,
  sms_optout: 0,
  created_date: '2025-01-01 10:00:00',
  ...overrides,
});

/** The customer an event carries (a deleted one carries its last known record). */
export const customerOf = (event: GleantapNotifierEvent): Customer | LastKnownCustomer => event.data.customer;

/** An SQS record as Lambda passes it, with `body` as SQS received it. */
export const sqsRecord = (messageId: string, body: string) => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1767225600000',
    SenderId: 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: '1767225600000',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:subscriber',
  awsRegion: 'us-east-1',
});

/** The SNS JSON envelope around a message (what SQS gets without raw delivery). */
export const snsEnvelope = (message: string, messageId = 'm-1') =>
  JSON.stringify({
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: 'arn:aws:sns:us-east-1:000000000000:gleantap-notifier-events',
    Message: message,
    Timestamp: '2026-01-01T00:00:00.000Z',
    SignatureVersion: '1',
    Signature: 'c2ln',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
  });

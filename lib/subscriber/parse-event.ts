/**
 * Turns whatever a subscriber was handed into one typed, schema-checked event: an SQS
 * record fed by SNS (raw delivery or the SNS JSON envelope), an SNS record of a Lambda
 * event, the body of an SNS HTTP(S) POST, or the CloudEvent itself (object or JSON text).
 *
 * Parsing does not verify an SNS signature: an HTTP(S) receiver calls
 * `verifySnsMessage` on the body first (SQS and Lambda deliveries come from AWS itself).
 */
import type { GleantapNotifierEvent } from '../core/event-types.ts';
import { checkEventSchema } from './event-validator.ts';

/** Where a parsed event came from. */
export type EventCarrier = 'sqs-raw' | 'sqs-envelope' | 'sns-lambda' | 'sns-envelope' | 'cloudevent';

/** What was wrong with an input, as a stable machine-friendly code. */
export type EventParseErrorCode =
  | 'not_json'
  | 'unrecognised_input'
  | 'subscription_message'
  | 'not_a_cloudevent'
  | 'unknown_type'
  | 'schema';

/** An input that is not one of our events. The message names the problem, never a customer's data. */
export class EventParseError extends Error {
  override readonly name = 'EventParseError';
  readonly code: EventParseErrorCode;

  constructor(code: EventParseErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The result of {@link safeParseEvent}. */
export type ParseEventResult =
  | { readonly ok: true; readonly event: GleantapNotifierEvent; readonly carrier: EventCarrier }
  | { readonly ok: false; readonly error: EventParseError };

type JsonRecord = Record<string, unknown>;

const isRecord = (value: unknown): value is JsonRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseJson = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    throw new EventParseError('not_json', `${what} is not JSON`);
  }
};

/** SNS's JSON envelope: what HTTP(S) endpoints get, and SQS queues without raw delivery. */
const isSnsEnvelope = (value: JsonRecord): boolean =>
  typeof value.Type === 'string' && typeof value.TopicArn === 'string' && 'Message' in value;

const fromEnvelope = (envelope: JsonRecord, where: string): unknown => {
  if (envelope.Type !== 'Notification') {
    throw new EventParseError(
      'subscription_message',
      `${where} is an SNS ${String(envelope.Type)} message, not a notification: confirm or ignore it (see verifySnsMessage)`,
    );
  }
  if (typeof envelope.Message !== 'string') {
    throw new EventParseError('unrecognised_input', `${where}: the SNS envelope's Message is not a string`);
  }
  return parseJson(envelope.Message, `${where}: the SNS envelope's Message`);
};

const toCloudEvent = (value: unknown, where: string): { body: unknown; carrier: EventCarrier } => {
  if (!isRecord(value)) throw new EventParseError('unrecognised_input', `${where} is not a JSON object`);
  // An SQS record as Lambda receives it from an event source mapping.
  if (value.eventSource === 'aws:sqs' && typeof value.body === 'string') {
    const body = parseJson(value.body, 'the SQS record body');
    if (isRecord(body) && isSnsEnvelope(body)) {
      return { body: fromEnvelope(body, 'the SQS record body'), carrier: 'sqs-envelope' };
    }
    return { body, carrier: 'sqs-raw' };
  }
  // An SNS record of a Lambda event (a Lambda function subscribed to the topic).
  if (value.EventSource === 'aws:sns' && isRecord(value.Sns)) {
    if (typeof value.Sns.Message !== 'string') {
      throw new EventParseError('unrecognised_input', 'the SNS record has no Message string');
    }
    return { body: parseJson(value.Sns.Message, 'the SNS record Message'), carrier: 'sns-lambda' };
  }
  if (isSnsEnvelope(value)) return { body: fromEnvelope(value, where), carrier: 'sns-envelope' };
  if ('specversion' in value) return { body: value, carrier: 'cloudevent' };
  throw new EventParseError(
    'unrecognised_input',
    `${where} is neither an SQS record, an SNS record, an SNS envelope nor a CloudEvent`,
  );
};

const isEvent = (value: unknown): value is GleantapNotifierEvent => checkEventSchema(value).ok;

/**
 * Parses and validates one delivery. Never throws: a bad input gives `ok: false` with an
 * {@link EventParseError} whose `code` says what was wrong.
 */
export const safeParseEvent = (input: unknown): ParseEventResult => {
  try {
    const decoded = typeof input === 'string' ? parseJson(input, 'the input') : input;
    const { body, carrier } = toCloudEvent(decoded, 'the input');
    if (!isRecord(body) || body.specversion !== '1.0') {
      throw new EventParseError('not_a_cloudevent', 'the message is not a CloudEvents 1.0 structured event');
    }
    if (isEvent(body)) return { ok: true, event: body, carrier };
    const verdict = checkEventSchema(body);
    throw new EventParseError(
      verdict.ok ? 'schema' : verdict.code,
      verdict.ok ? 'the event does not match its schema' : verdict.message,
    );
  } catch (error) {
    if (error instanceof EventParseError) return { ok: false, error };
    // Anything else (e.g. a stack overflow on absurd nesting) is still a bad input, not a crash.
    return {
      ok: false,
      error: new EventParseError(
        'unrecognised_input',
        `the input could not be read: ${error instanceof Error ? error.message : String(error)}`,
      ),
    };
  }
};

/**
 * Parses and validates one delivery (see the module comment for the accepted forms).
 * @returns the typed event; narrow it on `type`
 * @throws EventParseError naming what was wrong with the input
 */
export const parseEvent = (input: unknown): GleantapNotifierEvent => {
  const result = safeParseEvent(input);
  if (!result.ok) throw result.error;
  return result.event;
};

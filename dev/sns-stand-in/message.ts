import { invalidParameter, parameterValueInvalid, type SnsError } from './errors.ts';
import type { QueryNode } from './query.ts';

/** A message attribute as published, decoded from the wire (Binary arrives base64 and is decoded). */
export interface RecordedAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

/** A message that passed SNS's validation, ready to record and fan out. */
export interface ValidMessage {
  readonly message: string;
  readonly subject?: string;
  readonly messageStructure?: 'json';
  /** The per-protocol texts of a `MessageStructure=json` message (always has `default`). */
  readonly structured?: Readonly<Record<string, string>>;
  readonly attributes: Readonly<Record<string, RecordedAttribute>>;
}

/** SNS's payload limit: message plus attribute names, types and values, in bytes. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
export const MAX_MESSAGE_ATTRIBUTES = 10;

// Subjects: ASCII, starting with a letter, number or punctuation, no control characters, < 100 chars.
const SUBJECT = /^[\x21-\x7e][\x20-\x7e]{0,98}$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_\-.]{1,256}$/;

type Result<T> = { ok: true; value: T } | { ok: false; error: SnsError };
const fail = (error: SnsError): { ok: false; error: SnsError } => ({ ok: false, error });

/**
 * The bytes SNS counts against the 256 KiB limit, computed from the raw request so that
 * batch size limits apply before (and regardless of) per-entry validation.
 */
export const payloadBytes = (node: QueryNode): number => {
  let bytes = Buffer.byteLength(node.get('Message') ?? '');
  for (const entry of node.at('MessageAttributes')?.items('entry') ?? []) {
    bytes +=
      Buffer.byteLength(entry.get('Name') ?? '') + Buffer.byteLength(entry.get('Value.DataType') ?? '');
    bytes += Buffer.byteLength(entry.get('Value.StringValue') ?? '');
    const binary = entry.get('Value.BinaryValue');
    if (binary !== undefined) bytes += Buffer.from(binary, 'base64').byteLength;
  }
  return bytes;
};

const isJsonScalar = (value: unknown): boolean =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

const parseAttribute = (entry: QueryNode): Result<[string, RecordedAttribute]> => {
  const name = entry.get('Name') ?? '';
  if (
    !ATTRIBUTE_NAME.test(name) ||
    /^(aws|amazon)\./i.test(name) ||
    name.startsWith('.') ||
    name.endsWith('.')
  ) {
    return fail(parameterValueInvalid(`The message attribute name '${name}' is invalid.`));
  }
  const dataType = entry.get('Value.DataType') ?? '';
  if (dataType === '') {
    return fail(
      parameterValueInvalid(`The message attribute '${name}' must contain non-empty message attribute type.`),
    );
  }
  const baseType = dataType.split('.')[0];
  const isArray = dataType === 'String.Array';
  if (baseType === 'Binary') {
    const binary = entry.get('Value.BinaryValue') ?? '';
    if (binary === '') {
      return fail(
        parameterValueInvalid(
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type 'Binary'.`,
        ),
      );
    }
    return {
      ok: true,
      value: [name, { DataType: dataType, BinaryValue: new Uint8Array(Buffer.from(binary, 'base64')) }],
    };
  }
  if (baseType !== 'String' && baseType !== 'Number') {
    return fail(
      parameterValueInvalid(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      ),
    );
  }
  const value = entry.get('Value.StringValue') ?? '';
  if (value === '') {
    return fail(
      parameterValueInvalid(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${baseType}'.`,
      ),
    );
  }
  if (baseType === 'Number' && (value.trim() === '' || !Number.isFinite(Number(value)))) {
    return fail(parameterValueInvalid(`Could not cast message attribute '${name}' value to number.`));
  }
  if (isArray) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every(isJsonScalar)) {
      return fail(
        parameterValueInvalid(
          `The message attribute '${name}' with type 'String.Array' must be a JSON array of strings, numbers, true, false or null.`,
        ),
      );
    }
  }
  return { ok: true, value: [name, { DataType: dataType, StringValue: value }] };
};

const parseStructure = (message: string): Result<Record<string, string>> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return fail(invalidParameter('Message Structure - JSON message body failed to parse'));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail(invalidParameter('Message Structure - JSON message body failed to parse'));
  }
  const texts: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      return fail(invalidParameter(`Message Structure - the value of '${key}' must be a string`));
    }
    texts[key] = value;
  }
  if (texts.default === undefined) {
    return fail(invalidParameter('Message Structure - No default entry in JSON message body'));
  }
  return { ok: true, value: texts };
};

/**
 * Validates one message the way Publish (or one PublishBatch entry) does: message present
 * and within 256 KiB with its attributes, subject format, `MessageStructure=json` with a
 * `default` key, at most 10 well-formed attributes. Returns the SNS error otherwise.
 */
export const validateMessage = (node: QueryNode): Result<ValidMessage> => {
  const message = node.get('Message');
  if (message === undefined || message === '') return fail(invalidParameter('Empty message'));
  if (payloadBytes(node) > MAX_PAYLOAD_BYTES) return fail(invalidParameter('Message too long'));

  const subject = node.get('Subject');
  if (subject !== undefined && !SUBJECT.test(subject)) return fail(invalidParameter('Subject'));

  const structure = node.get('MessageStructure');
  let structured: Record<string, string> | undefined;
  if (structure !== undefined && structure !== '') {
    if (structure !== 'json')
      return fail(invalidParameter(`MessageStructure: unsupported value '${structure}'`));
    const parsed = parseStructure(message);
    if (!parsed.ok) return parsed;
    structured = parsed.value;
  }

  const entries = node.at('MessageAttributes')?.items('entry') ?? [];
  if (entries.length > MAX_MESSAGE_ATTRIBUTES) {
    return fail(
      parameterValueInvalid(
        `Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
      ),
    );
  }
  const attributes: Record<string, RecordedAttribute> = {};
  for (const entry of entries) {
    const parsed = parseAttribute(entry);
    if (!parsed.ok) return parsed;
    const [name, attribute] = parsed.value;
    if (Object.hasOwn(attributes, name)) {
      return fail(parameterValueInvalid(`Message attribute name '${name}' has already been used.`));
    }
    attributes[name] = attribute;
  }

  return {
    ok: true,
    value: {
      message,
      ...(subject !== undefined ? { subject } : {}),
      ...(structured !== undefined ? { messageStructure: 'json' as const, structured } : {}),
      attributes,
    },
  };
};

/**
 * The text a subscriber of `protocol` receives: for `MessageStructure=json` its own key
 * (`email`, `sqs`, `http`…) or else `default`; otherwise the message as published.
 */
export const textFor = (message: ValidMessage, protocol: string): string =>
  message.structured?.[protocol] ?? message.structured?.default ?? message.message;

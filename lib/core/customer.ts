/**
 * Parsing of Gleantap `getCustomers` members into {@link Customer} records.
 *
 * Lenient in what it accepts (the API's types are documented loosely), strict in what it
 * produces, and total: any input yields a customer or a rejection, never an exception.
 * Rejection reasons name the field and the problem, never the value, so they can be logged
 * without leaking a customer's PII.
 *
 * Decisions (the event contract depends on them; tests hold them):
 * - `id`: a non-empty string is kept verbatim (at most {@link MAX_ID_LENGTH} characters); a
 *   number must be a non-negative safe integer and becomes its decimal string (a fraction,
 *   a negative or an unsafe integer cannot be told apart from another customer's id, so it
 *   is `bad_id`). `null`, missing or `""` is `missing_id`; any other type is `bad_id`.
 * - `email_optout`/`sms_optout`: 0/1, "0"/"1" and false/true become 0/1. `null` or missing
 *   becomes 0: Gleantap documents the field as an integer, and null means no opt-out was
 *   ever recorded. Anything else is `bad_field`.
 * - `firstname`, `lastname`, `email`, `phone`, `last_location`: a string is kept verbatim;
 *   a finite number becomes its decimal string (phones sent as numbers are still phones);
 *   `null` or missing is `null`. Booleans, objects and arrays are `bad_field`.
 * - `created_date`: see {@link parseCreatedDate}; canonical form `2024-03-01T10:00:00.000Z`.
 * - Unknown extra fields are kept under their own keys, deep-copied, if they are JSON values;
 *   a non-JSON value (function, bigint, NaN, a cycle, a class instance) is `bad_field`.
 *   A key whose value is `undefined` counts as absent.
 * - Limits on extra fields (`too_large`): nesting deeper than {@link MAX_EXTRA_DEPTH} levels,
 *   or more than {@link MAX_EXTRAS_SIZE} characters over all extra fields of the record
 *   (see {@link MAX_EXTRAS_SIZE} for what is counted). Such a record could not travel in an
 *   SNS message anyway, and a deep one overflows the stack of every later JSON walk
 *   (hashing, building events): it is rejected here, where one bad record costs one record.
 * - A rejection after the id was read carries `customerId`, so it can be logged by id.
 */
import { canonicalInstantText, formatInstant, parseInstant } from './instant.ts';
import type { Customer, JsonValue, OptoutFlag, ParseResult, Rejection } from './types.ts';

/** Longest accepted string id; longer ones are `bad_id` (a DynamoDB key must stay small). */
export const MAX_ID_LENGTH = 256;

/**
 * Deepest accepted nesting of an extra field: the field's own value is level 1, each array
 * or object inside adds one. Real Gleantap extras (`fulldata` visits, purchases) nest 2-3
 * levels; 4,000 levels overflowed the stack of JSON.stringify while building events.
 */
export const MAX_EXTRA_DEPTH = 32;

/**
 * Largest accepted size of a record's extra fields together, counted as the UTF-16 length of
 * every key and string plus 2 per key and string, 24 per number and 5 per other value or
 * container: a cheap bound close to the JSON text's length. 128 Ki: with the documented
 * fields the record still fits an SNS message (256 KiB), also inside an opt-out message
 * where the event travels as an escaped string.
 */
export const MAX_EXTRAS_SIZE = 128 * 1024;

/** The member fields Gleantap documents, in documented order. */
export const DOCUMENTED_FIELDS = [
  'id',
  'firstname',
  'lastname',
  'email',
  'phone',
  'last_location',
  'email_optout',
  'sms_optout',
  'created_date',
] as const;

const DOCUMENTED = new Set<string>(DOCUMENTED_FIELDS);

type Rejected = Omit<Rejection, 'index'>;

class RejectionError {
  constructor(readonly rejection: Rejected) {}
}

/** Too deep or too large: stops the copy of an extra field at once. */
class LimitError {
  constructor(readonly reason: string) {}
}

function reject(code: string, reason: string): never {
  throw new RejectionError({ code, reason });
}

/**
 * Parses one member record. Total: returns `{ ok: false, rejection }` for every input it
 * cannot accept (codes `not_an_object`, `missing_id`, `bad_id`, `bad_field`, `too_large`)
 * and never throws.
 */
export function parseCustomer(value: unknown): ParseResult {
  const read: { id?: string } = {};
  try {
    return { ok: true, customer: parseOrThrow(value, read) };
  } catch (error) {
    if (error instanceof RejectionError)
      return {
        ok: false,
        rejection: read.id === undefined ? error.rejection : { ...error.rejection, customerId: read.id },
      };
    // Only exotic inputs get here (a throwing getter, a revoked proxy): never JSON.parse output.
    return {
      ok: false,
      rejection: { code: 'not_an_object', reason: 'the record could not be read as a plain object' },
    };
  }
}

function parseOrThrow(value: unknown, read: { id?: string }): Customer {
  if (!isPlainObject(value)) reject('not_an_object', 'the record is not a JSON object');
  const id = parseId(value.id);
  read.id = id;
  const extras: [string, JsonValue][] = [];
  const budget = { size: MAX_EXTRAS_SIZE };
  for (const key of Object.keys(value)) {
    if (DOCUMENTED.has(key)) continue;
    const extra = value[key];
    if (extra === undefined) continue;
    budget.size -= key.length + 2;
    let copy: JsonValue | undefined;
    try {
      copy = toJsonValue(extra, new Set(), 1, budget);
    } catch (error) {
      if (error instanceof LimitError) reject('too_large', `field ${describeKey(key)} ${error.reason}`);
      throw error;
    }
    if (copy === undefined) reject('bad_field', `field ${describeKey(key)} is not a JSON value`);
    extras.push([key, copy]);
  }
  return {
    id,
    firstname: parseText('firstname', value.firstname),
    lastname: parseText('lastname', value.lastname),
    email: parseText('email', value.email),
    phone: parseText('phone', value.phone),
    last_location: parseText('last_location', value.last_location),
    email_optout: parseOptoutField('email_optout', value.email_optout),
    sms_optout: parseOptoutField('sms_optout', value.sms_optout),
    created_date: parseCreatedDateField(value.created_date),
    // fromEntries and spread define own data properties, so a source key `__proto__` stays data.
    ...(extras.length > 0 ? Object.fromEntries(extras) : {}),
  };
}

function parseId(raw: unknown): string {
  if (raw === undefined || raw === null || raw === '') reject('missing_id', 'field `id` is missing or empty');
  if (typeof raw === 'string') {
    if (raw.length > MAX_ID_LENGTH)
      reject('bad_id', `field \`id\` is longer than ${MAX_ID_LENGTH} characters`);
    return raw;
  }
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw) || raw < 0) {
      reject('bad_id', 'field `id` is a number but not a non-negative safe integer');
    }
    // `String(-0)` is "0", and a safe integer never prints in exponent form.
    return String(raw);
  }
  return reject('bad_id', 'field `id` is neither a string nor a number');
}

/**
 * Normalises an opt-out flag: 0/1, "0"/"1", false/true → 0/1; null or undefined → 0.
 * @returns the flag, or `undefined` for any other value.
 */
export function parseOptout(raw: unknown): OptoutFlag | undefined {
  switch (raw) {
    case undefined:
    case null:
    case 0:
    case '0':
    case false:
      return 0;
    case 1:
    case '1':
    case true:
      return 1;
    default:
      return undefined;
  }
}

function parseOptoutField(field: string, raw: unknown): OptoutFlag {
  const flag = parseOptout(raw);
  if (flag === undefined) {
    reject('bad_field', `field \`${field}\` is not one of 0, 1, "0", "1", true, false or null`);
  }
  return flag;
}

function parseText(field: string, raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return reject('bad_field', `field \`${field}\` is not a string, a number or null`);
}

/** MySQL's zero date, which Gleantap may send for "no date". */
const ZERO_DATE = /^0000-00-00(?:[ T]00:00:00(?:\.0+)?)?$/;

/**
 * Normalises a `created_date` text to ISO 8601 UTC (`2024-03-01T10:00:00.000Z`).
 *
 * Accepts ISO 8601 with or without a zone (none = UTC), `YYYY-MM-DD HH:MM:SS` (UTC) and
 * `YYYY-MM-DD` (UTC midnight), with surrounding whitespace. An empty text and MySQL's zero
 * date `0000-00-00[ 00:00:00]` mean "no date" and give `null`.
 *
 * @returns the canonical text, `null` for "no date", or `undefined` when unparseable.
 */
export function parseCreatedDate(text: string): string | null | undefined {
  const canonical = canonicalInstantText(text);
  if (canonical !== undefined) return canonical;
  const trimmed = text.trim();
  if (trimmed === '' || (trimmed.startsWith('0000') && ZERO_DATE.test(trimmed))) return null;
  const epochMs = parseInstant(trimmed);
  return epochMs === undefined ? undefined : formatInstant(epochMs);
}

function parseCreatedDateField(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string') reject('bad_field', 'field `created_date` is not a string or null');
  const parsed = parseCreatedDate(raw);
  if (parsed === undefined) {
    reject(
      'bad_field',
      'field `created_date` is not an ISO 8601 date-time, `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`',
    );
  }
  return parsed;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Takes `cost` from the budget of a record's extras; throws LimitError when it runs out. */
function spend(budget: { size: number }, cost: number): void {
  budget.size -= cost;
  if (budget.size < 0)
    throw new LimitError(`makes the extra fields larger than ${MAX_EXTRAS_SIZE} characters`);
}

/**
 * A deep copy of `value` if it is a JSON value (no cycles, finite numbers, plain objects), else
 * undefined. Throws LimitError past {@link MAX_EXTRA_DEPTH} levels or the size budget; the depth
 * check comes first, so the recursion never goes deeper than the limit.
 */
function toJsonValue(
  value: unknown,
  ancestors: Set<object>,
  depth: number,
  budget: { size: number },
): JsonValue | undefined {
  if (typeof value === 'string') {
    spend(budget, value.length + 2);
    return value;
  }
  if (value === null || typeof value === 'boolean') {
    spend(budget, 5);
    return value;
  }
  // -0 becomes 0: JSON writes both as 0, so the copy equals what subscribers receive.
  if (typeof value === 'number') {
    spend(budget, 24);
    return Number.isFinite(value) ? value + 0 : undefined;
  }
  if (typeof value !== 'object') return undefined;
  if (depth > MAX_EXTRA_DEPTH) throw new LimitError(`is nested deeper than ${MAX_EXTRA_DEPTH} levels`);
  spend(budget, 5);
  if (ancestors.has(value)) return undefined;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items: JsonValue[] = [];
      for (let i = 0; i < value.length; i += 1) {
        const item = toJsonValue(value[i], ancestors, depth + 1, budget);
        if (item === undefined) return undefined;
        items.push(item);
      }
      return items;
    }
    if (!isPlainObject(value)) return undefined;
    const entries: [string, JsonValue][] = [];
    for (const key of Object.keys(value)) {
      const item = value[key];
      // JSON.stringify drops undefined members too; keep the copy equal to what would be sent.
      if (item === undefined) continue;
      spend(budget, key.length + 2);
      const copy = toJsonValue(item, ancestors, depth + 1, budget);
      if (copy === undefined) return undefined;
      entries.push([key, copy]);
    }
    return Object.fromEntries(entries);
  } finally {
    ancestors.delete(value);
  }
}

/** Names an extra field in a reason: quoted, control characters removed, long names cut. */
function describeKey(key: string): string {
  const printable = key.replace(/[\p{Cc}\p{Cf}`]/gu, '');
  return `\`${printable.length > 64 ? `${printable.slice(0, 64)}…` : printable}\``;
}

/** One page of `getCustomers`, parsed: the valid customers, a rejection per invalid record, and the row count. */
export type MembersPage =
  | {
      readonly ok: true;
      readonly customers: Customer[];
      readonly rejections: Rejection[];
      readonly received: number;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses an already JSON-parsed `getCustomers` response body. `ok: false` when the body is
 * not an object or has no `members` array (the reason says which); otherwise every record
 * becomes a customer or a rejection carrying its index in `members`. Never throws.
 */
export function parseMembersPage(body: unknown): MembersPage {
  if (!isPlainObject(body)) return { ok: false, reason: 'the response body is not a JSON object' };
  let members: unknown;
  try {
    members = body.members;
  } catch {
    return { ok: false, reason: 'the response body could not be read' };
  }
  if (members === undefined) return { ok: false, reason: 'the response body has no `members` field' };
  if (!Array.isArray(members)) return { ok: false, reason: 'the response field `members` is not an array' };
  const customers: Customer[] = [];
  const rejections: Rejection[] = [];
  for (let index = 0; index < members.length; index += 1) {
    const result = parseCustomer(members[index]);
    if (result.ok) customers.push(result.customer);
    else rejections.push({ index, ...result.rejection });
  }
  return { ok: true, customers, rejections, received: members.length };
}

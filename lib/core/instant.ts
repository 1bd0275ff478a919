/**
 * Strict, lenient-in-format parsing of instants and calendar dates, shared by customer
 * parsing and the poll window. Pure: no clock is read; every `Date` is built from numbers.
 */

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?: ?(Z|z|[+-]\d{2}(?::?\d{2})?))?)?$/;

export interface ParseInstantOptions {
  /** When true, a value without `Z` or an offset is rejected instead of being read as UTC. */
  readonly requireZone?: boolean;
}

/**
 * Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fff]]` or ISO 8601 `YYYY-MM-DDTHH:MM[:SS[.fff]]`,
 * the forms with a time taking an optional zone (`Z`, `±HH`, `±HHMM`, `±HH:MM`). No zone is read
 * as UTC, a date alone as its UTC midnight. Fractions beyond milliseconds are truncated.
 *
 * @returns milliseconds since the epoch, or `undefined` when the text is not such a value
 *   or names a day or time that does not exist (2023-02-29, 24:00, minute 60). Never throws.
 */
export function parseInstant(text: string, options: ParseInstantOptions = {}): number | undefined {
  const m = INSTANT.exec(text);
  if (m === null) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  if (zone === undefined && options.requireZone === true) return undefined;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = hs === undefined ? 0 : Number(hs);
  const minute = mis === undefined ? 0 : Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  const offsetMinutes = zone === undefined ? 0 : parseOffset(zone);
  if (offsetMinutes === undefined) return undefined;
  const epochMs = date.getTime() - offsetMinutes * 60_000;
  return isRepresentable(epochMs) ? epochMs : undefined;
}

function parseOffset(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/** True when the instant's UTC year is 0000..9999, so `toISOString` gives the plain 24-character form. */
function isRepresentable(epochMs: number): boolean {
  return epochMs >= FIRST_INSTANT_MS && epochMs <= LAST_INSTANT_MS;
}

/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z. */
const FIRST_INSTANT_MS = -62_167_219_200_000;
const LAST_INSTANT_MS = 253_402_300_799_999;

/**
 * The canonical text of `text` when it is already `YYYY-MM-DDTHH:MM:SS[.fff]Z` or
 * `YYYY-MM-DD HH:MM:SS` (the two forms Gleantap sends), checked without a regex or a `Date`;
 * `undefined` for every other text, valid or not. Whenever it answers, it answers exactly
 * what `formatInstant(parseInstant(text))` would: a fast path for the common case, not a
 * second grammar.
 */
export function canonicalInstantText(text: string): string | undefined {
  const { length } = text;
  const zoned = length === 20 || length === 24;
  if (!zoned && length !== 19) return undefined;
  if (
    !digits(text, 0, 4) ||
    text.charCodeAt(4) !== DASH ||
    !digits(text, 5, 7) ||
    text.charCodeAt(7) !== DASH ||
    !digits(text, 8, 10) ||
    text.charCodeAt(10) !== (zoned ? LATIN_T : SPACE) ||
    !digits(text, 11, 13) ||
    text.charCodeAt(13) !== COLON ||
    !digits(text, 14, 16) ||
    text.charCodeAt(16) !== COLON ||
    !digits(text, 17, 19)
  )
    return undefined;
  if (zoned && text.charCodeAt(length - 1) !== LATIN_Z) return undefined;
  if (length === 24 && (text.charCodeAt(19) !== DOT || !digits(text, 20, 23))) return undefined;
  const year = number(text, 0, 4);
  const month = number(text, 5, 7);
  const day = number(text, 8, 10);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (number(text, 11, 13) > 23 || number(text, 14, 16) > 59 || number(text, 17, 19) > 59) return undefined;
  if (length === 24) return text;
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.000Z`;
}

const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;
const SPACE = 0x20;
const LATIN_T = 0x54;
const LATIN_Z = 0x5a;

function digits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function number(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 0x30;
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** The canonical text of an instant: ISO 8601 UTC with milliseconds, e.g. `2024-03-01T10:00:00.000Z`. */
export function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** The UTC calendar date of an instant, `YYYY-MM-DD`. */
export function formatUtcDate(epochMs: number): string {
  return formatInstant(epochMs).slice(0, 10);
}

/** True when `epochMs` is an instant {@link formatInstant} writes in the plain 24-character form. */
export function isFormattableInstant(epochMs: number): boolean {
  return isRepresentable(epochMs);
}

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

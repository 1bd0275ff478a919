/**
 * Text for people (e-mail subjects and bodies): cleaned of characters that break a line or
 * a mail header, and cut to a size without splitting a character.
 */

/** Longest value {@link clean} keeps by default, in code points. */
const MAX_VALUE_CHARS = 200;

/**
 * One line of display text: no control, format or separator characters, no lone surrogates,
 * runs of whitespace collapsed, cut at `max` code points (200 by default).
 */
export function clean(value: string, max = MAX_VALUE_CHARS): string {
  const single = value
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return truncateChars(single, max);
}

/** Printable ASCII only (SNS rejects anything else in a `Subject`), cut at `max` characters. */
export function asciiOnly(value: string, max: number): string {
  return truncateChars(value.replace(/[^\x20-\x7e]/g, '?'), max);
}

/** Cuts to at most `max` code points, never splitting a surrogate pair, marking the cut with `…`. */
export function truncateChars(value: string, max: number): string {
  const points = Array.from(value);
  if (points.length <= max) return value;
  const ellipsis = /^[\x20-\x7e]*$/.test(value) ? '...' : '…';
  return points.slice(0, Math.max(0, max - ellipsis.length)).join('') + ellipsis;
}

/** Cuts to at most `maxBytes` UTF-8 bytes, never splitting a character, marking the cut with `[truncated]`. */
export function truncateUtf8(value: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(value).length <= maxBytes) return value;
  const suffix = '\n[truncated]';
  let budget = maxBytes - encoder.encode(suffix).length;
  let out = '';
  for (const point of value) {
    budget -= encoder.encode(point).length;
    if (budget < 0) break;
    out += point;
  }
  return out + suffix;
}

/** UTF-8 length of a string. */
export function utf8Length(value: string): number {
  return new TextEncoder().encode(value).length;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalInstantText, formatInstant, parseInstant } from '../../lib/core/instant.ts';

/** What the general path makes of `text`: the canonical text, or undefined. */
function general(text: string): string | undefined {
  const epochMs = parseInstant(text);
  return epochMs === undefined ? undefined : formatInstant(epochMs);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Date-time texts in the fast path's three shapes, with out-of-range parts mixed in. */
const shaped = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 14 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.integer({ min: 0, max: 61 }),
    ms: fc.integer({ min: 0, max: 999 }),
    shape: fc.constantFrom('mysql', 'iso-z', 'iso-ms-z', 'iso', 'iso-ms', 'iso-offset', 'iso-ms-offset'),
    offset: fc.tuple(
      fc.constantFrom('+', '-'),
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 61 }),
    ),
  })
  .map(({ year, month, day, hour, minute, second, ms, shape, offset }) => {
    const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
    const time = `${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
    const zone = `${offset[0]}${pad(offset[1], 2)}:${pad(offset[2], 2)}`;
    switch (shape) {
      case 'mysql':
        return `${date} ${time}`;
      case 'iso-z':
        return `${date}T${time}Z`;
      case 'iso-ms-z':
        return `${date}T${time}.${pad(ms, 3)}Z`;
      case 'iso':
        return `${date}T${time}`;
      case 'iso-ms':
        return `${date}T${time}.${pad(ms, 3)}`;
      case 'iso-offset':
        return `${date}T${time}${zone}`;
      default:
        return `${date}T${time}.${pad(ms, 3)}${zone}`;
    }
  });

/** A shaped text with one character replaced: the fast path must not accept what it should not. */
const mutated = fc
  .tuple(shaped, fc.nat(), fc.constantFrom('0', '9', ' ', 'T', 'Z', 'z', '-', ':', '.', '+', 'x', '٣'))
  .map(([text, at, c]) => {
    const i = at % text.length;
    return text.slice(0, i) + c + text.slice(i + 1);
  });

describe('canonicalInstantText', () => {
  it.each([
    ['2024-03-01T10:00:00.123Z', '2024-03-01T10:00:00.123Z'],
    ['2024-03-01T10:00:00Z', '2024-03-01T10:00:00.000Z'],
    ['2024-03-01 10:00:00', '2024-03-01T10:00:00.000Z'],
    ['2024-02-29 23:59:59', '2024-02-29T23:59:59.000Z'],
    ['0000-02-29 00:00:00', '0000-02-29T00:00:00.000Z'],
    ['2024-03-01T10:00:00', '2024-03-01T10:00:00.000Z'],
    ['2024-03-01T10:00:00+02:00', '2024-03-01T08:00:00.000Z'],
    ['2024-03-01T01:00:00.250+02:30', '2024-02-29T22:30:00.250Z'],
    ['2023-12-31T23:30:00-01:00', '2024-01-01T00:30:00.000Z'],
  ])('reads %s', (text, expected) => {
    expect(canonicalInstantText(text)).toBe(expected);
  });

  it.each([
    ['a day that does not exist', '2023-02-29 00:00:00'],
    ['1900, not a leap year', '1900-02-29 00:00:00'],
    ['hour 24', '2024-03-01 24:00:00'],
    ['second 60', '2024-03-01T10:00:60Z'],
    ['the MySQL zero date', '0000-00-00 00:00:00'],
    ['an offset without a colon (the general path reads it)', '2024-03-01T10:00:00+0000'],
    ['a fraction of one digit (the general path reads it)', '2024-03-01T10:00:00.5'],
    ['an offset past year 9999', '9999-12-31T23:00:00-01:00'],
    ['an offset before year 0000', '0000-01-01T00:30:00+01:00'],
    ['a lower-case z (the general path reads it)', '2024-03-01T10:00:00z'],
    ['surrounding whitespace (the general path reads it)', ' 2024-03-01 10:00:00'],
  ])('leaves %s to the general path', (_, text) => {
    expect(canonicalInstantText(text)).toBeUndefined();
  });

  it('agrees with parseInstant + formatInstant on every text of its shapes', () => {
    fc.assert(
      fc.property(shaped, (text) => {
        expect(canonicalInstantText(text)).toBe(general(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('never answers differently from the general path, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 30 })), (text) => {
        const fast = canonicalInstantText(text);
        if (fast !== undefined) expect(fast).toBe(general(text));
      }),
      { numRuns: 3000 },
    );
  });
});

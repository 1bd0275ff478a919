/**
 * fast-check arbitraries shared by the core property tests: raw Gleantap members in every
 * spelling the parser accepts, and spelling variants of one record.
 */
import fc from 'fast-check';
import { DOCUMENTED_FIELDS, parseCustomer } from '../../lib/core/customer.ts';
import type { Customer, JsonValue } from '../../lib/core/types.ts';

const DOCUMENTED = new Set<string>(DOCUMENTED_FIELDS);

export const rawId = fc.oneof(
  fc.nat({ max: 10_000_000 }),
  fc.nat({ max: 10_000_000 }).map(String),
  fc.string({ minLength: 1, maxLength: 24 }),
);

export const rawOptout = fc.constantFrom<JsonValue | undefined>(0, 1, '0', '1', true, false, null, undefined);

/** An instant from year 1900 to 2100, in whole milliseconds. */
const instantMs = fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) });

/** Equivalent spellings of one instant (or date) the parser must read as the same value. */
export function createdDateSpellings(ms: number): string[] {
  const iso = new Date(ms).toISOString();
  const naive = iso.slice(0, 19).replace('T', ' ');
  const plus2 = new Date(ms + 2 * 3_600_000).toISOString().slice(0, 23);
  const spellings = [iso, iso.replace('Z', '+00:00'), `${plus2}+02:00`, `${plus2}+0200`];
  if (ms % 1000 === 0) spellings.push(naive, `${iso.slice(0, 19)}Z`, iso.slice(0, 19));
  if (ms % 86_400_000 === 0) spellings.push(iso.slice(0, 10));
  return spellings;
}

export const rawCreatedDate = fc.oneof(
  fc.constantFrom<JsonValue | undefined>(null, undefined, ''),
  instantMs.chain((ms) => fc.constantFrom(...createdDateSpellings(ms))),
);

const text = fc.option(fc.string({ maxLength: 30 }), { nil: null });
const rawText = fc.oneof(text, fc.constant(undefined));

export const extraKey = fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !DOCUMENTED.has(key));

/** A raw member record the parser accepts. Absent fields are `undefined` (dropped by JSON). */
export const rawMember = fc
  .record({
    id: rawId,
    firstname: rawText,
    lastname: rawText,
    email: rawText,
    phone: fc.oneof(
      rawText,
      fc.nat().map((n): JsonValue => n),
    ),
    last_location: rawText,
    email_optout: rawOptout,
    sms_optout: rawOptout,
    created_date: rawCreatedDate,
    extras: fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  })
  .map(({ extras, ...documented }) => {
    const defined = Object.entries(documented).filter(([, value]) => value !== undefined);
    return Object.fromEntries([...Object.entries(extras), ...defined]);
  });

function parsed(raw: Record<string, unknown>): Customer {
  const result = parseCustomer(raw);
  if (!result.ok) throw new Error(`arbitrary produced a rejected record: ${result.rejection.reason}`);
  return result.customer;
}

/** A parsed customer. */
export const customer = rawMember.map(parsed);

/** `value` with its object keys (at every depth) reordered by `weights`. */
function shuffledKeys(value: unknown, weights: readonly number[]): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffledKeys(item, weights));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).map(([key, item], i) => ({
    key,
    item: shuffledKeys(item, weights),
    weight: weights.length === 0 ? -i : (weights[i % weights.length] ?? 0),
  }));
  entries.sort((a, b) => a.weight - b.weight);
  return Object.fromEntries(entries.map(({ key, item }) => [key, item]));
}

const OPTOUT_SPELLINGS: Record<0 | 1, JsonValue[]> = { 0: [0, '0', false], 1: [1, '1', true] };

/**
 * Another raw spelling of a parsed customer: numeric ids as numbers, opt-outs as "1"/true,
 * created_date with an offset or naive, keys in another order. Parses to the same content.
 */
export function respelled(c: Customer): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      idAsNumber: fc.boolean(),
      email: fc.constantFrom(...OPTOUT_SPELLINGS[c.email_optout]),
      sms: fc.constantFrom(...OPTOUT_SPELLINGS[c.sms_optout]),
      zeroAsNull: fc.boolean(),
      created:
        c.created_date === null
          ? fc.constantFrom<JsonValue | undefined>(null, undefined, '', '0000-00-00 00:00:00')
          : fc.constantFrom(...createdDateSpellings(Date.parse(c.created_date))),
      order: fc.array(fc.nat({ max: 20 }), { maxLength: 8 }),
    })
    .map(({ idAsNumber, email, sms, zeroAsNull, created, order }) => {
      const numericId = /^(0|[1-9]\d{0,14})$/.test(c.id) ? Number(c.id) : undefined;
      const raw: Record<string, unknown> = {
        ...c,
        id: idAsNumber && numericId !== undefined ? numericId : c.id,
        email_optout: zeroAsNull && c.email_optout === 0 ? null : email,
        sms_optout: sms,
        created_date: created,
      };
      const defined = Object.entries(raw).filter(([, value]) => value !== undefined);
      const shuffled = shuffledKeys(Object.fromEntries(defined), order);
      return typeof shuffled === 'object' && shuffled !== null
        ? Object.fromEntries(Object.entries(shuffled))
        : {};
    });
}

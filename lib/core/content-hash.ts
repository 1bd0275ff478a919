/**
 * The content hash of a customer's watched fields: what a snapshot remembers and what the
 * diff compares first. Deterministic across key order and across the type variants the
 * parser normalises ("1" vs 1 vs true), so only a real change of content changes the hash.
 */
import { createHash, hash as cryptoHash } from 'node:crypto';
import { DOCUMENTED_FIELDS } from './customer.ts';
import type { Customer, JsonValue } from './types.ts';

/**
 * Every documented member field except `id` (the id is the key, not content).
 *
 * Extra fields are not watched by default: with `fulldata`, or as Gleantap adds
 * server-maintained fields (update timestamps, visit counters), they change on every
 * visit and would flood subscribers with `customer.updated` events nobody asked for.
 * A deployment that wants one can add it with {@link resolveWatchedFields}.
 */
export const DEFAULT_WATCHED_FIELDS: readonly string[] = Object.freeze(
  DOCUMENTED_FIELDS.filter((field) => field !== 'id'),
);

/**
 * The watched set: {@link DEFAULT_WATCHED_FIELDS} plus `extra`, deduplicated and sorted.
 * @throws Error when an extra name is empty or is `id`.
 */
export function resolveWatchedFields(extra: readonly string[] = []): readonly string[] {
  for (const name of extra) {
    if (name === '') throw new Error('A watched field name must not be empty.');
    if (name === 'id') throw new Error('`id` cannot be watched: it identifies the customer.');
  }
  return Object.freeze([...new Set([...DEFAULT_WATCHED_FIELDS, ...extra])].sort());
}

/**
 * The canonical values of the watched fields of `customer`: one key per watched field,
 * `null` where the customer has none, objects with their keys sorted (recursively).
 */
export function watchedValues(customer: Customer, watched: readonly string[]): Record<string, JsonValue> {
  const values: Record<string, JsonValue> = {};
  for (const field of sortedFields(watched)) {
    const value = canonicalValue(Object.hasOwn(customer, field) ? customer[field] : null);
    // A watched extra field may be called `__proto__`: define it, never assign it.
    if (field === '__proto__')
      Object.defineProperty(values, field, { value, enumerable: true, writable: true, configurable: true });
    else values[field] = value;
  }
  return values;
}

/** The watched list deduplicated and sorted, computed once per list (polls reuse one list). */
const sortedCache = new WeakMap<readonly string[], readonly string[]>();
function sortedFields(watched: readonly string[]): readonly string[] {
  let sorted = sortedCache.get(watched);
  if (sorted === undefined) {
    sorted = [...new Set(watched)].sort();
    sortedCache.set(watched, sorted);
  }
  return sorted;
}

/**
 * A JSON value in canonical form: object keys sorted by UTF-16 code unit, `-0` as `0`,
 * `undefined` (absent) as `null`. Arrays keep their order: order is content there.
 */
export function canonicalValue(value: JsonValue | undefined): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => canonicalValue(item));
  const keys = Object.keys(value).sort();
  return Object.fromEntries(keys.map((key) => [key, canonicalValue(value[key])]));
}

/** JSON text of the canonical form of `value`; equal texts mean equal content. */
export function canonicalJson(value: JsonValue | undefined): string {
  return JSON.stringify(canonicalValue(value));
}

/**
 * sha256 (lowercase hex, 64 characters) over the canonical JSON of `values`. The input is a
 * prefix-tagged text so a future change of the canonical form can change the tag.
 */
export function contentHash(values: Readonly<Record<string, JsonValue>>): string {
  return canonicalContentHash(canonicalValue(values));
}

/**
 * {@link contentHash} of values already in canonical form (as {@link watchedValues} returns
 * them): the same hash without walking and rebuilding the values a second time.
 */
export function canonicalContentHash(canonical: JsonValue): string {
  return sha256Hex(`gleantap-notifier:content:v1\n${JSON.stringify(canonical)}`);
}

// crypto.hash (Node 20.12+) hashes in one call, without a Hash object per customer.
const sha256Hex: (text: string) => string =
  typeof cryptoHash === 'function'
    ? (text) => cryptoHash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text).digest('hex');

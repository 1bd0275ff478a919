/**
 * The content hash of a customer's watched fields: what a snapshot remembers and what the
 * diff compares first. Deterministic across key order and across the type variants the
 * parser normalises ("1" vs 1 vs true), so only a real change of content changes the hash.
 */
import { createHash } from 'node:crypto';
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
  const entries: [string, JsonValue][] = [...new Set(watched)]
    .sort()
    .map((field) => [field, canonicalValue(Object.hasOwn(customer, field) ? customer[field] : null)]);
  return Object.fromEntries(entries);
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
  return createHash('sha256')
    .update(`gleantap-notifier:content:v1\n${canonicalJson(values)}`)
    .digest('hex');
}

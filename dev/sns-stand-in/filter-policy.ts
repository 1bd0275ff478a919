import type { RecordedAttribute } from './message.ts';

/** A filter policy as JSON text or as the parsed object (the shape SNS stores as `FilterPolicy`). */
export type FilterPolicyInput = string | Readonly<Record<string, readonly unknown[]>>;

type Scalar = string | number | boolean | null;
type NumericOp = '=' | '<' | '<=' | '>' | '>=';

type Condition =
  | { readonly kind: 'equals'; readonly value: Scalar }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'suffix'; readonly value: string }
  | { readonly kind: 'anything-but'; readonly values: readonly Scalar[] }
  | { readonly kind: 'anything-but-prefix'; readonly value: string }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'numeric'; readonly ops: readonly (readonly [NumericOp, number])[] };

/** A compiled policy: AND across keys, OR within each key's conditions. */
export type FilterPolicy = ReadonlyMap<string, readonly Condition[]>;

/** Why a filter policy was rejected; the caller turns it into `Invalid parameter: FilterPolicy: …`. */
export class FilterPolicyError extends Error {
  override readonly name = 'FilterPolicyError';
}

// SNS limits: five keys per policy, 150 combinations (product of the value-list lengths).
const MAX_KEYS = 5;
const MAX_COMBINATIONS = 150;
const NUMERIC_OPS: ReadonlySet<unknown> = new Set<NumericOp>(['=', '<', '<=', '>', '>=']);
const isNumericOp = (value: unknown): value is NumericOp => NUMERIC_OPS.has(value);

const isScalar = (value: unknown): value is Scalar =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const compileNumeric = (key: string, spec: unknown): Condition => {
  if (!Array.isArray(spec) || spec.length === 0 || spec.length % 2 !== 0 || spec.length > 4) {
    throw new FilterPolicyError(`Attribute ${key}: numeric must be a list of operator and value pairs`);
  }
  const ops: (readonly [NumericOp, number])[] = [];
  for (let i = 0; i < spec.length; i += 2) {
    const op: unknown = spec[i];
    const operand: unknown = spec[i + 1];
    if (!isNumericOp(op) || typeof operand !== 'number') {
      throw new FilterPolicyError(`Attribute ${key}: Unrecognized numeric range operator or value`);
    }
    ops.push([op, operand]);
  }
  return { kind: 'numeric', ops };
};

const compileOperator = (key: string, spec: Record<string, unknown>): Condition => {
  const entries = Object.entries(spec);
  const [entry] = entries;
  if (entry === undefined || entries.length !== 1) {
    throw new FilterPolicyError(`Attribute ${key}: an operator object must have exactly one operator`);
  }
  const [operator, operand] = entry;
  switch (operator) {
    case 'prefix':
    case 'suffix':
      if (typeof operand !== 'string')
        throw new FilterPolicyError(`Attribute ${key}: ${operator} must be a string`);
      return { kind: operator, value: operand };
    case 'exists':
      if (typeof operand !== 'boolean')
        throw new FilterPolicyError(`Attribute ${key}: exists must be true or false`);
      return { kind: 'exists', value: operand };
    case 'numeric':
      return compileNumeric(key, operand);
    case 'anything-but':
      if (isScalar(operand)) return { kind: 'anything-but', values: [operand] };
      if (Array.isArray(operand) && operand.length > 0 && operand.every(isScalar)) {
        return { kind: 'anything-but', values: operand };
      }
      if (isRecord(operand) && typeof operand.prefix === 'string' && Object.keys(operand).length === 1) {
        return { kind: 'anything-but-prefix', value: operand.prefix };
      }
      throw new FilterPolicyError(
        `Attribute ${key}: anything-but must be a value, a list of values or {prefix}`,
      );
    default:
      throw new FilterPolicyError(
        `Attribute ${key}: operator ${operator} is not supported by the SNS stand-in (supported: exact values, prefix, suffix, anything-but, exists, numeric)`,
      );
  }
};

/**
 * Compiles an SNS attribute filter policy (scope `MessageAttributes`).
 * @throws FilterPolicyError when the JSON is malformed, a key's value is not a non-empty
 * list, an operator is unknown, or SNS's limits (5 keys, 150 combinations) are exceeded.
 */
export const compileFilterPolicy = (input: FilterPolicyInput): FilterPolicy => {
  let parsed: unknown = input;
  if (typeof input === 'string') {
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new FilterPolicyError('failed to parse JSON');
    }
  }
  if (!isRecord(parsed)) throw new FilterPolicyError('Filter policy must be a JSON object');
  const keys = Object.keys(parsed);
  if (keys.length > MAX_KEYS)
    throw new FilterPolicyError(`Filter policy can not have more than ${MAX_KEYS} keys`);
  const policy = new Map<string, Condition[]>();
  let combinations = 1;
  for (const key of keys) {
    if (key.startsWith('$')) throw new FilterPolicyError(`${key} is not supported by the SNS stand-in`);
    const values = parsed[key];
    if (!Array.isArray(values) || values.length === 0) {
      throw new FilterPolicyError(`Attribute ${key}: match values must be a non-empty list`);
    }
    combinations *= values.length;
    policy.set(
      key,
      values.map((value: unknown): Condition => {
        if (isScalar(value)) return { kind: 'equals', value };
        if (isRecord(value)) return compileOperator(key, value);
        throw new FilterPolicyError(
          `Attribute ${key}: Match value must be String, number, true, false, or null`,
        );
      }),
    );
  }
  if (combinations > MAX_COMBINATIONS) {
    throw new FilterPolicyError(
      `Filter policy is too complex (${combinations} combinations, limit ${MAX_COMBINATIONS})`,
    );
  }
  return policy;
};

/** The values a policy compares against: each element of a String.Array, a Number as a number, nothing for Binary. */
const valuesOf = (attribute: RecordedAttribute): readonly Scalar[] => {
  const text = attribute.StringValue;
  if (text === undefined) return [];
  if (attribute.DataType === 'String.Array') {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter(isScalar) : [];
  }
  if (attribute.DataType.startsWith('Number')) return [Number(text)];
  return [text];
};

const NUMERIC_TESTS: Record<NumericOp, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

const valueMatches = (condition: Condition, value: Scalar): boolean => {
  switch (condition.kind) {
    case 'equals':
      return value === condition.value;
    case 'prefix':
      return typeof value === 'string' && value.startsWith(condition.value);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(condition.value);
    case 'anything-but':
      return !condition.values.includes(value);
    case 'anything-but-prefix':
      return typeof value === 'string' && !value.startsWith(condition.value);
    case 'numeric':
      return (
        typeof value === 'number' && condition.ops.every(([op, operand]) => NUMERIC_TESTS[op](value, operand))
      );
    case 'exists':
      return condition.value;
  }
};

const conditionMatches = (condition: Condition, attribute: RecordedAttribute | undefined): boolean => {
  if (condition.kind === 'exists') return (attribute !== undefined) === condition.value;
  if (attribute === undefined) return false;
  // SNS treats each element of a String.Array as its own value: the condition holds if any element matches.
  return valuesOf(attribute).some((value) => valueMatches(condition, value));
};

/**
 * Whether a message with these attributes passes the policy: every key of the policy
 * must match (AND), by at least one of its conditions (OR). A key whose attribute is
 * missing matches only `{"exists": false}`.
 */
export const matchesFilterPolicy = (
  policy: FilterPolicy,
  attributes: Readonly<Record<string, RecordedAttribute>>,
): boolean => {
  for (const [key, conditions] of policy) {
    const attribute = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
    if (!conditions.some((condition) => conditionMatches(condition, attribute))) return false;
  }
  return true;
};

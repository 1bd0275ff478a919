/**
 * Validates a decoded CloudEvent against the JSON Schema of its type (the same schemas the
 * package ships under `schemas/`), compiled once per process with Ajv.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { EVENT_SCHEMAS } from '../core/event-schemas.ts';
import type { EventType } from '../core/types.ts';

let compiled: ReadonlyMap<string, ValidateFunction> | undefined;

const validators = (): ReadonlyMap<string, ValidateFunction> => {
  if (compiled === undefined) {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats.default(ajv);
    compiled = new Map(
      Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)] as const),
    );
  }
  return compiled;
};

/** The event types this version of the package knows a schema for. */
export const knownEventTypes = (): readonly EventType[] =>
  Object.keys(EVENT_SCHEMAS).filter((type): type is EventType => type in EVENT_SCHEMAS);

/** Why a decoded event does not match its schema. */
export type SchemaVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'unknown_type' | 'schema'; readonly message: string };

/**
 * Checks `value` against the schema its `type` names. Never throws. The message lists at
 * most five schema errors by JSON pointer (never the offending values: they may be PII).
 */
export const checkEventSchema = (value: unknown): SchemaVerdict => {
  const type = typeof value === 'object' && value !== null && 'type' in value ? value.type : undefined;
  const validate = typeof type === 'string' ? validators().get(type) : undefined;
  if (validate === undefined) {
    return {
      ok: false,
      code: 'unknown_type',
      message: `event type ${JSON.stringify(type)} is not one of ${knownEventTypes().join(', ')}`,
    };
  }
  if (validate(value)) return { ok: true };
  const problems = (validate.errors ?? [])
    .slice(0, 5)
    .map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
  return {
    ok: false,
    code: 'schema',
    message: `${String(type)} does not match its schema: ${problems.join('; ')}`,
  };
};

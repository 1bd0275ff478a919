/**
 * The event contract as a subscriber checks it: every event a test publishes is a valid
 * CloudEvent for the `cloudevents` SDK in strict mode, and valid against our JSON Schema for
 * its type (`schemas/<type>.v1.json`, Ajv 2020 strict). The harnesses run every message the
 * SNS stand-in accepted through {@link contractProblems} when they close.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { CloudEvent, ValidationError } from 'cloudevents';

const SCHEMA_DIR = new URL('../../schemas/', import.meta.url);

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);

/** One compiled validator per schema file, keyed by the event type the file is named after. */
const validators = new Map<string, ValidateFunction>(
  readdirSync(SCHEMA_DIR)
    .filter((name) => name.endsWith('.v1.json'))
    .map((name): [string, ValidateFunction] => {
      const schema: unknown = JSON.parse(readFileSync(new URL(name, SCHEMA_DIR), 'utf8'));
      if (typeof schema !== 'object' || schema === null) throw new Error(`${name} is not a JSON object`);
      return [name.slice(0, -'.v1.json'.length), ajv.compile(schema)];
    }),
);

/** The validator of our schema for `type`, or undefined when there is no schema file for it. */
export function schemaValidator(type: string): ValidateFunction | undefined {
  return validators.get(type);
}

/**
 * What is wrong with `event` as a published event of this project: empty when it is a valid
 * CloudEvent (SDK, strict) and valid against the schema of its type.
 */
export function contractProblems(event: unknown): string[] {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return ['not a JSON object'];
  const problems: string[] = [];
  try {
    // strict: the SDK validates the attributes against the CloudEvents 1.0 spec.
    new CloudEvent({ ...event }, true);
  } catch (error) {
    const details = error instanceof ValidationError ? JSON.stringify(error.errors) : String(error);
    problems.push(`cloudevents SDK: ${details}`);
  }
  const type = Reflect.get(event, 'type');
  const validate = typeof type === 'string' ? validators.get(type) : undefined;
  if (validate === undefined) problems.push(`no schema for type ${JSON.stringify(type)}`);
  else if (!validate(event))
    problems.push(...(validate.errors ?? []).map((e) => `schema: ${e.instancePath} ${e.message ?? ''}`));
  return problems;
}

/** The CloudEvent an SNS message carries: the body, or its `default` for MessageStructure=json. */
export function cloudEventText(message: string, structure?: string): string {
  if (structure !== 'json') return message;
  const body: unknown = JSON.parse(message);
  if (typeof body !== 'object' || body === null)
    throw new Error('MessageStructure=json body is not an object');
  const text = Reflect.get(body, 'default');
  if (typeof text !== 'string') throw new Error('MessageStructure=json message without a default');
  return text;
}

/**
 * Checks every message an SNS stand-in accepted; throws one error listing the first few
 * broken events (so a harness fails the test file that published them).
 */
export function assertPublishedContract(
  messages: readonly { readonly message: string; readonly messageStructure?: string | undefined }[],
): void {
  const broken: string[] = [];
  for (const m of messages) {
    let problems: string[];
    try {
      problems = contractProblems(JSON.parse(cloudEventText(m.message, m.messageStructure)));
    } catch (error) {
      problems = [`not JSON: ${String(error)}`];
    }
    if (problems.length > 0) broken.push(problems.join('; '));
  }
  if (broken.length > 0)
    throw new Error(
      `${broken.length} of ${messages.length} published event(s) break the contract: ${broken.slice(0, 3).join(' | ')}`,
    );
}

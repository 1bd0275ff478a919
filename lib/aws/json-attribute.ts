/**
 * Reads an attribute of a state-table item that holds JSON (a checkpoint, the intent, a page's
 * ids, a reconciliation record) and checks it against its schema, so that a damaged item
 * fails with a sentence naming the item and the attribute rather than as a wrong value later.
 * Shared by the state store and the reconciliation store.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type * as z from 'zod/mini';
import { TABLE_KEY_SCHEMA } from './table-schema.ts';

const PK = TABLE_KEY_SCHEMA.partitionKey.name;
const SK = TABLE_KEY_SCHEMA.sortKey.name;

/**
 * The JSON in the string attribute `name` of `item`, checked against `schema`. `kind` names
 * the item in the message (`State`, `Reconcile`), `pk/sk` locate it.
 * @throws Error when the attribute is absent, not JSON, or not what the schema describes.
 */
export function parseJsonAttribute<T>(
  item: Record<string, AttributeValue>,
  name: string,
  schema: z.ZodMiniType<T>,
  kind: string,
): T {
  const raw = item[name]?.S;
  const where = `${item[PK]?.S ?? '?'}/${item[SK]?.S ?? '?'}`;
  if (raw === undefined) throw new Error(`${kind} item ${where} has no '${name}' attribute.`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`${kind} item ${where} has a '${name}' attribute that is not JSON.`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new Error(`${kind} item ${where} has a malformed '${name}': ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

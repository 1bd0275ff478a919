/**
 * A damaged JSON attribute in the state table fails the read with a sentence naming the item
 * and the attribute, in the state store and the reconciliation store alike (both read through
 * lib/aws/json-attribute.ts). Against dynalite: the items are written as DynamoDB stores them.
 */
import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { createStateTable } from '../../lib/aws/create-table.ts';
import { DynamoReconcileStore } from '../../lib/aws/dynamo-reconcile-store.ts';
import { DynamoStateStore } from '../../lib/aws/dynamo-state-store.ts';
import { parseJsonAttribute } from '../../lib/aws/json-attribute.ts';
import { type LocalDynamo, startLocalDynamo } from '../subscriber/local-dynamodb.ts';

const TABLE = 'json-attribute-test';

describe('parseJsonAttribute', () => {
  const item = (value?: string): Record<string, AttributeValue> => ({
    pk: { S: 'A#a1' },
    sk: { S: 'STATE' },
    ...(value === undefined ? {} : { x: { S: value } }),
  });
  const schema = z.object({ n: z.number() });

  it('returns the parsed, checked value', () => {
    expect(parseJsonAttribute(item('{"n":3}'), 'x', schema, 'State')).toEqual({ n: 3 });
  });

  it.each([
    [undefined, "State item A#a1/STATE has no 'x' attribute."],
    ['{"n":', "State item A#a1/STATE has a 'x' attribute that is not JSON."],
    ['{"n":"3"}', /^State item A#a1\/STATE has a malformed 'x': ./],
  ])('refuses %j, naming the item and the attribute', (value, message) => {
    expect(() => parseJsonAttribute(item(value), 'x', schema, 'State')).toThrow(message);
  });
});

describe('damaged items in the stores, against dynalite', () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  const put = (attributes: Record<string, AttributeValue>) =>
    client.send(new PutItemCommand({ TableName: TABLE, Item: attributes }));

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    client = dynamo.client();
    await createStateTable(client, TABLE);
  });
  afterAll(async () => {
    await dynamo?.close();
  });

  it('the state store names the poll state item and its checkpoint', async () => {
    await put({ pk: { S: 'A#a1' }, sk: { S: 'STATE' }, checkpoint: { S: 'not json' } });
    const store = new DynamoStateStore({ client, tableName: TABLE });
    await expect(store.getPollState('a1')).rejects.toThrow(
      "State item A#a1/STATE has a 'checkpoint' attribute that is not JSON.",
    );
  });

  it('the reconciliation store names the page item and its ids, and its record', async () => {
    const store = new DynamoReconcileStore({ client, tableName: TABLE });
    await put({ pk: { S: 'R#a1#run-1' }, sk: { S: 'P#000000000000' }, o: { N: '0' }, n: { N: '2' } });
    await expect(store.readPages('a1', 'run-1')).rejects.toThrow(
      "Reconcile item R#a1#run-1/P#000000000000 has no 'i' attribute.",
    );
    await put({ pk: { S: 'R#a1#run-2' }, sk: { S: 'M#000000000000' }, i: { S: '["c1", 2]' } });
    await expect(store.readSuspects('a1', 'run-2')).rejects.toThrow(
      /^Reconcile item R#a1#run-2\/M#000000000000 has a malformed 'i': ./,
    );
    await put({ pk: { S: 'A#a1' }, sk: { S: 'RECONCILE' }, rLast: { S: '{"runId":' } });
    await expect(store.getState('a1')).rejects.toThrow(
      "Reconcile item A#a1/RECONCILE has a 'rLast' attribute that is not JSON.",
    );
  });
});

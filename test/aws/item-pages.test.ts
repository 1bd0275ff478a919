/**
 * eachPage against dynalite: a Query and a Scan forced into small pages (Limit) yield every
 * item once, in order, and stop after the page without a LastEvaluatedKey.
 */
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateTable } from '../../lib/aws/create-table.ts';
import { eachPage, queryPrefix } from '../../lib/aws/item-pages.ts';
import { type LocalDynamo, startLocalDynamo } from '../subscriber/local-dynamodb.ts';

const TABLE = 'item-pages-test';
const SORT_KEYS = Array.from({ length: 7 }, (_, i) => `P#${String(i).padStart(3, '0')}`);

describe('eachPage against dynalite', () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    client = dynamo.client();
    await createStateTable(client, TABLE);
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: SORT_KEYS.map((sk) => ({
            PutRequest: { Item: { pk: { S: 'R#a1#run' }, sk: { S: sk } } },
          })),
        },
      }),
    );
  });
  afterAll(async () => {
    await dynamo?.close();
  });

  const query = (limit: number): Omit<QueryCommandInput, 'ExclusiveStartKey'> => ({
    TableName: TABLE,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': { S: 'R#a1#run' } },
    Limit: limit,
  });

  it.each([1, 3, 7, 100])('a Query in pages of %i yields every item once, in order', async (limit) => {
    const starts: (string | undefined)[] = [];
    const pages: string[][] = [];
    for await (const items of eachPage((startKey) => {
      starts.push(startKey?.sk?.S);
      return client.send(new QueryCommand({ ...query(limit), ExclusiveStartKey: startKey }));
    }))
      pages.push(items.map((item) => item.sk?.S ?? '?'));
    expect(pages.flat()).toEqual(SORT_KEYS);
    expect(pages.every((page) => page.length <= limit)).toBe(true);
    // The first read starts at the beginning; each next one where the previous page ended.
    expect(starts[0]).toBeUndefined();
    expect(starts.slice(1)).toEqual(pages.slice(0, -1).map((page) => page.at(-1)));
  });

  it('a Scan in pages yields every item of the table', async () => {
    const seen: string[] = [];
    for await (const items of eachPage((startKey) =>
      client.send(new ScanCommand({ TableName: TABLE, Limit: 2, ExclusiveStartKey: startKey })),
    ))
      seen.push(...items.map((item) => item.sk?.S ?? '?'));
    expect(seen.filter((sk) => sk.startsWith('P#')).sort()).toEqual(SORT_KEYS);
  });

  it.each([false, true])(
    'queryPrefix reads only the sort keys with the prefix (consistent: %s)',
    async (consistent) => {
      await client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [TABLE]: ['M#000', 'M#001', 'Q#000'].map((sk) => ({
              PutRequest: { Item: { pk: { S: 'R#a1#other' }, sk: { S: sk } } },
            })),
          },
        }),
      );
      const read = async (partition: string, prefix: string) => {
        const keys: string[] = [];
        for await (const items of queryPrefix(client, {
          tableName: TABLE,
          partition,
          prefix,
          consistentRead: consistent,
        }))
          keys.push(...items.map((item) => `${item.pk?.S}/${item.sk?.S}`));
        return keys;
      };
      expect(await read('R#a1#other', 'M#')).toEqual(['R#a1#other/M#000', 'R#a1#other/M#001']);
      expect(await read('R#a1#run', 'P#00')).toEqual(SORT_KEYS.map((sk) => `R#a1#run/${sk}`));
      expect(await read('R#a1#run', 'M#')).toEqual([]);
    },
  );

  it('passes on what the read throws', async () => {
    const pages = eachPage(() => Promise.reject(new Error('throttled')));
    await expect(pages.next()).rejects.toThrow('throttled');
  });
});

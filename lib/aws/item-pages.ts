/**
 * The pages of a DynamoDB Query or Scan: a read returns at most 1 MB and, where there is more,
 * a LastEvaluatedKey to continue from. Every paged read of the state table goes through
 * eachPage, so none can stop at the first megabyte.
 */
import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_KEY_SCHEMA } from './table-schema.ts';

type Item = Record<string, AttributeValue>;

/** What a Query or Scan answers that paging needs. */
export interface ItemPage {
  readonly Items?: Item[] | undefined;
  readonly LastEvaluatedKey?: Item | undefined;
}

/**
 * Yields the items of each page: calls `read(undefined)`, then `read(key)` with each page's
 * LastEvaluatedKey (pass it as ExclusiveStartKey) until a page has none.
 * @throws whatever `read` throws.
 */
export async function* eachPage(
  read: (exclusiveStartKey: Item | undefined) => Promise<ItemPage>,
): AsyncGenerator<Item[], void, undefined> {
  let startKey: Item | undefined;
  do {
    const page = await read(startKey);
    yield page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Which items of the state table {@link queryPrefix} reads. */
export interface PrefixQuery {
  readonly tableName: string;
  /** The partition key. */
  readonly partition: string;
  /** What the sort keys start with. */
  readonly prefix: string;
  /** A strongly consistent read. @default false */
  readonly consistentRead?: boolean;
}

/** Yields, page by page, the items of one partition whose sort key starts with a prefix. */
export function queryPrefix(
  client: DynamoDBClient,
  query: PrefixQuery,
): AsyncGenerator<Item[], void, undefined> {
  return eachPage((startKey) =>
    client.send(
      new QueryCommand({
        TableName: query.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: {
          '#pk': TABLE_KEY_SCHEMA.partitionKey.name,
          '#sk': TABLE_KEY_SCHEMA.sortKey.name,
        },
        ExpressionAttributeValues: { ':pk': { S: query.partition }, ':prefix': { S: query.prefix } },
        ...(query.consistentRead ? { ConsistentRead: true } : {}),
        ExclusiveStartKey: startKey,
      }),
    ),
  );
}

/**
 * The pages of a DynamoDB Query or Scan: a read returns at most 1 MB and, where there is more,
 * a LastEvaluatedKey to continue from. Every paged read of the state table goes through
 * eachPage, so none can stop at the first megabyte.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

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

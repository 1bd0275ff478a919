/**
 * The apply-once state in a DynamoDB table of the subscriber's own, written only with
 * conditional writes so that any number of concurrent consumers agree.
 *
 * Storage layout (one item per customer; the table has a string partition key `pk` only,
 * see {@link SUBSCRIBER_TABLE_KEY}):
 * - `pk`   `["<source>","<subject>"]` (JSON, so no separator can collide)
 * - `seq`  S   the last applied sequence, 12-digit zero-padded (string order = change order)
 * - `ids`  SS  the event ids applied at `seq` (the siblings of one change)
 * - `cid`  S   the token of the claim (one per attempt), while a handler runs
 * - `cexp` N   when that claim expires, epoch ms
 *
 * Powertools Idempotency was weighed and not used: it dedupes by one key with a lock per
 * key, but cannot express "drop if the sequence is below the customer's last", which needs
 * the per-customer item anyway; with it each event would cost two more writes.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  ResourceInUseException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type ApplyOnceStore,
  ClaimLostError,
  type ClaimVerdict,
  type EventKey,
  judge,
} from './apply-once.ts';

/** The key schema of the subscriber state table (the construct and `create-table` use it). */
export const SUBSCRIBER_TABLE_KEY = { partitionKey: { name: 'pk', type: 'S' } } as const;

/** Options of {@link createDynamoApplyOnceStore}. */
export interface DynamoApplyOnceStoreOptions {
  /** The client; inject one configured for your endpoint and retries. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /**
   * How long a claim holds while a handler runs, in ms. Make it longer than your handler
   * can take (a Lambda's timeout): a claim that expires lets another consumer apply too.
   * @default 300_000
   */
  readonly claimTtlMs?: number;
  /** The clock, in epoch ms. @default Date.now */
  readonly now?: () => number;
}

const pkOf = (key: EventKey): AttributeValue => ({ S: JSON.stringify([key.source, key.subject]) });

const appliedOf = (
  item: Record<string, AttributeValue> | undefined,
): { sequence: string; ids: ReadonlySet<string> } | undefined => {
  const sequence = item?.seq?.S;
  if (sequence === undefined) return undefined;
  return { sequence, ids: new Set(item?.ids?.SS ?? []) };
};

/** Creates a store over an existing table with {@link SUBSCRIBER_TABLE_KEY}. */
export const createDynamoApplyOnceStore = (options: DynamoApplyOnceStoreOptions): ApplyOnceStore => {
  const { client, tableName } = options;
  const ttl = options.claimTtlMs ?? 300_000;
  const now = options.now ?? Date.now;

  return {
    claim: async (key): Promise<ClaimVerdict> => {
      const at = now();
      const token = randomUUID();
      try {
        const result = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: pkOf(key) },
            UpdateExpression: 'SET cid = :token, cexp = :until',
            // Applicable under the rule, and no other live claim on this customer.
            ConditionExpression:
              '(attribute_not_exists(seq) OR seq < :seq OR (seq = :seq AND NOT contains(ids, :id))) ' +
              'AND (attribute_not_exists(cid) OR cexp < :now)',
            ExpressionAttributeValues: {
              ':id': { S: key.id },
              ':token': { S: token },
              ':seq': { S: key.sequence },
              ':now': { N: String(at) },
              ':until': { N: String(at + ttl) },
            },
            ReturnValues: 'ALL_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return {
          kind: 'claimed',
          claim: { token, previousSequence: appliedOf(result.Attributes)?.sequence },
        };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // DynamoDB returns the item with the failure; a server without that option gets read.
        const item =
          error.Item ??
          (
            await client.send(
              new GetItemCommand({ TableName: tableName, Key: { pk: pkOf(key) }, ConsistentRead: true }),
            )
          ).Item;
        const applied = appliedOf(item);
        const verdict = judge(applied, key);
        if (verdict === 'duplicate') return { kind: 'duplicate' };
        if (verdict === 'stale') return { kind: 'stale', appliedSequence: applied?.sequence ?? '' };
        return { kind: 'busy' };
      }
    },

    commit: async (key, claim) => {
      // The claim guarantees `seq` is still what `claim` saw: nobody else could write it.
      const sameChange = claim.previousSequence === key.sequence;
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: pkOf(key) },
            UpdateExpression: sameChange
              ? 'ADD ids :ids REMOVE cid, cexp'
              : 'SET seq = :seq, ids = :ids REMOVE cid, cexp',
            ConditionExpression: 'cid = :token',
            ExpressionAttributeValues: {
              ':token': { S: claim.token },
              ':ids': { SS: [key.id] },
              ...(sameChange ? {} : { ':seq': { S: key.sequence } }),
            },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new ClaimLostError(
            `the claim on ${key.source} ${key.subject} expired before the handler finished and was taken over`,
          );
        }
        throw error;
      }
    },

    release: async (key, claim) => {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: pkOf(key) },
            UpdateExpression: 'REMOVE cid, cexp',
            ConditionExpression: 'cid = :token',
            ExpressionAttributeValues: { ':token': { S: claim.token } },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
};

/**
 * Creates the apply-once table (on-demand, key {@link SUBSCRIBER_TABLE_KEY}) if it does not
 * exist; for local runs and tests (a deployed subscriber gets it from the construct).
 * @throws Error when a table of that name exists with another key schema
 */
export const createApplyOnceTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const keys = (Table?.KeySchema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');
    if (keys !== 'pk:HASH') {
      throw new Error(
        `table ${tableName} exists with key schema ${keys}, not the apply-once table's pk:HASH`,
      );
    }
  }
};

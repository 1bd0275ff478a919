import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEY_SCHEMA } from './table-schema.ts';

export interface CreateTableResult {
  readonly created: boolean;
  /** False where the endpoint has no TTL API (dynalite): archived events then never expire there. */
  readonly ttlEnabled: boolean;
}

/**
 * Creates the state table with exactly the key schema the CDK stack deploys (on-demand,
 * TTL on the archive attribute). Idempotent: an existing table is left as it is, but its key
 * schema is checked, so a table made for something else is reported instead of used.
 *
 * @throws Error when a table of that name exists with a different key schema.
 */
export async function createStateTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<CreateTableResult> {
  const { partitionKey, sortKey, timeToLiveAttribute } = TABLE_KEY_SCHEMA;
  let created = true;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
          { AttributeName: sortKey.name, AttributeType: sortKey.type },
        ],
        KeySchema: [
          { AttributeName: partitionKey.name, KeyType: 'HASH' },
          { AttributeName: sortKey.name, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    created = false;
  }
  await waitUntilTableExists(
    { client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 },
    { TableName: tableName },
  );
  const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const keys = (table?.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',');
  const expected = `${partitionKey.name}:HASH,${sortKey.name}:RANGE`;
  if (keys !== expected) {
    throw new Error(
      `Table ${tableName} exists with key schema ${keys || 'unknown'}, not ${expected}: use another NOTIFIER_TABLE_NAME.`,
    );
  }
  let ttlEnabled = true;
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const message = error instanceof Error ? error.message : '';
    // Already enabled on a re-run is a ValidationException; dynalite has no TTL API at all.
    if (name === 'ValidationException' && /already enabled/i.test(message)) ttlEnabled = true;
    else if (name === 'UnknownOperationException') ttlEnabled = false;
    else throw error;
  }
  return { created, ttlEnabled };
}

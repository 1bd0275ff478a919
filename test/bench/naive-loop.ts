/**
 * The naive reference loop the benchmark compares the poller with: the same pages, the same
 * diff and the same events, but one customer at a time with single-item calls (GetItem,
 * then for a change one Publish per event and an unconditional PutItem). No batching, no
 * archive, no lease, no checkpoint: what a first version written without a budget looks like.
 */
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { diffCustomer } from '../../lib/core/diff.ts';
import { buildMessages } from '../../lib/core/events.ts';
import type { Snapshot } from '../../lib/core/types.ts';
import type { CustomerSource } from '../../lib/ports.ts';

export interface NaiveLoopOptions {
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  readonly tableName: string;
  readonly topicArn: string;
  readonly source: CustomerSource;
  readonly appId: string;
  readonly updatedSince?: string;
  readonly watchedFields: readonly string[];
}

export interface NaiveLoopResult {
  readonly fetched: number;
  readonly changed: number;
  readonly published: number;
}

// Its own key prefix in the same table, so the naive state never touches the poller's.
const key = (appId: string, id: string) => ({ pk: { S: `N#${appId}#${id}` }, sk: { S: 'S' } });

function isSnapshot(value: unknown): value is Snapshot {
  return (
    typeof value === 'object' &&
    value !== null &&
    'customerId' in value &&
    typeof value.customerId === 'string' &&
    'hash' in value &&
    typeof value.hash === 'string' &&
    'version' in value &&
    typeof value.version === 'number' &&
    'fields' in value &&
    typeof value.fields === 'object' &&
    value.fields !== null
  );
}

function parseSnapshot(text: string | undefined): Snapshot | undefined {
  if (text === undefined) return undefined;
  const value: unknown = JSON.parse(text);
  if (!isSnapshot(value)) throw new Error('A naive-loop state item does not hold a snapshot.');
  return value;
}

function pageRequest(options: NaiveLoopOptions) {
  return {
    appId: options.appId,
    startOffset: 0,
    pageSize: 1000,
    ...(options.updatedSince ? { updatedSince: options.updatedSince } : {}),
  };
}

/** Runs the naive loop over one scan. */
export async function naiveLoop(options: NaiveLoopOptions): Promise<NaiveLoopResult> {
  const { dynamodb, sns, tableName, topicArn, appId, watchedFields } = options;
  let fetched = 0;
  let changed = 0;
  let published = 0;
  for await (const page of options.source.pages(pageRequest(options))) {
    fetched += page.received;
    for (const customer of page.customers) {
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: tableName, Key: key(appId, customer.id) }),
      );
      const change = diffCustomer(parseSnapshot(Item?.snap?.S), customer, watchedFields);
      if (change.kind === 'unchanged') continue;
      changed++;
      for (const message of buildMessages(change, { appId, detectedAt: new Date().toISOString() })) {
        await sns.send(
          new PublishCommand({
            TopicArn: topicArn,
            Message: message.message,
            ...(message.subject ? { Subject: message.subject } : {}),
            ...(message.messageStructure ? { MessageStructure: message.messageStructure } : {}),
            MessageAttributes: message.attributes,
          }),
        );
        published++;
      }
      await dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...key(appId, customer.id), snap: { S: JSON.stringify(change.next) } },
        }),
      );
    }
  }
  return { fetched, changed, published };
}

/** Bench setup, not measured: writes the naive loop's first snapshots in batches of 25. */
export async function seedNaiveState(options: NaiveLoopOptions): Promise<number> {
  const { dynamodb, tableName, appId, watchedFields } = options;
  let written = 0;
  for await (const page of options.source.pages(pageRequest(options))) {
    const requests: WriteRequest[] = page.customers.map((customer) => {
      const change = diffCustomer(undefined, customer, watchedFields);
      const next = change.kind === 'created' ? change.next : undefined;
      return { PutRequest: { Item: { ...key(appId, customer.id), snap: { S: JSON.stringify(next) } } } };
    });
    for (let i = 0; i < requests.length; i += 25) {
      let pending = requests.slice(i, i + 25);
      while (pending.length > 0) {
        const out = await dynamodb.send(
          new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }),
        );
        pending = out.UnprocessedItems?.[tableName] ?? [];
      }
    }
    written += requests.length;
  }
  return written;
}

import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import type {
  ReconcileEnd,
  ReconcileRun,
  ReconcileState,
  ReconcileStore,
  SeenPage,
  SnapshotListing,
} from '../reconcile-ports.ts';
import { ItemLease } from './item-lease.ts';
import { eachPage, queryPrefix } from './item-pages.ts';
import { parseJsonAttribute } from './json-attribute.ts';
import { RECONCILE_RETENTION_DAYS, TABLE_KEY_SCHEMA } from './table-schema.ts';

const PK = TABLE_KEY_SCHEMA.partitionKey.name;
const SK = TABLE_KEY_SCHEMA.sortKey.name;
const TTL = TABLE_KEY_SCHEMA.timeToLiveAttribute;

/** Suspect ids per item: 4,000 ids of up to 64 characters stay far below DynamoDB's 400 KB. */
const SUSPECTS_PER_ITEM = 4_000;
/** Parallel segments of the snapshot listing (a Scan: snapshots have one partition each). */
const LIST_SEGMENTS = 4;

export interface DynamoReconcileStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Parallel segments of the snapshot listing. @default 4 */
  readonly listSegments?: number;
}

const stateKey = (appId: string): Record<string, AttributeValue> => ({
  [PK]: { S: `A#${appId}` },
  [SK]: { S: 'RECONCILE' },
});
const runPartition = (appId: string, runId: string) => `R#${appId}#${runId}`;
const pad = (n: number) => String(n).padStart(12, '0');

const idsSchema = z.array(z.string());
const recordSchema = z.object({
  runId: z.string(),
  finishedAt: z.string(),
  verdict: z.enum(['conclusive', 'refused', 'inconclusive', 'failed']),
  live: z.number(),
  missing: z.number(),
  deleted: z.number(),
  reason: z.optional(z.string()),
});

function toState(appId: string, item: Record<string, AttributeValue>): ReconcileState {
  return {
    appId,
    run: item.rRun?.S ? { runId: item.rRun.S } : null,
    suspectsRunId: item.rSus?.S ?? null,
    last: item.rLast?.S ? parseJsonAttribute(item, 'rLast', recordSchema, 'Reconcile') : null,
  };
}

/**
 * Reconciliation storage in the state table: the `A#<app>` / `RECONCILE` item (the claim, the
 * run in progress, the suspects' run, the last outcome) and the run's page and suspect items
 * under `R#<app>#<run>`, which expire after RECONCILE_RETENTION_DAYS. Their attributes and the
 * condition of each write are documented once, in table-schema.ts.
 */
export class DynamoReconcileStore implements ReconcileStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #segments: number;
  readonly #claim: ItemLease;

  constructor(options: DynamoReconcileStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#segments = options.listSegments ?? LIST_SEGMENTS;
    this.#claim = new ItemLease({
      client: options.client,
      tableName: options.tableName,
      ownerAttribute: 'rOwner',
      expiresAttribute: 'rExpires',
    });
  }

  async claim(
    appId: string,
    owner: string,
    now: Date,
    ttlMs: number,
    newRun: ReconcileRun,
  ): Promise<ReconcileState | null> {
    const item = await this.#claim.acquire(stateKey(appId), owner, now, ttlMs, {
      set: 'rRun = if_not_exists(rRun, :run)',
      values: { ':run': { S: newRun.runId } },
    });
    return item === null ? null : toState(appId, item);
  }

  async getState(appId: string): Promise<ReconcileState | null> {
    const { Item: item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: stateKey(appId), ConsistentRead: true }),
    );
    return item ? toState(appId, item) : null;
  }

  async extend(appId: string, owner: string, claimExpiresAt: Date): Promise<void> {
    await this.#updateHolding(appId, owner, 'SET rExpires = :expires', {
      ':expires': { N: String(claimExpiresAt.getTime()) },
    });
  }

  async recordPage(appId: string, runId: string, page: SeenPage, now: Date): Promise<void> {
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#table,
        Item: {
          [PK]: { S: runPartition(appId, runId) },
          [SK]: { S: `P#${pad(page.offset)}` },
          [TTL]: { N: this.#expiry(now) },
          o: { N: String(page.offset) },
          n: { N: String(page.received) },
          i: { S: JSON.stringify(page.ids) },
        },
      }),
    );
  }

  async readPages(appId: string, runId: string): Promise<SeenPage[]> {
    const items = await this.#queryPrefix(runPartition(appId, runId), 'P#');
    return items.map((item) => {
      const where = `${item[PK]?.S ?? '?'}/${item[SK]?.S ?? '?'}`;
      const offset = Number(item.o?.N);
      const received = Number(item.n?.N);
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(received))
        throw new Error(`Reconcile item ${where} has no offset or row count.`);
      return { offset, received, ids: parseJsonAttribute(item, 'i', idsSchema, 'Reconcile') };
    });
  }

  async listSnapshots(appId: string): Promise<SnapshotListing[]> {
    // Snapshots have a partition each (no hot key on the poll's path), so listing one app's is
    // a Scan of the table filtered by key prefix: it reads the whole table once a run (see the
    // README, "Deleted customers", for its cost and when a GSI would pay off).
    const segments = await Promise.all(
      Array.from({ length: this.#segments }, (_, segment) => this.#scanSegment(appId, segment)),
    );
    return segments.flat();
  }

  async #scanSegment(appId: string, segment: number): Promise<SnapshotListing[]> {
    const found: SnapshotListing[] = [];
    const pages = eachPage((startKey) =>
      this.#client.send(
        new ScanCommand({
          TableName: this.#table,
          Segment: segment,
          TotalSegments: this.#segments,
          FilterExpression: 'begins_with(#pk, :prefix) AND #sk = :s',
          ProjectionExpression: 'c, v, d',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':prefix': { S: `C#${appId}#` }, ':s': { S: 'S' } },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    for await (const items of pages) {
      for (const item of items) {
        const customerId = item.c?.S;
        const version = Number(item.v?.N);
        if (customerId === undefined || !Number.isSafeInteger(version))
          throw new Error(`A snapshot of app ${appId} is malformed (no customer id or version).`);
        const deleted = item.d?.S;
        found.push({
          customerId,
          version,
          ...(deleted === 'pending' || deleted === 'announced' ? { deleted } : {}),
        });
      }
    }
    return found;
  }

  async saveSuspects(appId: string, runId: string, ids: readonly string[], now: Date): Promise<void> {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += SUSPECTS_PER_ITEM) chunks.push(ids.slice(i, i + SUSPECTS_PER_ITEM));
    for (const [index, chunk] of chunks.entries()) {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            [PK]: { S: runPartition(appId, runId) },
            [SK]: { S: `M#${pad(index)}` },
            [TTL]: { N: this.#expiry(now) },
            i: { S: JSON.stringify(chunk) },
          },
        }),
      );
    }
  }

  async readSuspects(appId: string, runId: string): Promise<Set<string>> {
    const items = await this.#queryPrefix(runPartition(appId, runId), 'M#');
    const ids = new Set<string>();
    for (const item of items)
      for (const id of parseJsonAttribute(item, 'i', idsSchema, 'Reconcile')) ids.add(id);
    return ids;
  }

  async finish(appId: string, owner: string, end: ReconcileEnd): Promise<void> {
    const sets: string[] = [];
    const removes = ['rOwner', 'rExpires'];
    const values: Record<string, AttributeValue> = {};
    if (end.run) {
      sets.push('rRun = :run');
      values[':run'] = { S: end.run.runId };
    } else removes.push('rRun');
    if (end.suspectsRunId !== undefined) {
      sets.push('rSus = :sus');
      values[':sus'] = { S: end.suspectsRunId };
    }
    if (end.last) {
      sets.push('rLast = :last');
      values[':last'] = { S: JSON.stringify(end.last) };
    }
    const expression = `${sets.length ? `SET ${sets.join(', ')} ` : ''}REMOVE ${removes.join(', ')}`;
    await this.#updateHolding(appId, owner, expression, values);
  }

  async release(appId: string, owner: string): Promise<void> {
    await this.#claim.release(stateKey(appId), owner);
  }

  async #updateHolding(
    appId: string,
    owner: string,
    expression: string,
    values: Record<string, AttributeValue>,
  ): Promise<void> {
    await this.#claim.updateHolding(stateKey(appId), appId, owner, expression, values);
  }

  async #queryPrefix(partition: string, prefix: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    for await (const page of queryPrefix(this.#client, { tableName: this.#table, partition, prefix }))
      items.push(...page);
    return items;
  }

  #expiry(now: Date): string {
    return String(Math.floor(now.getTime() / 1000) + RECONCILE_RETENTION_DAYS * 86_400);
  }
}

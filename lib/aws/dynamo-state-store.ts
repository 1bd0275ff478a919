/**
 * The state table behind the poll's StateStore port (lib/ports.ts): leases, intent,
 * checkpoints, snapshot reads and commits, the event archive. Longer than 400 lines on purpose:
 * it is one port's implementation, and its writes share the conditions that keep a poll safe
 * without transactions (the lease on the state item, the version on each snapshot), which read
 * best in one place. What it shares with the reconciliation store is factored out: the lease
 * (item-lease.ts), JSON attributes (json-attribute.ts) and paged reads (item-pages.ts); the
 * item layout is described once, in table-schema.ts.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import * as z from 'zod/mini';
import { formatSequence } from '../core/events.ts';
import { EVENT_TYPES } from '../core/settings.ts';
import type {
  EventType,
  JsonValue,
  MessageAttribute,
  OutboundMessage,
  PendingEntry,
  PendingVersion,
  Snapshot,
} from '../core/types.ts';
import {
  type ArchiveQuery,
  type Checkpoint,
  type CommitResult,
  type PollState,
  type ScanEnd,
  type SnapshotCommit,
  type SnapshotHead,
  type StateStore,
  slotOf,
} from '../ports.ts';
import { ItemLease } from './item-lease.ts';
import { eachPage } from './item-pages.ts';
import { parseJsonAttribute } from './json-attribute.ts';
import { ARCHIVE_RETENTION_DAYS, TABLE_KEY_SCHEMA } from './table-schema.ts';

const PK = TABLE_KEY_SCHEMA.partitionKey.name;
const SK = TABLE_KEY_SCHEMA.sortKey.name;
const TTL = TABLE_KEY_SCHEMA.timeToLiveAttribute;

/** BatchGetItem takes at most 100 keys, BatchWriteItem at most 25 requests. */
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
/** Archive items of one app and day are spread over this many partitions. */
export const ARCHIVE_SHARDS = 4;

export interface DynamoStateStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Parallel DynamoDB requests per batch operation. @default 8 */
  readonly concurrency?: number;
  /** Retries of UnprocessedKeys / UnprocessedItems before giving up. @default 8 */
  readonly maxBatchRetries?: number;
  /** Injectable for tests. @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
}

const snapshotKey = (appId: string, customerId: string): Record<string, AttributeValue> => ({
  [PK]: { S: `C#${appId}#${customerId}` },
  [SK]: { S: 'S' },
});
function snapshotItem(appId: string, snapshot: Snapshot): Record<string, AttributeValue> {
  return {
    ...snapshotKey(appId, snapshot.customerId),
    c: { S: snapshot.customerId },
    h: { S: snapshot.hash },
    v: { N: String(snapshot.version) },
    f: { S: JSON.stringify(snapshot.fields) },
    ...(snapshot.deleted !== undefined ? { d: { S: snapshot.deleted } } : {}),
  };
}
const stateKey = (appId: string): Record<string, AttributeValue> => ({
  [PK]: { S: `A#${appId}` },
  [SK]: { S: 'STATE' },
});

const countsSchema = z.object({
  fetched: z.number(),
  created: z.number(),
  updated: z.number(),
  optout_changed: z.number(),
  unchanged: z.number(),
  invalid: z.number(),
  published: z.number(),
  conflicts: z.number(),
  unpublished: z.number(),
});
const modeSchema = z.enum(['baseline', 'incremental', 'resync']);
const checkpointSchema = z.object({
  mode: modeSchema,
  updatedSince: z.nullable(z.string()),
  offset: z.int().check(z.minimum(0)),
  startedAt: z.string(),
  dirty: z.boolean(),
  totals: countsSchema,
  drift: z.optional(z.boolean()),
  tail: z.optional(z.array(z.string())),
  tailRows: z.optional(z.int().check(z.minimum(0))),
});
const lastPollSchema = z.object({
  startedAt: z.string(),
  finishedAt: z.string(),
  outcome: z.enum(['complete', 'incomplete', 'failed']),
  mode: modeSchema,
  counts: countsSchema,
  error: z.optional(z.string()),
});
const jsonValueSchema: z.ZodMiniType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValueSchema),
    z.record(z.string(), jsonValueSchema),
  ]),
);
/**
 * A snapshot's fields: any JSON object. JSON.parse only ever yields JSON values, so checking
 * the top level is the whole validation; walking every value with a recursive schema cost
 * more CPU per snapshot read than the diff itself (see test/bench/PERFORMANCE.md).
 */
const fieldsSchema = z.custom<Record<string, JsonValue>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'Invalid input: expected a JSON object',
);
const attributesSchema = z.record(
  z.string(),
  z.object({ DataType: z.enum(['String', 'String.Array']), StringValue: z.string() }),
);
const eventSchema = z.record(z.string(), jsonValueSchema);
const pendingBodySchema = z.object({
  f: fieldsSchema,
  b: z.nullable(z.object({ h: z.string(), p: fieldsSchema })),
});
const intentSchema = z.array(
  z.object({
    c: z.string(),
    v: z.int().check(z.minimum(1)),
    h: z.string(),
    f: fieldsSchema,
    b: z.nullable(z.object({ h: z.string(), p: fieldsSchema })),
  }),
);

/** A pending version in the short form stored in `p` (snapshots) and `intent` (the state item). */
const basePart = (pending: PendingVersion) =>
  pending.base === null ? null : { h: pending.base.hash, p: pending.base.previous };

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The day partition and shard an archived event lives in. */
export function archivePartition(appId: string, time: string, eventId: string): string {
  const shard = Number.parseInt(eventId.slice(0, 2), 16) % ARCHIVE_SHARDS || 0;
  return `E#${appId}#${time.slice(0, 10)}#${shard}`;
}

/**
 * The state table adapter. DynamoDB (and dynalite) with no transactions: the lease lives on
 * the per-app state item, so every checkpoint write is conditioned on still holding it, and
 * each snapshot commit is conditioned on the version its diff was computed against.
 *
 * The items it reads and writes (snapshots, the poll state with its lease, archived events),
 * their short attribute names and the condition of each write are documented once, in
 * table-schema.ts.
 */
export class DynamoStateStore implements StateStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #limit: ReturnType<typeof pLimit>;
  readonly #maxRetries: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #lease: ItemLease;

  constructor(options: DynamoStateStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#limit = pLimit(options.concurrency ?? 8);
    this.#maxRetries = options.maxBatchRetries ?? 8;
    this.#sleep = options.sleep ?? realSleep;
    this.#lease = new ItemLease({
      client: options.client,
      tableName: options.tableName,
      ownerAttribute: 'leaseOwner',
      expiresAttribute: 'leaseExpiresAt',
    });
  }

  async acquireLease(appId: string, owner: string, now: Date, ttlMs: number): Promise<PollState | null> {
    const item = await this.#lease.acquire(stateKey(appId), owner, now, ttlMs, {
      set: 'appId = :app',
      values: { ':app': { S: appId } },
    });
    return item === null ? null : toPollState(appId, item);
  }

  async releaseLease(appId: string, owner: string): Promise<void> {
    await this.#lease.release(stateKey(appId), owner);
  }

  async getPollState(appId: string): Promise<PollState | null> {
    const { Item: item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: stateKey(appId), ConsistentRead: true }),
    );
    return item ? toPollState(appId, item) : null;
  }

  /**
   * Reads the poll state of many apps, 100 keys per BatchGetItem (the watchdog's view of every
   * app at once; eventually consistent, which a staleness check can afford). Apps never polled
   * are absent from the map.
   *
   * @throws Error when DynamoDB leaves keys unprocessed after the retries, or an item is corrupt.
   */
  async getPollStates(appIds: readonly string[]): Promise<Map<string, PollState>> {
    const found = new Map<string, PollState>();
    await Promise.all(
      chunk([...new Set(appIds)], BATCH_GET_LIMIT).map((ids) =>
        this.#limit(async () => {
          let keys: Record<string, AttributeValue>[] = ids.map(stateKey);
          for (let attempt = 0; keys.length > 0; attempt++) {
            if (attempt > this.#maxRetries) {
              throw new Error(`DynamoDB left ${keys.length} poll state reads unprocessed (throttled).`);
            }
            if (attempt > 0) await this.#sleep(backoff(attempt));
            const out = await this.#client.send(
              new BatchGetItemCommand({ RequestItems: { [this.#table]: { Keys: keys } } }),
            );
            for (const item of out.Responses?.[this.#table] ?? []) {
              const appId = item[PK]?.S?.slice('A#'.length);
              if (appId !== undefined) found.set(appId, toPollState(appId, item));
            }
            keys = out.UnprocessedKeys?.[this.#table]?.Keys ?? [];
          }
        }),
      ),
    );
    return found;
  }

  async recordIntent(
    appId: string,
    owner: string,
    intent: readonly PendingEntry[],
    leaseExpiresAt: Date,
  ): Promise<void> {
    const stored = intent.map(({ customerId, pending }) => ({
      c: customerId,
      v: pending.version,
      h: pending.hash,
      f: pending.fields,
      b: basePart(pending),
    }));
    await this.#updateHoldingLease(appId, owner, 'SET intent = :intent, leaseExpiresAt = :expires', {
      ':intent': { S: JSON.stringify(stored) },
      ':expires': { N: String(leaseExpiresAt.getTime()) },
    });
  }

  async clearIntent(appId: string, owner: string): Promise<void> {
    await this.#updateHoldingLease(appId, owner, 'REMOVE intent');
  }

  async renewLease(appId: string, owner: string, leaseExpiresAt: Date): Promise<void> {
    await this.#updateHoldingLease(appId, owner, 'SET leaseExpiresAt = :expires', {
      ':expires': { N: String(leaseExpiresAt.getTime()) },
    });
  }

  async markPending(appId: string, entries: readonly PendingEntry[]): Promise<void> {
    await Promise.all(
      entries.map(({ customerId, pending }) =>
        this.#limit(async () => {
          try {
            await this.#client.send(
              new UpdateItemCommand({
                TableName: this.#table,
                Key: snapshotKey(appId, customerId),
                UpdateExpression: 'SET c = :c, pv = :pv, ph = :ph, p = :p',
                // Only where neither a commit nor a newer pending version got there first.
                ConditionExpression:
                  '(attribute_not_exists(v) OR v < :pv) AND (attribute_not_exists(pv) OR pv <= :pv)',
                ExpressionAttributeValues: {
                  ':c': { S: customerId },
                  ':pv': { N: String(pending.version) },
                  ':ph': { S: pending.hash },
                  ':p': { S: JSON.stringify({ f: pending.fields, b: basePart(pending) }) },
                },
              }),
            );
          } catch (error) {
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
          }
        }),
      ),
    );
  }

  async saveCheckpoint(
    appId: string,
    owner: string,
    checkpoint: Checkpoint,
    leaseExpiresAt: Date,
  ): Promise<void> {
    const attribute = slotOf(checkpoint.mode) === 'resync' ? 'resyncCheckpoint' : 'checkpoint';
    await this.#updateHoldingLease(
      appId,
      owner,
      `SET ${attribute} = :checkpoint, leaseExpiresAt = :expires`,
      {
        ':checkpoint': { S: JSON.stringify(checkpoint) },
        ':expires': { N: String(leaseExpiresAt.getTime()) },
      },
    );
  }

  async endScan(appId: string, owner: string, end: ScanEnd): Promise<void> {
    const sets = ['lastPoll = :lastPoll'];
    const removes = ['leaseOwner', 'leaseExpiresAt'];
    const values: Record<string, AttributeValue> = {
      ':lastPoll': { S: JSON.stringify(end.lastPoll) },
    };
    if (end.watermarks !== undefined) {
      const { watermark, previousWatermark } = end.watermarks;
      sets.push('watermark = :watermark');
      values[':watermark'] = { S: watermark };
      if (previousWatermark === null) removes.push('previousWatermark');
      else {
        sets.push('previousWatermark = :previousWatermark');
        values[':previousWatermark'] = { S: previousWatermark };
      }
    }
    const attribute = end.slot === 'resync' ? 'resyncCheckpoint' : 'checkpoint';
    if (end.checkpoint) {
      sets.push(`${attribute} = :checkpoint`);
      values[':checkpoint'] = { S: JSON.stringify(end.checkpoint) };
    } else {
      removes.push(attribute);
    }
    await this.#updateHoldingLease(
      appId,
      owner,
      `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
      values,
    );
  }

  async #updateHoldingLease(
    appId: string,
    owner: string,
    expression: string,
    values: Record<string, AttributeValue> = {},
  ): Promise<void> {
    await this.#lease.updateHolding(stateKey(appId), appId, owner, expression, values);
  }

  async getSnapshotHeads(appId: string, customerIds: readonly string[]): Promise<Map<string, SnapshotHead>> {
    // Hash and version only: most customers of a poll are unchanged, and their fields would
    // be transferred and deserialised for nothing.
    return this.#batchGet(appId, customerIds, '#c, h, v, ph', toSnapshotHead);
  }

  async getSnapshots(appId: string, customerIds: readonly string[]): Promise<Map<string, Snapshot>> {
    return this.#batchGet(appId, customerIds, '#c, h, v, f, pv, ph, p, d', toSnapshot);
  }

  async #batchGet<T extends SnapshotHead>(
    appId: string,
    customerIds: readonly string[],
    projection: string,
    read: (item: Record<string, AttributeValue>) => T,
  ): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const unique = [...new Set(customerIds)];
    await Promise.all(
      chunk(unique, BATCH_GET_LIMIT).map((ids) =>
        this.#limit(async () => {
          let keys: Record<string, AttributeValue>[] = ids.map((id) => snapshotKey(appId, id));
          for (let attempt = 0; keys.length > 0; attempt++) {
            if (attempt > this.#maxRetries) {
              throw new Error(
                `DynamoDB left ${keys.length} snapshot reads unprocessed after ${this.#maxRetries} retries (throttled).`,
              );
            }
            if (attempt > 0) await this.#sleep(backoff(attempt));
            const out = await this.#client.send(
              new BatchGetItemCommand({
                RequestItems: {
                  [this.#table]: {
                    Keys: keys,
                    ProjectionExpression: projection,
                    ExpressionAttributeNames: { '#c': 'c' },
                  },
                },
              }),
            );
            for (const item of out.Responses?.[this.#table] ?? []) {
              const snapshot = read(item);
              found.set(snapshot.customerId, snapshot);
            }
            keys = out.UnprocessedKeys?.[this.#table]?.Keys ?? [];
          }
        }),
      ),
    );
    return found;
  }

  async commitSnapshots(appId: string, commits: readonly SnapshotCommit[]): Promise<CommitResult> {
    const committed: string[] = [];
    const conflicts: string[] = [];
    await Promise.all(
      commits.map(({ snapshot, expectedVersion }) =>
        this.#limit(async () => {
          try {
            await this.#client.send(
              new PutItemCommand({
                TableName: this.#table,
                Item: snapshotItem(appId, snapshot),
                ...(expectedVersion === null
                  ? // Not `attribute_not_exists(pk)`: an item holding only a pending version may exist.
                    { ConditionExpression: 'attribute_not_exists(v)' }
                  : {
                      ConditionExpression: 'v = :expected',
                      ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
                    }),
              }),
            );
            committed.push(snapshot.customerId);
          } catch (error) {
            if (error instanceof ConditionalCheckFailedException) conflicts.push(snapshot.customerId);
            else throw error;
          }
        }),
      ),
    );
    return { committed, conflicts };
  }

  async createSnapshots(appId: string, snapshots: readonly Snapshot[]): Promise<void> {
    await this.#writeAll('snapshot', snapshots, (snapshot) => ({
      PutRequest: { Item: snapshotItem(appId, snapshot) },
    }));
  }

  async archive(appId: string, messages: readonly OutboundMessage[], now: Date): Promise<void> {
    if (messages.length === 0) return;
    const ttl = String(Math.floor(now.getTime() / 1000) + ARCHIVE_RETENTION_DAYS * 86_400);
    await this.#writeAll('archive', messages, (m) => {
      const time = typeof m.event.time === 'string' ? m.event.time : now.toISOString();
      return {
        PutRequest: {
          Item: {
            [PK]: { S: archivePartition(appId, time, m.id) },
            [SK]: { S: `${time}#${m.id}` },
            [TTL]: { N: ttl },
            id: { S: m.id },
            type: { S: m.type },
            c: { S: m.customerId },
            seq: { N: String(Number(m.sequence)) },
            msg: { S: m.message },
            attrs: { S: JSON.stringify(m.attributes) },
            event: { S: JSON.stringify(m.event) },
            ...(m.subject !== undefined ? { subj: { S: m.subject } } : {}),
            ...(m.messageStructure !== undefined ? { ms: { S: m.messageStructure } } : {}),
          },
        },
      };
    });
  }

  /**
   * BatchWriteItem of `values`, 25 to a request and `concurrency` requests at a time. A
   * batch's items are built when its turn comes, so only the batches in flight exist as
   * DynamoDB items: built up front, a baseline page's 1,000 snapshot items outlived the waits
   * and were promoted to V8's old generation as garbage (`npm run bench` measures a baseline's
   * memory: figures `rss_100k_baseline_mb` and `live_heap_100k_vs_10k_baseline`).
   */
  async #writeAll<T>(
    what: string,
    values: readonly T[],
    toRequest: (value: T) => WriteRequest,
  ): Promise<void> {
    await Promise.all(
      chunk(values, BATCH_WRITE_LIMIT).map((batch) =>
        this.#limit(() => this.#batchWrite(what, batch.map(toRequest))),
      ),
    );
  }

  async #batchWrite(what: string, batch: WriteRequest[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > this.#maxRetries) {
        throw new Error(
          `DynamoDB left ${pending.length} ${what} writes unprocessed after ${this.#maxRetries} retries (throttled).`,
        );
      }
      if (attempt > 0) await this.#sleep(backoff(attempt));
      const out = await this.#client.send(
        new BatchWriteItemCommand({ RequestItems: { [this.#table]: pending } }),
      );
      pending = out.UnprocessedItems?.[this.#table] ?? [];
    }
  }

  async *readArchive(query: ArchiveQuery): AsyncIterable<OutboundMessage> {
    const last = Date.parse(query.until.slice(0, 10));
    // Nothing older than the retention survives the TTL: don't query years of empty days.
    const first = Math.max(
      Date.parse(query.since.slice(0, 10)),
      last - (ARCHIVE_RETENTION_DAYS + 1) * 86_400_000,
    );
    if (Number.isNaN(first) || Number.isNaN(last))
      throw new Error('readArchive: since and until must be ISO instants.');
    for (let day = first; day <= last; day += 86_400_000) {
      const date = new Date(day).toISOString().slice(0, 10);
      const shards = await Promise.all(
        Array.from({ length: ARCHIVE_SHARDS }, (_, shard) =>
          this.#queryArchivePartition(`E#${query.appId}#${date}#${shard}`, query),
        ),
      );
      const items = shards.flat().sort((a, b) => (a[SK]?.S ?? '').localeCompare(b[SK]?.S ?? ''));
      for (const item of items) yield toArchivedMessage(item);
    }
  }

  async #queryArchivePartition(
    partition: string,
    query: ArchiveQuery,
  ): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    const filters: string[] = [];
    const values: Record<string, AttributeValue> = {
      ':pk': { S: partition },
      ':from': { S: query.since },
      // Sort keys are `<time>#<id>`: everything at `until` or later sorts after `<until>#`.
      ':to': { S: `${query.until}#` },
    };
    const names: Record<string, string> = { '#pk': PK, '#sk': SK };
    if (query.type) {
      filters.push('#type = :type');
      values[':type'] = { S: query.type };
      names['#type'] = 'type';
    }
    if (query.customerId) {
      filters.push('c = :customer');
      values[':customer'] = { S: query.customerId };
    }
    const pages = eachPage((startKey) =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    for await (const page of pages) items.push(...page);
    return items.filter((item) => (item[SK]?.S ?? '') < `${query.until}`);
  }
}

function backoff(attempt: number): number {
  const cap = Math.min(2_000, 25 * 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
}

function toPollState(appId: string, item: Record<string, AttributeValue>): PollState {
  const owner = item.leaseOwner?.S;
  const expires = item.leaseExpiresAt?.N;
  const checkpoint = item.checkpoint
    ? parseJsonAttribute(item, 'checkpoint', checkpointSchema, 'State')
    : null;
  // Before issue 12 a resync shared the one checkpoint attribute; such a checkpoint is read
  // into the resync slot, where it belongs.
  const resyncCheckpoint = item.resyncCheckpoint
    ? parseJsonAttribute(item, 'resyncCheckpoint', checkpointSchema, 'State')
    : checkpoint?.mode === 'resync'
      ? checkpoint
      : null;
  return {
    appId,
    watermark: item.watermark?.S ?? null,
    previousWatermark: item.previousWatermark?.S ?? null,
    checkpoint: checkpoint?.mode === 'resync' ? null : checkpoint,
    resyncCheckpoint,
    lastPoll: item.lastPoll ? parseJsonAttribute(item, 'lastPoll', lastPollSchema, 'State') : null,
    lease: owner && expires ? { owner, expiresAt: new Date(Number(expires)).toISOString() } : null,
    intent: item.intent
      ? parseJsonAttribute(item, 'intent', intentSchema, 'State').map((e) => ({
          customerId: e.c,
          pending: {
            version: e.v,
            hash: e.h,
            fields: e.f,
            base: e.b === null ? null : { hash: e.b.h, previous: e.b.p },
          },
        }))
      : [],
  };
}

function toSnapshotHead(item: Record<string, AttributeValue>): SnapshotHead {
  const customerId = item.c?.S;
  const pendingHash = item.ph?.S;
  // An item with only a pending version has no committed hash or version yet.
  const committed = item.v !== undefined || pendingHash === undefined;
  const hash = committed ? item.h?.S : '';
  const version = committed ? Number(item.v?.N) : 0;
  if (
    customerId === undefined ||
    hash === undefined ||
    !Number.isInteger(version) ||
    (committed && version < 1)
  ) {
    throw new Error(
      `Snapshot item ${item[PK]?.S ?? '?'} is malformed (missing customer id, hash or version).`,
    );
  }
  return { customerId, hash, version, ...(pendingHash !== undefined ? { pendingHash } : {}) };
}

function toSnapshot(item: Record<string, AttributeValue>): Snapshot {
  const { pendingHash, ...head } = toSnapshotHead(item);
  const fields = head.version === 0 ? {} : parseJsonAttribute(item, 'f', fieldsSchema, 'State');
  const marked = item.d?.S;
  const deleted: Pick<Snapshot, 'deleted'> =
    marked === 'pending' || marked === 'announced' ? { deleted: marked } : {};
  if (pendingHash === undefined) return { ...head, fields, ...deleted };
  const version = Number(item.pv?.N);
  if (!Number.isInteger(version) || version < 1)
    throw new Error(`Snapshot item ${item[PK]?.S ?? '?'} has a malformed pending version.`);
  const body = parseJsonAttribute(item, 'p', pendingBodySchema, 'State');
  const pending: PendingVersion = {
    version,
    hash: pendingHash,
    fields: body.f,
    base: body.b === null ? null : { hash: body.b.h, previous: body.b.p },
  };
  return { ...head, fields, pending, ...deleted };
}

const isEventType = (value: string | undefined): value is EventType =>
  EVENT_TYPES.some((type) => type === value);

function toArchivedMessage(item: Record<string, AttributeValue>): OutboundMessage {
  const type = item.type?.S;
  const id = item.id?.S;
  const customerId = item.c?.S;
  const message = item.msg?.S;
  if (!isEventType(type) || !id || !customerId || message === undefined) {
    throw new Error(`Archived event ${item[SK]?.S ?? '?'} is malformed.`);
  }
  const attributes: Record<string, MessageAttribute> = parseJsonAttribute(
    item,
    'attrs',
    attributesSchema,
    'State',
  );
  return {
    id,
    type,
    customerId,
    sequence: formatSequence(Number(item.seq?.N ?? '0')),
    message,
    attributes,
    event: parseJsonAttribute(item, 'event', eventSchema, 'State'),
    ...(item.subj?.S !== undefined ? { subject: item.subj.S } : {}),
    ...(item.ms?.S === 'json' ? { messageStructure: 'json' as const } : {}),
  };
}

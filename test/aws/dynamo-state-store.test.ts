import {
  type BatchGetItemCommandOutput,
  type BatchWriteItemCommandInput,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '../../dev/local-stack.ts';
import { createStateTable } from '../../lib/aws/create-table.ts';
import { ARCHIVE_SHARDS, archivePartition, DynamoStateStore } from '../../lib/aws/dynamo-state-store.ts';
import type { OutboundMessage, PendingEntry, Snapshot } from '../../lib/core/types.ts';
import { type Checkpoint, LeaseLostError } from '../../lib/ports.ts';

const snap = (id: string, version = 1, hash = `h-${id}-${version}`): Snapshot => ({
  customerId: id,
  hash,
  version,
  fields: { firstname: `F${id}`, email_optout: 0 },
});

const counts = {
  fetched: 1,
  created: 0,
  updated: 0,
  optout_changed: 0,
  unchanged: 1,
  invalid: 0,
  published: 0,
  conflicts: 0,
  unpublished: 0,
};

function message(
  id: string,
  time: string,
  type: OutboundMessage['type'] = 'customer.updated',
  customerId = 'c1',
): OutboundMessage {
  return {
    id,
    type,
    customerId,
    sequence: '000000000002',
    message: JSON.stringify({ id, type, time }),
    attributes: { type: { DataType: 'String', StringValue: type } },
    event: { id, type, time },
    ...(type === 'customer.optout_changed' ? { subject: 'Opt-out', messageStructure: 'json' as const } : {}),
  };
}

describe('DynamoStateStore against dynalite', () => {
  let stack: LocalStack;
  let client: DynamoDBClient;
  let store: DynamoStateStore;

  /** A client of the local dynalite, for a test to add middleware to before its first request. */
  const localClient = () =>
    new DynamoDBClient({
      region: 'us-east-1',
      endpoint: stack.dynamodbEndpoint,
      credentials: LOCAL_CREDENTIALS,
    });
  /** A store that retries unprocessed batch items without waiting, at most `maxBatchRetries` times. */
  const retryingStore = (through: DynamoDBClient, maxBatchRetries: number) =>
    new DynamoStateStore({
      client: through,
      tableName: stack.tableName,
      sleep: async () => {},
      maxBatchRetries,
    });

  beforeAll(async () => {
    stack = await startLocalStack({ appIds: ['a'] });
    client = localClient();
    store = new DynamoStateStore({ client, tableName: stack.tableName, sleep: async () => {} });
  });
  afterAll(async () => {
    client.destroy();
    await stack.close();
  });

  it('create-table is idempotent and keeps the shared key schema', async () => {
    const again = await createStateTable(client, stack.tableName);
    expect(again.created).toBe(false);
    // dynalite has no TTL API; the result says so rather than failing.
    expect(again.ttlEnabled).toBe(false);
  });

  it('grants the lease to one owner at a time and hands it over after expiry', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const first = await store.acquireLease('lease-app', 'one', now, 60_000);
    expect(first).toMatchObject({ appId: 'lease-app', watermark: null, lease: { owner: 'one' } });
    expect(await store.acquireLease('lease-app', 'two', new Date(now.getTime() + 1_000), 60_000)).toBeNull();
    expect(
      await store.acquireLease('lease-app', 'one', new Date(now.getTime() + 2_000), 60_000),
    ).not.toBeNull();
    const later = new Date(now.getTime() + 120_000);
    expect(await store.acquireLease('lease-app', 'two', later, 60_000)).toMatchObject({
      lease: { owner: 'two' },
    });
    // The old owner can no longer write.
    const checkpoint: Checkpoint = {
      mode: 'baseline',
      updatedSince: null,
      offset: 10,
      startedAt: now.toISOString(),
      dirty: false,
      totals: counts,
    };
    await expect(store.saveCheckpoint('lease-app', 'one', checkpoint, later)).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    await store.saveCheckpoint('lease-app', 'two', checkpoint, later);
    expect((await store.getPollState('lease-app'))?.checkpoint).toEqual(checkpoint);
  });

  it('ends a scan in one write: watermark, checkpoint cleared, lease released', async () => {
    const now = new Date();
    await store.acquireLease('end-app', 'me', now, 60_000);
    const lastPoll = {
      startedAt: now.toISOString(),
      finishedAt: now.toISOString(),
      outcome: 'complete' as const,
      mode: 'incremental' as const,
      counts,
    };
    const previous = new Date(now.getTime() - 300_000).toISOString();
    await store.endScan('end-app', 'me', {
      watermarks: { watermark: now.toISOString(), previousWatermark: previous },
      slot: 'scan',
      checkpoint: null,
      lastPoll,
    });
    const state = await store.getPollState('end-app');
    expect(state).toEqual({
      appId: 'end-app',
      watermark: now.toISOString(),
      previousWatermark: previous,
      checkpoint: null,
      resyncCheckpoint: null,
      lastPoll,
      lease: null,
      intent: [],
    });
    await expect(
      store.endScan('end-app', 'me', { slot: 'scan', checkpoint: null, lastPoll }),
    ).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('keeps a resync checkpoint apart: a scheduled scan that ends never erases it (issue 12)', async () => {
    const now = new Date();
    const later = new Date(now.getTime() + 60_000);
    const base = {
      updatedSince: null,
      offset: 200,
      startedAt: now.toISOString(),
      dirty: false,
      totals: counts,
    };
    await store.acquireLease('slots-app', 'cli', now, 60_000);
    await store.saveCheckpoint('slots-app', 'cli', { mode: 'resync', ...base }, later);
    await store.endScan('slots-app', 'cli', {
      slot: 'resync',
      checkpoint: { mode: 'resync', ...base },
      lastPoll: {
        startedAt: base.startedAt,
        finishedAt: base.startedAt,
        outcome: 'incomplete',
        mode: 'resync',
        counts,
      },
    });
    await store.acquireLease('slots-app', 'lambda', now, 60_000);
    await store.saveCheckpoint('slots-app', 'lambda', { mode: 'baseline', ...base, offset: 7 }, later);
    await store.endScan('slots-app', 'lambda', {
      watermarks: { watermark: base.startedAt, previousWatermark: null },
      slot: 'scan',
      checkpoint: null,
      lastPoll: {
        startedAt: base.startedAt,
        finishedAt: base.startedAt,
        outcome: 'complete',
        mode: 'baseline',
        counts,
      },
    });
    const state = await store.getPollState('slots-app');
    expect(state?.checkpoint).toBeNull();
    expect(state?.resyncCheckpoint).toMatchObject({ mode: 'resync', offset: 200 });
    expect(state?.watermark).toBe(base.startedAt);
    expect(state?.previousWatermark).toBeNull();
  });

  it('records the intent only under the lease, returns it with the state, and clears it', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    await store.acquireLease('intent-app', 'one', now, 60_000);
    const intent: PendingEntry[] = [
      {
        customerId: 'c1',
        pending: { version: 3, hash: 'h3', fields: { a: 1 }, base: { hash: 'h2', previous: { a: 0 } } },
      },
      { customerId: 'c2', pending: { version: 1, hash: 'h1', fields: { a: 'x' }, base: null } },
    ];
    const until = new Date(now.getTime() + 90_000);
    await store.recordIntent('intent-app', 'one', intent, until);
    const state = await store.getPollState('intent-app');
    expect(state?.intent).toEqual(intent);
    expect(state?.lease?.expiresAt).toBe(until.toISOString());
    // A poller that lost its lease can neither record an intent nor clear one.
    const taken = await store.acquireLease('intent-app', 'two', new Date(now.getTime() + 100_000), 60_000);
    expect(taken?.intent).toEqual(intent);
    await expect(store.recordIntent('intent-app', 'one', [], until)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(store.clearIntent('intent-app', 'one')).rejects.toBeInstanceOf(LeaseLostError);
    await expect(store.renewLease('intent-app', 'one', until)).rejects.toBeInstanceOf(LeaseLostError);
    await store.clearIntent('intent-app', 'two');
    expect((await store.getPollState('intent-app'))?.intent).toEqual([]);
  });

  it('marks pending versions where nothing newer is, and a commit replaces them', async () => {
    const app = 'pending-app';
    await store.commitSnapshots(app, [{ snapshot: snap('p1', 2), expectedVersion: null }]);
    const v3 = { version: 3, hash: 'h3', fields: { a: 3 }, base: { hash: 'h-p1-2', previous: { a: 2 } } };
    const created = { version: 1, hash: 'n1', fields: { a: 'new' }, base: null };
    await store.markPending(app, [
      { customerId: 'p1', pending: v3 },
      { customerId: 'p2', pending: created },
    ]);
    // Older than what is there: a committed version, or a newer pending one. Neither lands.
    await store.markPending(app, [
      { customerId: 'p1', pending: { ...v3, version: 2, hash: 'old' } },
      { customerId: 'p2', pending: { ...created, version: 0 } },
    ]);
    const heads = await store.getSnapshotHeads(app, ['p1', 'p2']);
    expect(heads.get('p1')).toEqual({ customerId: 'p1', hash: 'h-p1-2', version: 2, pendingHash: 'h3' });
    expect(heads.get('p2')).toEqual({ customerId: 'p2', hash: '', version: 0, pendingHash: 'n1' });
    const full = await store.getSnapshots(app, ['p1', 'p2']);
    expect(full.get('p1')).toEqual({ ...snap('p1', 2), pending: v3 });
    expect(full.get('p2')).toEqual({ customerId: 'p2', hash: '', fields: {}, version: 0, pending: created });

    // A pending-only item counts as "nothing committed"; committing removes the pending version.
    const result = await store.commitSnapshots(app, [
      { snapshot: snap('p2', 1, 'n1'), expectedVersion: null },
      { snapshot: snap('p1', 4), expectedVersion: 2 },
    ]);
    expect(result.conflicts).toEqual([]);
    const after = await store.getSnapshots(app, ['p1', 'p2']);
    expect(after.get('p1')).toEqual(snap('p1', 4));
    expect(after.get('p2')).toEqual(snap('p2', 1, 'n1'));
    // A stale pending version never lands on a committed newer one.
    await store.markPending(app, [{ customerId: 'p1', pending: v3 }]);
    expect((await store.getSnapshots(app, ['p1'])).get('p1')).toEqual(snap('p1', 4));
  });

  it('reads snapshots in batches of 100 and commits only on the version the diff saw', async () => {
    const ids = Array.from({ length: 230 }, (_, i) => `s${i}`);
    await store.createSnapshots(
      'snap-app',
      ids.map((id) => snap(id)),
    );
    const read = await store.getSnapshots('snap-app', [...ids, 'missing', 's1']);
    expect(read.size).toBe(230);
    expect(read.get('s7')).toEqual(snap('s7'));
    const heads = await store.getSnapshotHeads('snap-app', [...ids, 'missing']);
    expect(heads.size).toBe(230);
    expect(heads.get('s7')).toEqual({ customerId: 's7', hash: 'h-s7-1', version: 1 });

    const result = await store.commitSnapshots('snap-app', [
      { snapshot: snap('s1', 2), expectedVersion: 1 },
      { snapshot: snap('s2', 2), expectedVersion: 5 },
      { snapshot: snap('new-one'), expectedVersion: null },
      { snapshot: snap('s3'), expectedVersion: null },
    ]);
    expect([...result.committed].sort()).toEqual(['new-one', 's1']);
    expect([...result.conflicts].sort()).toEqual(['s2', 's3']);
    expect((await store.getSnapshots('snap-app', ['s1', 's2'])).get('s1')?.version).toBe(2);
    expect((await store.getSnapshots('snap-app', ['s2'])).get('s2')?.version).toBe(1);
  });

  it('retries UnprocessedKeys until every key is read, and gives up with a clear error', async () => {
    await store.createSnapshots('throttle-app', [snap('t1'), snap('t2'), snap('t3')]);
    const throttled = localClient();
    let calls = 0;
    let alwaysThrottle = false;
    // dynalite never throttles: hold back one key per call in the response, as DynamoDB does.
    throttled.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName !== 'BatchGetItemCommand') return out;
        calls++;
        const output = out.output as BatchGetItemCommandOutput;
        const table = stack.tableName;
        const items = output.Responses?.[table] ?? [];
        if ((alwaysThrottle || calls === 1) && items.length > 0) {
          const held = items.slice(alwaysThrottle ? 0 : 1);
          const kept = alwaysThrottle ? [] : items.slice(0, 1);
          output.Responses = { [table]: kept };
          output.UnprocessedKeys = {
            [table]: { Keys: held.map((i) => ({ pk: { S: `C#throttle-app#${i.c?.S}` }, sk: { S: 'S' } })) },
          };
        }
        return out;
      },
      { step: 'initialize', name: 'holdBackKeys' },
    );
    const retrying = retryingStore(throttled, 3);
    const read = await retrying.getSnapshots('throttle-app', ['t1', 't2', 't3']);
    expect([...read.keys()].sort()).toEqual(['t1', 't2', 't3']);
    expect(calls).toBe(2);
    alwaysThrottle = true;
    await expect(retrying.getSnapshots('throttle-app', ['t1'])).rejects.toThrow(
      /unprocessed after 3 retries/,
    );
    throttled.destroy();
  });

  it('retries UnprocessedItems of batch writes, and names what it gave up writing', async () => {
    const throttled = localClient();
    let alwaysThrottle = false;
    let firstCall = true;
    // Hand the whole batch back unprocessed, once or always, as a throttled DynamoDB does.
    throttled.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'BatchWriteItemCommand') return next(args);
        const input = (args.input as BatchWriteItemCommandInput).RequestItems ?? {};
        if (alwaysThrottle || firstCall) {
          firstCall = false;
          return { output: { UnprocessedItems: input, $metadata: {} }, response: {} };
        }
        return next(args);
      },
      { step: 'initialize', name: 'handBackItems' },
    );
    const retrying = retryingStore(throttled, 2);
    const many = Array.from({ length: 60 }, (_, i) => snap(`w${i}`));
    await retrying.createSnapshots('write-throttle-app', many);
    const read = await store.getSnapshotHeads(
      'write-throttle-app',
      many.map((s) => s.customerId),
    );
    expect(read.size).toBe(60);
    alwaysThrottle = true;
    await expect(retrying.createSnapshots('write-throttle-app', [snap('w-late')])).rejects.toThrow(
      /1 snapshot writes unprocessed after 2 retries/,
    );
    await expect(
      retrying.archive('write-throttle-app', [message('0aaa', '2026-03-01T10:00:00.000Z')], new Date()),
    ).rejects.toThrow(/1 archive writes unprocessed after 2 retries/);
    throttled.destroy();
  });

  it('archives events by day and shard and replays a window in time order, filtered', async () => {
    const messages = [
      message('00aa', '2026-03-01T10:00:00.000Z'),
      message('01bb', '2026-03-01T23:59:59.000Z', 'customer.optout_changed', 'c2'),
      message('02cc', '2026-03-02T00:00:01.000Z', 'customer.created', 'c3'),
      message('03dd', '2026-03-03T12:00:00.000Z'),
    ];
    await store.archive('arch-app', messages, new Date('2026-03-03T13:00:00Z'));
    const read = async (query: Partial<Parameters<DynamoStateStore['readArchive']>[0]>) => {
      const out: OutboundMessage[] = [];
      for await (const m of store.readArchive({
        appId: 'arch-app',
        since: '2026-03-01T00:00:00.000Z',
        until: '2026-03-03T12:00:00.000Z',
        ...query,
      }))
        out.push(m);
      return out;
    };
    expect((await read({})).map((m) => m.id)).toEqual(['00aa', '01bb', '02cc']);
    expect(await read({})).toContainEqual(messages[1]);
    expect((await read({ type: 'customer.created' })).map((m) => m.id)).toEqual(['02cc']);
    expect((await read({ customerId: 'c2' })).map((m) => m.id)).toEqual(['01bb']);
    expect(
      (await read({ since: '2026-03-01T12:00:00.000Z', until: '2026-03-04T00:00:00.000Z' })).map((m) => m.id),
    ).toEqual(['01bb', '02cc', '03dd']);
    const shards = new Set(messages.map((m) => archivePartition('arch-app', '2026-03-01T00:00:00Z', m.id)));
    expect(shards.size).toBe(ARCHIVE_SHARDS);
  });
});

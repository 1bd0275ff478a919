import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateTable } from '../../lib/aws/create-table.ts';
import { ItemLease } from '../../lib/aws/item-lease.ts';
import { LeaseLostError } from '../../lib/ports.ts';
import { type LocalDynamo, startLocalDynamo } from '../subscriber/local-dynamodb.ts';

const TABLE = 'item-lease-test';
const key = (name: string): Record<string, AttributeValue> => ({
  pk: { S: `A#${name}` },
  sk: { S: 'STATE' },
});
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);

describe('ItemLease against dynalite', () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  let lease: ItemLease;
  const read = async (name: string) =>
    (await client.send(new GetItemCommand({ TableName: TABLE, Key: key(name), ConsistentRead: true }))).Item;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    client = dynamo.client();
    await createStateTable(client, TABLE);
    lease = new ItemLease({
      client,
      tableName: TABLE,
      ownerAttribute: 'lOwner',
      expiresAttribute: 'lExpires',
    });
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('goes to one owner at a time, is extended by its holder, and is taken over once expired', async () => {
    const first = await lease.acquire(key('a'), 'one', at(0), 60_000);
    expect(first).toMatchObject({ lOwner: { S: 'one' }, lExpires: { N: String(at(60_000).getTime()) } });
    expect(await lease.acquire(key('a'), 'two', at(59_999), 60_000)).toBeNull();
    expect(await lease.acquire(key('a'), 'one', at(1_000), 60_000)).toMatchObject({
      lExpires: { N: String(at(61_000).getTime()) },
    });
    expect(await lease.acquire(key('a'), 'two', at(61_001), 60_000)).toMatchObject({ lOwner: { S: 'two' } });
  });

  it('sets the extra attributes in the write that takes it, and leaves the item alone when refused', async () => {
    const also = { set: 'rRun = if_not_exists(rRun, :run)', values: { ':run': { S: 'r1' } } };
    expect(await lease.acquire(key('b'), 'one', at(0), 60_000, also)).toMatchObject({ rRun: { S: 'r1' } });
    const refused = { set: 'rRun = :run, xOther = :run', values: { ':run': { S: 'r2' } } };
    expect(await lease.acquire(key('b'), 'two', at(1), 60_000, refused)).toBeNull();
    const item = await read('b');
    expect(item?.rRun).toEqual({ S: 'r1' });
    expect(item?.xOther).toBeUndefined();
  });

  it('writes for its holder only; anyone else gets LeaseLostError naming the app', async () => {
    await lease.acquire(key('c'), 'one', at(0), 60_000);
    await lease.updateHolding(key('c'), 'c', 'one', 'SET prog = :p', { ':p': { N: '1' } });
    const lost = lease.updateHolding(key('c'), 'c', 'two', 'SET prog = :p', { ':p': { N: '2' } });
    await expect(lost).rejects.toBeInstanceOf(LeaseLostError);
    await expect(lost).rejects.toMatchObject({ appId: 'c' });
    expect((await read('c'))?.prog).toEqual({ N: '1' });
    // Expired but not taken over: the holder still writes (the caller fences on its own clock).
    await lease.updateHolding(key('c'), 'c', 'one', 'SET prog = :p', { ':p': { N: '3' } });
    expect((await read('c'))?.prog).toEqual({ N: '3' });
  });

  it('is released by its holder only, and a release by anyone else changes nothing', async () => {
    await lease.acquire(key('d'), 'one', at(0), 60_000);
    await lease.release(key('d'), 'two');
    expect((await read('d'))?.lOwner).toEqual({ S: 'one' });
    await lease.release(key('d'), 'one');
    const item = await read('d');
    expect(item?.lOwner).toBeUndefined();
    expect(item?.lExpires).toBeUndefined();
    expect(await lease.acquire(key('d'), 'two', at(1), 60_000)).toMatchObject({ lOwner: { S: 'two' } });
    // Releasing a lease already given back is not an error.
    await lease.release(key('d'), 'one');
  });

  it('is no write at all on an item without the lease', async () => {
    await expect(
      lease.updateHolding(key('e'), 'e', 'one', 'SET x = :x', { ':x': { N: '1' } }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await read('e')).toBeUndefined();
  });
});

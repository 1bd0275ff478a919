import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApplyOnceStore,
  applyOnce,
  ClaimBusyError,
  ClaimLostError,
  eventKey,
  normaliseSequence,
} from '../../lib/subscriber/apply-once.ts';
import {
  createApplyOnceTable,
  createDynamoApplyOnceStore,
} from '../../lib/subscriber/dynamo-apply-once-store.ts';
import { createMemoryApplyOnceStore } from '../../lib/subscriber/memory-apply-once-store.ts';
import { type FixtureMessage, historyMessages, member } from './event-fixtures.ts';
import { type LocalDynamo, startLocalDynamo } from './local-dynamodb.ts';

let dynamo: LocalDynamo;
let tables = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo?.close();
});

type StoreFactory = (options?: { claimTtlMs?: number; now?: () => number }) => Promise<() => ApplyOnceStore>;

/** Each factory call gives a fresh state; the function it returns gives consumers sharing that state. */
const factories: Record<string, StoreFactory> = {
  memory: async (options = {}) => {
    const store = createMemoryApplyOnceStore(options);
    return () => store;
  },
  dynamodb: async (options = {}) => {
    tables += 1;
    const tableName = `apply-once-${tables}`;
    await createApplyOnceTable(dynamo.client(), tableName);
    return () => createDynamoApplyOnceStore({ client: dynamo.client(), tableName, ...options });
  },
};

// created (seq 1), updated + email opt-out (seq 2, two siblings), updated (seq 3)
const history = historyMessages('studio-1', [
  member('42'),
  member('42', { email_optout: 1 }),
  member('42', { lastname: 'Byron' }),
]);
const [[created], [updated, optout], [renamed]] = history as [
  [FixtureMessage],
  [FixtureMessage, FixtureMessage],
  [FixtureMessage],
];

describe('normaliseSequence', () => {
  it.each([
    [1, '000000000001'],
    ['2', '000000000002'],
    ['000000000010', '000000000010'],
  ])('%j -> %s', (input, expected) => expect(normaliseSequence(input)).toBe(expected));

  it.each([[-1], ['1e3'], ['0000000000001'], [''], [1.5]])('rejects %j', (input) => {
    expect(() => normaliseSequence(input)).toThrow(/sequence/);
  });

  it('orders as strings the way it orders as numbers', () => {
    expect(normaliseSequence(9) < normaliseSequence(10)).toBe(true);
  });
});

describe.each(Object.keys(factories))('apply-once rule, %s store', (kind) => {
  const fresh = (options?: Parameters<StoreFactory>[0]) => {
    const factory = factories[kind];
    if (factory === undefined) throw new Error(kind);
    return factory(options);
  };

  it('applies each event once, siblings of one change each once, and drops what is stale', async () => {
    const store = (await fresh())();
    const applied: string[] = [];
    const apply = (message: FixtureMessage) =>
      applyOnce(store, message.event, (event) => {
        applied.push(`${event.type}@${String(event.sequence)}`);
      });
    expect(await apply(created)).toBe('applied');
    expect(await apply(created)).toBe('duplicate');
    expect(await apply(updated)).toBe('applied');
    expect(await apply(optout)).toBe('applied');
    expect(await apply(optout)).toBe('duplicate');
    expect(await apply(updated)).toBe('duplicate');
    expect(await apply(created)).toBe('stale');
    expect(await apply(renamed)).toBe('applied');
    expect(await apply(optout)).toBe('stale');
    expect(applied).toEqual([
      `customer.created@${String(created.event.sequence)}`,
      `customer.updated@${String(updated.event.sequence)}`,
      `customer.optout_changed@${String(optout.event.sequence)}`,
      `customer.updated@${String(renamed.event.sequence)}`,
    ]);
  });

  it('drops an older change that arrives after a newer one', async () => {
    const store = (await fresh())();
    expect(await applyOnce(store, renamed.event, () => {})).toBe('applied');
    expect(await applyOnce(store, updated.event, () => {})).toBe('stale');
    expect(await applyOnce(store, created.event, () => {})).toBe('stale');
  });

  it('keeps customers and sources apart', async () => {
    const store = (await fresh())();
    const [[other]] = historyMessages('studio-1', [member('43')]) as [[FixtureMessage]];
    const [[otherApp]] = historyMessages('studio-2', [member('42')]) as [[FixtureMessage]];
    expect(await applyOnce(store, renamed.event, () => {})).toBe('applied');
    expect(await applyOnce(store, other.event, () => {})).toBe('applied');
    expect(await applyOnce(store, otherApp.event, () => {})).toBe('applied');
  });

  it('records nothing when the handler fails, so a retry applies the event', async () => {
    const store = (await fresh())();
    await expect(
      applyOnce(store, created.event, () => {
        throw new Error('downstream is down');
      }),
    ).rejects.toThrow('downstream is down');
    expect(await applyOnce(store, created.event, () => {})).toBe('applied');
  });

  it('makes a second consumer wait while the first holds the claim, until the claim expires', async () => {
    let now = 1_000_000;
    const consumers = await fresh({ claimTtlMs: 60_000, now: () => now });
    const first = consumers();
    const second = consumers();
    const held = await first.claim(eventKey(updated.event));
    if (held.kind !== 'claimed') throw new Error(`expected a claim, got ${held.kind}`);
    await expect(applyOnce(second, optout.event, () => {})).rejects.toThrow(ClaimBusyError);
    now += 60_001;
    expect(await applyOnce(second, optout.event, () => {})).toBe('applied');
    // The first consumer's claim was taken over: its commit must not land.
    await expect(first.commit(eventKey(updated.event), held.claim)).rejects.toThrow(ClaimLostError);
    expect(await applyOnce(second, updated.event, () => {})).toBe('applied');
  });

  it('lets concurrent consumers run the handler of one event exactly once', async () => {
    const consumers = await fresh();
    const stores = Array.from({ length: 8 }, () => consumers());
    let runs = 0;
    const outcomes = await Promise.allSettled(
      stores.map((store) =>
        applyOnce(store, created.event, async () => {
          runs += 1;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }),
      ),
    );
    expect(runs).toBe(1);
    const applied = outcomes.filter((o) => o.status === 'fulfilled' && o.value === 'applied');
    expect(applied).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ClaimBusyError);
      else expect(['applied', 'duplicate']).toContain(outcome.value);
    }
    // Every consumer that was told to wait finds it applied on its retry.
    for (const store of stores)
      expect(['duplicate']).toContain(await applyOnce(store, created.event, () => {}));
  });
});

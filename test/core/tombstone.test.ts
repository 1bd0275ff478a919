import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentHash, DEFAULT_WATCHED_FIELDS, watchedValues } from '../../lib/core/content-hash.ts';
import { diffCustomer } from '../../lib/core/diff.ts';
import { buildDeletedMessage, buildMessages, formatSequence } from '../../lib/core/events.ts';
import { lastContentHash, tombstoneOf } from '../../lib/core/tombstone.ts';
import type { Customer, Snapshot } from '../../lib/core/types.ts';
import { customer } from './arbitraries.ts';

const W = DEFAULT_WATCHED_FIELDS;
const ctx = { appId: 'studio-1', detectedAt: '2024-03-02T08:30:00.000Z' };

function snapshotOf(c: Customer, version: number): Snapshot {
  const fields = watchedValues(c, W);
  return { customerId: c.id, hash: contentHash(fields), fields, version };
}

describe('tombstones and customer.deleted', () => {
  it('a tombstone keeps the last fields, takes the next version and is pending', () => {
    fc.assert(
      fc.property(customer, fc.integer({ min: 1, max: 1e9 }), (c, version) => {
        const snapshot = snapshotOf(c, version);
        const tombstone = tombstoneOf(snapshot);
        expect(tombstone).toMatchObject({ customerId: c.id, version: version + 1, deleted: 'pending' });
        expect(tombstone.fields).toEqual(snapshot.fields);
        expect(tombstone.hash).not.toMatch(/^[0-9a-f]{64}$/);
        expect(lastContentHash(tombstone)).toBe(snapshot.hash);
      }),
      { seed: 17, numRuns: 200 },
    );
  });

  it('a tombstone is never tombstoned again: a deleted customer is announced once', () => {
    const tombstone = tombstoneOf(snapshotOf(fc.sample(customer, { seed: 1, numRuns: 1 })[0] as Customer, 2));
    expect(() => tombstoneOf(tombstone)).toThrow(/tombstone already/);
    expect(() => tombstoneOf({ ...tombstone, deleted: 'announced' })).toThrow(/tombstone already/);
  });

  it('the deleted event carries the last record, the tombstone version, and an id that only the deletion decides', () => {
    fc.assert(
      fc.property(customer, fc.integer({ min: 1, max: 1e9 }), (c, version) => {
        const tombstone = tombstoneOf(snapshotOf(c, version));
        const message = buildDeletedMessage(tombstone, ctx);
        expect(message.type).toBe('customer.deleted');
        expect(message.sequence).toBe(formatSequence(version + 1));
        expect(message.event.subject).toBe(c.id);
        const data = message.event.data;
        if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('no data');
        expect(data.customer).toEqual({ id: c.id, ...watchedValues(c, W) });
        expect(data.changed_fields).toEqual([...W].sort());
        expect(message.attributes.type).toEqual({ DataType: 'String', StringValue: 'customer.deleted' });
        // Re-sent from the same tombstone (pending or announced, another detection time): the same id.
        const again = buildDeletedMessage(
          { ...tombstone, deleted: 'announced' },
          { ...ctx, detectedAt: '2025-01-01T00:00:00.000Z' },
        );
        expect(again.id).toBe(message.id);
        // Another deletion of the same customer (after it came back) has another id.
        const later = buildDeletedMessage(tombstoneOf(snapshotOf(c, version + 2)), ctx);
        expect(later.id).not.toBe(message.id);
      }),
      { seed: 1717, numRuns: 200 },
    );
  });

  it('a customer that comes back, even unchanged, is created again above the deleted sequence', () => {
    fc.assert(
      fc.property(customer, fc.integer({ min: 1, max: 1e9 }), (c, version) => {
        const first = snapshotOf(c, version);
        const tombstone = tombstoneOf(first);
        const change = diffCustomer(tombstone, c, W);
        if (change.kind !== 'created') throw new Error(`expected created, got ${change.kind}`);
        expect(change.next.version).toBe(version + 2);
        expect(change.next.deleted).toBeUndefined();
        expect(change.next.hash).toBe(first.hash);
        expect(change.previousSnapshot).toBe(tombstone);
        const [created] = buildMessages(change, ctx);
        expect(created?.type).toBe('customer.created');
        expect(created?.sequence).toBe(formatSequence(version + 2));
        // Not the id of the first creation at version 1 either.
        const original = buildMessages(diffCustomer(undefined, c, W), ctx)[0];
        expect(created?.id).not.toBe(original?.id);
      }),
      { seed: 171717, numRuns: 200 },
    );
  });

  it('refuses to announce a live snapshot as deleted', () => {
    const snapshot = snapshotOf(fc.sample(customer, { seed: 2, numRuns: 1 })[0] as Customer, 1);
    expect(() => buildDeletedMessage(snapshot, ctx)).toThrow(/not a tombstone/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contentHash,
  DEFAULT_WATCHED_FIELDS,
  resolveWatchedFields,
  watchedValues,
} from '../../lib/core/content-hash.ts';
import { parseCustomer } from '../../lib/core/customer.ts';
import { diffAgainstPublished, diffCustomer, pendingVersionOf } from '../../lib/core/diff.ts';
import { buildMessages } from '../../lib/core/events.ts';
import type { Change, Customer, Snapshot } from '../../lib/core/types.ts';
import { customer, respelled } from './arbitraries.ts';

const W = DEFAULT_WATCHED_FIELDS;

function parsed(value: unknown): Customer {
  const result = parseCustomer(value);
  if (!result.ok) throw new Error(result.rejection.reason);
  return result.customer;
}

function snapshotOf(c: Customer, version = 1, watched: readonly string[] = W): Snapshot {
  const fields = watchedValues(c, watched);
  return { customerId: c.id, hash: contentHash(fields), fields, version };
}

function updated(change: Change): Extract<Change, { kind: 'updated' }> {
  if (change.kind !== 'updated') throw new Error(`expected updated, got ${change.kind}`);
  return change;
}

const jane = parsed({
  id: 7,
  firstname: 'Jane',
  lastname: 'Doe',
  email: 'jane@example.com',
  phone: null,
  email_optout: 0,
  sms_optout: 0,
  created_date: '2024-03-01 10:00:00',
});

describe('diffCustomer', () => {
  it('reports a customer without a snapshot as created, at version 1', () => {
    const change = diffCustomer(undefined, jane, W);
    expect(change).toEqual({ kind: 'created', customer: jane, next: snapshotOf(jane, 1) });
  });

  it('reports the same content as unchanged, keeping the snapshot', () => {
    const snapshot = snapshotOf(jane, 5);
    expect(diffCustomer(snapshot, jane, W)).toEqual({ kind: 'unchanged', customer: jane, snapshot });
  });

  it('reports a type-only change as unchanged', () => {
    const respelled = parsed({
      ...jane,
      id: '7',
      email_optout: false,
      sms_optout: '0',
      created_date: '2024-03-01T11:00:00+01:00',
    });
    expect(diffCustomer(snapshotOf(jane, 3), respelled, W).kind).toBe('unchanged');
  });

  it.each([
    ['email', { email: 'jane@new.example' }, ['email'], { email: 'jane@example.com' }],
    ['phone from null', { phone: '555' }, ['phone'], { phone: null }],
    ['email to null', { email: null }, ['email'], { email: 'jane@example.com' }],
    [
      'two names',
      { firstname: 'J', lastname: 'D' },
      ['firstname', 'lastname'],
      { firstname: 'Jane', lastname: 'Doe' },
    ],
    [
      'created_date',
      { created_date: '2024-03-02' },
      ['created_date'],
      { created_date: '2024-03-01T10:00:00.000Z' },
    ],
  ])(
    'reports a change of %s as updated with sorted fields and their old values',
    (_, patch, fields, previous) => {
      const snapshot = snapshotOf(jane, 4);
      const next = parsed({ ...jane, ...patch });
      const change = updated(diffCustomer(snapshot, next, W));
      expect(change.changedFields).toEqual(fields);
      expect(change.previous).toEqual(previous);
      expect(change.optoutChanges).toEqual([]);
      expect(change.previousSnapshot).toBe(snapshot);
      expect(change.next).toEqual(snapshotOf(next, 5));
    },
  );

  it.each([
    ['email opts out', { email_optout: 1 }, [{ channel: 'email', optedOut: true, previousOptedOut: false }]],
    ['sms opts out', { sms_optout: '1' }, [{ channel: 'sms', optedOut: true, previousOptedOut: false }]],
  ])('reports an opt-out change when %s', (_, patch, optouts) => {
    const change = updated(diffCustomer(snapshotOf(jane), parsed({ ...jane, ...patch }), W));
    expect(change.optoutChanges).toEqual(optouts);
  });

  it('reports opting back in', () => {
    const out = parsed({ ...jane, email_optout: 1 });
    const change = updated(diffCustomer(snapshotOf(out, 2), jane, W));
    expect(change.optoutChanges).toEqual([{ channel: 'email', optedOut: false, previousOptedOut: true }]);
    expect(change.previous).toEqual({ email_optout: 1 });
  });

  it('reports both channels at once, email first, together with other fields', () => {
    const next = parsed({ ...jane, email: 'x@y', email_optout: true, sms_optout: 1 });
    const change = updated(diffCustomer(snapshotOf(jane), next, W));
    expect(change.changedFields).toEqual(['email', 'email_optout', 'sms_optout']);
    expect(change.previous).toEqual({ email: 'jane@example.com', email_optout: 0, sms_optout: 0 });
    expect(change.optoutChanges).toEqual([
      { channel: 'email', optedOut: true, previousOptedOut: false },
      { channel: 'sms', optedOut: true, previousOptedOut: false },
    ]);
  });

  it('does not count a newly watched field as a change (the watched set was widened)', () => {
    const withTags = parsed({ ...jane, tags: ['vip'] });
    const widened = resolveWatchedFields(['tags']);
    const change = diffCustomer(snapshotOf(withTags, 2, W), withTags, widened);
    expect(change.kind).toBe('unchanged');
    // ...but asks for a quiet refresh, so a later change of the new field is seen.
    if (change.kind !== 'unchanged') throw new Error('expected unchanged');
    expect(change.refresh?.version).toBe(2);
    expect(change.refresh?.fields).toHaveProperty('tags', ['vip']);
    const later = parsed({ ...jane, tags: ['gold'] });
    const after = updated(diffCustomer(change.refresh, later, widened));
    expect(after.changedFields).toEqual(['tags']);
    expect(after.previous).toEqual({ tags: ['vip'] });
  });

  it('asks for no refresh when the content hash matches', () => {
    const same = diffCustomer(snapshotOf(parsed(jane), 4, W), parsed(jane), W);
    expect(same).toMatchObject({ kind: 'unchanged' });
    expect(same.kind === 'unchanged' && same.refresh).toBeFalsy();
  });

  it('compares the other fields normally after the watched set was widened', () => {
    const old = parsed({ ...jane, tags: ['vip'] });
    const next = parsed({ ...old, email: 'new@x' });
    const change = updated(diffCustomer(snapshotOf(old, 2, W), next, resolveWatchedFields(['tags'])));
    expect(change.changedFields).toEqual(['email']);
    expect(change.next.fields).toHaveProperty('tags', ['vip']);
    expect(change.next.version).toBe(3);
  });

  it('reports a change of a watched extra field, ignoring its key order', () => {
    const watched = resolveWatchedFields(['tags']);
    const old = parsed({ ...jane, tags: { a: 1, b: 2 } });
    expect(
      diffCustomer(snapshotOf(old, 1, watched), parsed({ ...jane, tags: { b: 2, a: 1 } }), watched).kind,
    ).toBe('unchanged');
    const change = updated(
      diffCustomer(snapshotOf(old, 1, watched), parsed({ ...jane, tags: { a: 1, b: 3 } }), watched),
    );
    expect(change.changedFields).toEqual(['tags']);
    expect(change.previous).toEqual({ tags: { a: 1, b: 2 } });
  });

  it('ignores a field that is no longer watched', () => {
    const narrowed = W.filter((field) => field !== 'phone');
    expect(diffCustomer(snapshotOf(jane), parsed({ ...jane, phone: '1' }), narrowed).kind).toBe('unchanged');
  });

  it('treats another spelling of a flag in a stored snapshot as equal', () => {
    const stored = snapshotOf(jane);
    const legacy: Snapshot = {
      ...stored,
      hash: 'legacy',
      fields: { ...stored.fields, email_optout: '0', sms_optout: false },
    };
    expect(diffCustomer(legacy, jane, W).kind).toBe('unchanged');
  });

  it('throws when given the snapshot of another customer', () => {
    expect(() => diffCustomer(snapshotOf(parsed({ id: 8 })), jane, W)).toThrow(/different customer/);
  });
});

describe('diffCustomer: laws', () => {
  it('diff(x, x) is unchanged', () => {
    fc.assert(
      fc.property(customer, fc.integer({ min: 1, max: 1_000_000 }), (c, version) => {
        expect(diffCustomer(snapshotOf(c, version), c, W).kind).toBe('unchanged');
      }),
      { numRuns: 300 },
    );
  });

  it('ignores key order and type variants', () => {
    fc.assert(
      fc.property(
        customer.chain((c) => fc.tuple(fc.constant(c), respelled(c))),
        ([c, raw]) => {
          const created = diffCustomer(undefined, c, W);
          if (created.kind !== 'created') throw new Error('expected created');
          expect(diffCustomer(created.next, parsed(raw), W).kind).toBe('unchanged');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an update names exactly the differing fields, with their old values, and moves the version by one', () => {
    fc.assert(
      fc.property(customer, customer, fc.integer({ min: 1, max: 1000 }), (a, b0, version) => {
        const b: Customer = { ...b0, id: a.id };
        const change = diffCustomer(snapshotOf(a, version), b, W);
        const differing = W.filter((f) => JSON.stringify(a[f]) !== JSON.stringify(b[f])).sort();
        if (differing.length === 0) {
          expect(change.kind).toBe('unchanged');
          return;
        }
        const u = updated(change);
        expect(u.changedFields).toEqual(differing);
        expect(u.previous).toEqual(Object.fromEntries(differing.map((f) => [f, a[f]])));
        expect(u.next).toEqual(snapshotOf(b, version + 1));
        expect(u.optoutChanges.map((o) => `${o.channel}_optout`)).toEqual(
          differing.filter((f) => f.endsWith('_optout')),
        );
        for (const o of u.optoutChanges) {
          expect(o.optedOut).toBe(b[`${o.channel}_optout`] === 1);
          expect(o.previousOptedOut).toBe(!o.optedOut);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('diffAgainstPublished: what subscribers may hold', () => {
  const ctx = { appId: 'a', detectedAt: '2024-03-02T08:30:00.000Z' };
  const committed = snapshotOf(jane, 1);
  const published = parsed({ ...jane, email_optout: 1 });
  const first = updated(diffCustomer(committed, published, W));
  const withPending: Snapshot = { ...committed, pending: pendingVersionOf(first) };
  const ids = (change: Change) => buildMessages(change, ctx).map((m) => [m.id, m.sequence]);

  it('is diffCustomer when nothing is pending', () => {
    expect(diffAgainstPublished(committed, published, W)).toEqual(first);
    expect(diffAgainstPublished(undefined, jane, W)).toEqual(diffCustomer(undefined, jane, W));
  });

  it('re-sends the published change, same ids and sequence, when the same content comes back', () => {
    const again = diffAgainstPublished(withPending, published, W);
    expect(ids(again)).toEqual(ids(first));
    expect(updated(again).previous).toEqual({ email_optout: 0 });
  });

  it('treats a return to the committed content as a new change from the published one', () => {
    const back = updated(diffAgainstPublished(withPending, jane, W));
    expect(back.next.version).toBe(3);
    expect(back.previous).toEqual({ email_optout: 1 });
    expect(back.optoutChanges).toEqual([{ channel: 'email', optedOut: false, previousOptedOut: true }]);
  });

  it('diffs other content against the published content, at the next version', () => {
    const moved = updated(diffAgainstPublished(withPending, parsed({ ...published, lastname: 'Roe' }), W));
    expect(moved.next.version).toBe(3);
    expect(moved.changedFields).toEqual(['lastname']);
    expect(moved.previousSnapshot.hash).toBe(first.next.hash);
  });

  it('re-sends a pending customer.created as the same created event', () => {
    const created = diffCustomer(undefined, jane, W);
    if (created.kind !== 'created') throw new Error('expected created');
    const only: Snapshot = {
      customerId: jane.id,
      hash: '',
      fields: {},
      version: 0,
      pending: pendingVersionOf(created),
    };
    expect(ids(diffAgainstPublished(only, jane, W))).toEqual(ids(created));
    const changed = updated(diffAgainstPublished(only, parsed({ ...jane, firstname: 'Janet' }), W));
    expect(changed.next.version).toBe(2);
    expect(changed.previous).toEqual({ firstname: 'Jane' });
  });

  it('law: the same content as the pending version always rebuilds the same events', () => {
    fc.assert(
      fc.property(customer, customer, fc.integer({ min: 1, max: 1000 }), (before, after, version) => {
        const base = snapshotOf({ ...before, id: after.id }, version);
        const change = diffCustomer(base, after, W);
        if (change.kind === 'unchanged') return;
        const pending: Snapshot = { ...base, pending: pendingVersionOf(change) };
        expect(ids(diffAgainstPublished(pending, after, W))).toEqual(ids(change));
      }),
      { numRuns: 300 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { type ModelEvent, SubscriberModel, sequenceKey } from './subscriber-model.ts';

const SOURCE = 'gleantap:app/gym-1';

function event(
  id: string,
  subject: string,
  sequence: string | number,
  customer: Record<string, unknown>,
  extra: Partial<ModelEvent> & { channel?: string; opted_out?: boolean } = {},
): ModelEvent {
  const { channel, opted_out, ...rest } = extra;
  return {
    id,
    type: 'customer.updated',
    source: SOURCE,
    subject,
    sequence,
    data: {
      customer: { id: subject, ...customer },
      ...(channel !== undefined ? { channel } : {}),
      ...(opted_out !== undefined ? { opted_out } : {}),
    },
    ...rest,
  };
}

describe('sequenceKey', () => {
  it.each([
    ['000000000002', '000000000002'],
    [2, '000000000002'],
    [10, '000000000010'],
    [0, '000000000000'],
  ])('reads %j as %s', (input, want) => {
    expect(sequenceKey(input)).toBe(want);
  });

  it.each([['2'], ['0000000000002'], ['00000000000a'], [-1], [1.5]])('refuses %j', (input) => {
    expect(() => sequenceKey(input)).toThrow();
  });
});

describe('SubscriberModel', () => {
  it('applies created, updated and opt-out events by taking data.customer', () => {
    const model = new SubscriberModel();
    expect(model.apply(event('a', 'c1', '000000000001', { n: 1 }, { type: 'customer.created' }))).toBe(
      'applied',
    );
    expect(model.apply(event('b', 'c1', '000000000002', { n: 2 }))).toBe('applied');
    expect(
      model.apply(
        event(
          'c',
          'c1',
          '000000000003',
          { n: 3 },
          { type: 'customer.optout_changed', channel: 'email', opted_out: true },
        ),
      ),
    ).toBe('applied');
    expect(model.mirror(SOURCE).get('c1')).toEqual({ id: 'c1', n: 3 });
    expect(model.lastSequence(SOURCE, 'c1')).toBe('000000000003');
  });

  it('drops an id already applied', () => {
    const model = new SubscriberModel();
    model.apply(event('a', 'c1', 1, { n: 1 }));
    expect(model.apply(event('a', 'c1', 1, { n: 1 }))).toBe('duplicate');
    expect(model.counts).toEqual({ applied: 1, duplicate: 1, stale: 0 });
  });

  it('drops an event whose sequence is not above the last applied, comparing 12-digit strings', () => {
    const model = new SubscriberModel();
    model.apply(event('a', 'c1', '000000000010', { n: 10 }));
    // "9" > "10" as bare strings; the 12-digit form orders them right.
    expect(model.apply(event('b', 'c1', '000000000009', { n: 9 }))).toBe('stale');
    expect(model.apply(event('c', 'c1', '000000000010', { n: 'other' }))).toBe('stale');
    expect(model.mirror(SOURCE).get('c1')).toEqual({ id: 'c1', n: 10 });
  });

  it('orders the integer form and the string form alike', () => {
    const model = new SubscriberModel();
    model.apply(event('a', 'c1', 10, { n: 10 }));
    expect(model.apply(event('b', 'c1', '000000000009', { n: 9 }))).toBe('stale');
    expect(model.apply(event('c', 'c1', '000000000011', { n: 11 }))).toBe('applied');
  });

  it('keeps sequences per source and subject', () => {
    const model = new SubscriberModel();
    model.apply(event('a', 'c1', 5, { n: 5 }));
    expect(model.apply(event('b', 'c2', 1, { n: 1 }))).toBe('applied');
    expect(model.apply({ ...event('c', 'c1', 1, { n: 1 }), source: 'gleantap:app/other' })).toBe('applied');
    expect(model.mirror('gleantap:app/other').get('c1')).toEqual({ id: 'c1', n: 1 });
  });

  it('removes a deleted customer from the mirror but keeps its sequence', () => {
    const model = new SubscriberModel();
    model.apply(event('a', 'c1', 3, { n: 3 }));
    expect(model.apply(event('d', 'c1', 4, { n: 3 }, { type: 'customer.deleted' }))).toBe('applied');
    expect(model.mirror(SOURCE).has('c1')).toBe(false);
    expect(model.lastSequence(SOURCE, 'c1')).toBe('000000000004');
    expect(model.apply(event('late', 'c1', 3, { n: 3 }))).toBe('stale');
    expect(model.mirror(SOURCE).has('c1')).toBe(false);
    expect(model.apply(event('back', 'c1', 5, { n: 5 }, { type: 'customer.created' }))).toBe('applied');
    expect(model.mirror(SOURCE).get('c1')).toEqual({ id: 'c1', n: 5 });
  });

  it('finds a sequence that carried two contents, even when the second was dropped', () => {
    const model = new SubscriberModel();
    model.apply(event('a', 'c1', 2, { n: 'first' }));
    model.apply(event('b', 'c1', '000000000002', { n: 'second' }));
    model.apply(event('c', 'c2', 2, { n: 'same' }));
    model.apply(event('d', 'c2', 2, { n: 'same' }, { type: 'customer.optout_changed' }));
    const conflicts = model.sequenceConflicts();
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ source: SOURCE, subject: 'c1', sequence: '000000000002' });
    expect(conflicts[0]?.contents).toHaveLength(2);
  });

  it('compares contents regardless of key order', () => {
    const model = new SubscriberModel();
    model.apply(event('a', 'c1', 2, { x: 1, y: 2 }));
    model.apply(event('b', 'c1', 2, { y: 2, x: 1 }));
    expect(model.sequenceConflicts()).toEqual([]);
  });

  it('reports how the mirror differs from a population', () => {
    const model = new SubscriberModel();
    model.apply(event('a', 'c1', 1, { n: 1 }));
    model.apply(event('b', 'c2', 1, { n: 1 }));
    expect(
      model.differences(
        SOURCE,
        new Map([
          ['c1', { n: 1, id: 'c1' }],
          ['c3', { id: 'c3' }],
        ]),
      ),
    ).toEqual(['c3: missing from the mirror', 'c2: in the mirror but not in the population']);
    expect(model.differences(SOURCE, new Map([['c1', { id: 'c1', n: 2 }]]))[0]).toMatch(/other content/);
    const equal = new SubscriberModel();
    equal.apply(event('a', 'c1', 1, { n: 1 }));
    expect(equal.differences(SOURCE, new Map([['c1', { id: 'c1', n: 1 }]]))).toEqual([]);
  });

  it('records the opt-out states announced, by opt-out events and by created ones', () => {
    const model = new SubscriberModel();
    model.apply(event('a', 'c1', 1, { email_optout: 0, sms_optout: 1 }, { type: 'customer.created' }));
    model.apply(
      event(
        'b',
        'c1',
        2,
        { email_optout: 1, sms_optout: 1 },
        { type: 'customer.optout_changed', channel: 'email', opted_out: true },
      ),
    );
    // The sibling of an applied change (same sequence) still announces its state.
    model.apply(event('b-up', 'c1', 3, { email_optout: 1, sms_optout: 0 }));
    model.apply(
      event(
        'b-sms',
        'c1',
        3,
        { email_optout: 1, sms_optout: 0 },
        { type: 'customer.optout_changed', channel: 'sms', opted_out: false },
      ),
    );
    // Stale: announced to nobody.
    model.apply(
      event(
        'c',
        'c1',
        1,
        { email_optout: 0, sms_optout: 0 },
        { type: 'customer.optout_changed', channel: 'sms', opted_out: false },
      ),
    );
    expect(model.announced(SOURCE, 'c1', 'email', false)).toBe(true);
    expect(model.announced(SOURCE, 'c1', 'sms', true)).toBe(true);
    expect(model.announced(SOURCE, 'c1', 'email', true)).toBe(true);
    expect(model.optoutAnnouncements(SOURCE, 'c1')).toHaveLength(5);
    const stale = new SubscriberModel();
    stale.apply(event('x', 'c1', 5, { email_optout: 0 }));
    stale.apply(
      event(
        'y',
        'c1',
        4,
        { email_optout: 1 },
        { type: 'customer.optout_changed', channel: 'email', opted_out: true },
      ),
    );
    expect(stale.announced(SOURCE, 'c1', 'email', true)).toBe(false);
  });
});

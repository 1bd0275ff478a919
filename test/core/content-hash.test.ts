import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  contentHash,
  DEFAULT_WATCHED_FIELDS,
  resolveWatchedFields,
  watchedValues,
} from '../../lib/core/content-hash.ts';
import { parseCustomer } from '../../lib/core/customer.ts';
import type { Customer } from '../../lib/core/types.ts';
import { customer, respelled } from './arbitraries.ts';

function parsed(value: unknown): Customer {
  const result = parseCustomer(value);
  if (!result.ok) throw new Error(result.rejection.reason);
  return result.customer;
}

describe('watched fields', () => {
  it('watches every documented field except id, by default', () => {
    expect([...DEFAULT_WATCHED_FIELDS].sort()).toEqual(
      [
        'created_date',
        'email',
        'email_optout',
        'firstname',
        'last_location',
        'lastname',
        'phone',
        'sms_optout',
      ].sort(),
    );
    expect(DEFAULT_WATCHED_FIELDS).not.toContain('id');
    expect(Object.isFrozen(DEFAULT_WATCHED_FIELDS)).toBe(true);
  });

  it('adds extra fields, deduplicated and sorted', () => {
    expect(resolveWatchedFields(['tags', 'email', 'tags'])).toEqual(
      [...DEFAULT_WATCHED_FIELDS, 'tags'].sort(),
    );
    expect(resolveWatchedFields()).toEqual([...DEFAULT_WATCHED_FIELDS].sort());
  });

  it.each([[''], ['id']])('refuses to watch %j', (name) => {
    expect(() => resolveWatchedFields([name])).toThrow(Error);
  });

  it('reads absent watched fields as null and sorts nested keys', () => {
    const c = parsed({ id: '1', email: 'a@b', tags: { z: 1, a: [{ y: 2, b: 3 }] } });
    const values = watchedValues(c, ['tags', 'email', 'missing']);
    expect(values).toEqual({ email: 'a@b', missing: null, tags: { a: [{ b: 3, y: 2 }], z: 1 } });
    expect(Object.keys(values)).toEqual(['email', 'missing', 'tags']);
    expect(JSON.stringify(values.tags)).toBe('{"a":[{"b":3,"y":2}],"z":1}');
  });

  it('does not read the id or unwatched extras', () => {
    const a = parsed({ id: '1', updated_at: '2024-01-01' });
    const b = parsed({ id: '2', updated_at: '2024-02-02' });
    expect(contentHash(watchedValues(a, DEFAULT_WATCHED_FIELDS))).toBe(
      contentHash(watchedValues(b, DEFAULT_WATCHED_FIELDS)),
    );
  });
});

describe('contentHash', () => {
  const hashOf = (record: unknown, watched: readonly string[] = DEFAULT_WATCHED_FIELDS): string =>
    contentHash(watchedValues(parsed(record), watched));

  it('is lowercase sha256 hex', () => {
    expect(hashOf({ id: '1' })).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['"1" vs 1', { email_optout: '1' }, { email_optout: 1 }],
    ['true vs 1', { sms_optout: true }, { sms_optout: 1 }],
    ['null vs 0', { sms_optout: null }, { sms_optout: 0 }],
    ['false vs "0"', { email_optout: false }, { email_optout: '0' }],
    ['naive vs Z date', { created_date: '2024-03-01 10:00:00' }, { created_date: '2024-03-01T10:00:00Z' }],
    [
      'offset vs Z date',
      { created_date: '2024-03-01T12:00:00+02:00' },
      { created_date: '2024-03-01T10:00:00Z' },
    ],
    ['missing vs null email', {}, { email: null }],
    ['numeric vs string phone', { phone: 5551234 }, { phone: '5551234' }],
    ['numeric vs string id', { id: 9 }, { id: '9' }],
  ])('ignores %s', (_, a, b) => {
    expect(hashOf({ id: '1', ...a })).toBe(hashOf({ id: '1', ...b }));
  });

  it('ignores key order, also inside a watched extra field', () => {
    const a = { id: '1', email: 'x', firstname: 'A', tags: { a: 1, b: { c: 2, d: 3 } } };
    const b = { tags: { b: { d: 3, c: 2 }, a: 1 }, firstname: 'A', email: 'x', id: '1' };
    expect(hashOf(a, resolveWatchedFields(['tags']))).toBe(hashOf(b, resolveWatchedFields(['tags'])));
  });

  it.each([
    ['email', { email: 'a@x' }, { email: 'b@x' }],
    ['null vs empty email', { email: null }, { email: '' }],
    ['email_optout', { email_optout: 0 }, { email_optout: 1 }],
    ['sms_optout', { sms_optout: 0 }, { sms_optout: 1 }],
    [
      'created_date by a millisecond',
      { created_date: '2024-03-01T10:00:00.000Z' },
      { created_date: '2024-03-01T10:00:00.001Z' },
    ],
    ['name case', { firstname: 'ana' }, { firstname: 'Ana' }],
  ])('changes with %s', (_, a, b) => {
    expect(hashOf({ id: '1', ...a })).not.toBe(hashOf({ id: '1', ...b }));
  });

  it('keeps array order as content', () => {
    const watched = resolveWatchedFields(['tags']);
    expect(hashOf({ id: '1', tags: [1, 2] }, watched)).not.toBe(hashOf({ id: '1', tags: [2, 1] }, watched));
  });

  it('tells a value from its JSON text', () => {
    const watched = resolveWatchedFields(['tags']);
    expect(hashOf({ id: '1', tags: ['a'] }, watched)).not.toBe(hashOf({ id: '1', tags: '["a"]' }, watched));
  });

  it('is stable: a known record has a known hash (a change here invalidates every stored snapshot)', () => {
    expect(canonicalJson(watchedValues(parsed({ id: '1', email: 'a@b' }), DEFAULT_WATCHED_FIELDS))).toBe(
      '{"created_date":null,"email":"a@b","email_optout":0,"firstname":null,"last_location":null,"lastname":null,"phone":null,"sms_optout":0}',
    );
    expect(hashOf({ id: '1', email: 'a@b' })).toBe(
      contentHash({
        sms_optout: 0,
        phone: null,
        lastname: null,
        last_location: null,
        firstname: null,
        email_optout: 0,
        email: 'a@b',
        created_date: null,
      }),
    );
    expect(hashOf({ id: '1', email: 'a@b' })).toBe(
      '1649ef095f5385431e00fd2899f38af84c399de9573a83e7d2ffa2704568d92b',
    );
  });

  it('law: every respelling of a record has the same hash', () => {
    fc.assert(
      fc.property(
        customer.chain((c) => fc.tuple(fc.constant(c), respelled(c))),
        ([c, raw]) => {
          expect(hashOf(raw)).toBe(contentHash(watchedValues(c, DEFAULT_WATCHED_FIELDS)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('law: different watched content gives different hashes', () => {
    fc.assert(
      fc.property(customer, customer, (a, b) => {
        const va = watchedValues(a, DEFAULT_WATCHED_FIELDS);
        const vb = watchedValues(b, DEFAULT_WATCHED_FIELDS);
        expect(contentHash(va) === contentHash(vb)).toBe(canonicalJson(va) === canonicalJson(vb));
      }),
      { numRuns: 300 },
    );
  });
});

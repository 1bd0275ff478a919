import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_EXTRA_DEPTH,
  MAX_EXTRAS_SIZE,
  MAX_ID_LENGTH,
  parseCustomer,
  parseMembersPage,
} from '../../lib/core/customer.ts';
import type { Customer } from '../../lib/core/types.ts';
import { rawMember } from './arbitraries.ts';

const base = { id: '42' };

function ok(value: unknown): Customer {
  const result = parseCustomer(value);
  if (!result.ok)
    throw new Error(`expected a customer, got ${result.rejection.code}: ${result.rejection.reason}`);
  return result.customer;
}

function rejected(value: unknown): { code: string; reason: string } {
  const result = parseCustomer(value);
  if (result.ok) throw new Error('expected a rejection, got a customer');
  return result.rejection;
}

/** A value nested `levels` deep (level 1 is the value itself). */
function nested(levels: number): unknown {
  let value: unknown = {};
  for (let i = 1; i < levels; i++) value = i % 2 ? [value] : { v: value };
  return value;
}

describe('parseCustomer: limits on extra fields', () => {
  it('accepts an extra field nested exactly MAX_EXTRA_DEPTH levels', () => {
    expect(ok({ id: '1', extra: nested(MAX_EXTRA_DEPTH) }).extra).toEqual(nested(MAX_EXTRA_DEPTH));
  });

  it.each([MAX_EXTRA_DEPTH + 1, 4000, 100_000])(
    'rejects one nested %d levels as too_large, with its id',
    (n) => {
      expect(rejected({ id: '1', extra: nested(n) })).toEqual({
        code: 'too_large',
        reason: `field \`extra\` is nested deeper than ${MAX_EXTRA_DEPTH} levels`,
        customerId: '1',
      });
    },
  );

  it('accepts extras just under the size limit and rejects them just over it', () => {
    // Two keys of 1 character (3 each) plus two strings (length + 2 each).
    const half = (MAX_EXTRAS_SIZE - 3 * 2 - 2 * 2) / 2;
    expect(ok({ id: '1', a: 'x'.repeat(half), b: 'y'.repeat(half) }).b).toHaveLength(half);
    expect(rejected({ id: '1', a: 'x'.repeat(half), b: 'y'.repeat(half + 1) })).toMatchObject({
      code: 'too_large',
      reason: expect.stringContaining('`b`'),
    });
  });

  it('counts many small values against the size limit too', () => {
    const wide = Array.from({ length: MAX_EXTRAS_SIZE / 4 }, () => 1);
    expect(rejected({ id: '1', visits: wide }).code).toBe('too_large');
  });

  it('names the field, never its value, in the reason', () => {
    const secret = 'jane@example.com';
    expect(rejected({ id: '1', extra: { [secret]: nested(64) } }).reason).not.toContain(secret);
  });
});

describe('parseCustomer: id', () => {
  it.each([
    ['a string', 'abc-1', 'abc-1'],
    ['a numeric string', '00042', '00042'],
    ['a number', 42, '42'],
    ['zero', 0, '0'],
    ['negative zero', -0, '0'],
    ['the largest safe integer', Number.MAX_SAFE_INTEGER, '9007199254740991'],
    ['a string of the maximum length', 'x'.repeat(MAX_ID_LENGTH), 'x'.repeat(MAX_ID_LENGTH)],
  ])('accepts %s', (_, id, expected) => {
    expect(ok({ id }).id).toBe(expected);
  });

  it.each([
    ['missing', {}, 'missing_id'],
    ['null', { id: null }, 'missing_id'],
    ['empty', { id: '' }, 'missing_id'],
    ['a fraction', { id: 1.5 }, 'bad_id'],
    ['negative', { id: -3 }, 'bad_id'],
    ['an unsafe integer', { id: 2 ** 60 }, 'bad_id'],
    ['NaN', { id: Number.NaN }, 'bad_id'],
    ['Infinity', { id: Number.POSITIVE_INFINITY }, 'bad_id'],
    ['a boolean', { id: true }, 'bad_id'],
    ['an object', { id: { value: 1 } }, 'bad_id'],
    ['an array', { id: ['1'] }, 'bad_id'],
    ['too long', { id: 'x'.repeat(MAX_ID_LENGTH + 1) }, 'bad_id'],
  ])('rejects an id that is %s', (_, record, code) => {
    const rejection = rejected(record);
    expect(rejection.code).toBe(code);
    expect(rejection.reason).toContain('`id`');
  });
});

describe('parseCustomer: opt-out flags', () => {
  it.each([
    [0, 0],
    [1, 1],
    ['0', 0],
    ['1', 1],
    [false, 0],
    [true, 1],
    [null, 0],
    [undefined, 0],
  ])('reads %j as %d on both channels', (raw, flag) => {
    const customer = ok({ ...base, email_optout: raw, sms_optout: raw });
    expect(customer.email_optout).toBe(flag);
    expect(customer.sms_optout).toBe(flag);
  });

  it.each([[2], [-1], ['yes'], [''], [' 1'], ['true'], [0.5], [[1]], [{}]])(
    'rejects %j naming the field',
    (raw) => {
      for (const field of ['email_optout', 'sms_optout']) {
        const rejection = rejected({ ...base, [field]: raw });
        expect(rejection).toMatchObject({ code: 'bad_field' });
        expect(rejection.reason).toContain(`\`${field}\``);
      }
    },
  );
});

describe('parseCustomer: text fields', () => {
  const fields = ['firstname', 'lastname', 'email', 'phone', 'last_location'] as const;

  it.each([
    ['a string', 'Ana', 'Ana'],
    ['an empty string (kept, not null)', '', ''],
    ['a number (as its decimal string)', 5551234567, '5551234567'],
    ['null', null, null],
    ['missing', undefined, null],
  ])('reads %s', (_, raw, expected) => {
    for (const field of fields) {
      const customer = ok({ ...base, [field]: raw });
      expect(customer[field]).toBe(expected);
      expect(Object.hasOwn(customer, field)).toBe(true);
    }
  });

  it.each([[true], [{ first: 'A' }], [['A']], [Number.NaN]])('rejects %j naming the field', (raw) => {
    for (const field of fields) {
      const rejection = rejected({ ...base, [field]: raw });
      expect(rejection.code).toBe('bad_field');
      expect(rejection.reason).toContain(`\`${field}\``);
    }
  });
});

describe('parseCustomer: created_date', () => {
  it.each([
    ['ISO with Z', '2024-03-01T10:00:00Z', '2024-03-01T10:00:00.000Z'],
    ['ISO with milliseconds', '2024-03-01T10:00:00.123Z', '2024-03-01T10:00:00.123Z'],
    ['ISO with microseconds (truncated)', '2024-03-01T10:00:00.123456Z', '2024-03-01T10:00:00.123Z'],
    ['ISO with +02:00', '2024-03-01T12:00:00+02:00', '2024-03-01T10:00:00.000Z'],
    ['ISO with -0500', '2024-03-01T05:00:00-0500', '2024-03-01T10:00:00.000Z'],
    ['ISO with +05', '2024-03-01T15:00:00+05', '2024-03-01T10:00:00.000Z'],
    ['an offset crossing the day', '2024-03-01T01:00:00+02:00', '2024-02-29T23:00:00.000Z'],
    ['ISO without zone (UTC)', '2024-03-01T10:00:00', '2024-03-01T10:00:00.000Z'],
    ['ISO without seconds', '2024-03-01T10:00', '2024-03-01T10:00:00.000Z'],
    ['YYYY-MM-DD HH:MM:SS (UTC)', '2024-03-01 10:00:00', '2024-03-01T10:00:00.000Z'],
    ['YYYY-MM-DD (UTC midnight)', '2024-03-01', '2024-03-01T00:00:00.000Z'],
    ['a leap day', '2024-02-29 23:59:59', '2024-02-29T23:59:59.000Z'],
    ['surrounding whitespace', ' 2024-03-01 ', '2024-03-01T00:00:00.000Z'],
    ['a year below 100', '0050-01-01', '0050-01-01T00:00:00.000Z'],
    ['null', null, null],
    ['missing', undefined, null],
    ['empty', '', null],
    ['blank', '   ', null],
    ['the MySQL zero date', '0000-00-00 00:00:00', null],
    ['the MySQL zero day', '0000-00-00', null],
  ])('reads %s', (_, raw, expected) => {
    expect(ok({ ...base, created_date: raw }).created_date).toBe(expected);
  });

  it.each([
    ['free text', 'yesterday'],
    ['a day that does not exist', '2023-02-29'],
    ['month 13', '2024-13-01'],
    ['hour 24', '2024-03-01 24:00:00'],
    ['minute 60', '2024-03-01 10:60:00'],
    ['a US date', '03/01/2024'],
    ['a zone on a date alone', '2024-03-01Z'],
    ['an offset hour of 24', '2024-03-01T10:00:00+24:00'],
    ['a number', 1709287200],
    ['a boolean', true],
    ['an object', { date: '2024-03-01' }],
  ])('rejects %s', (_, raw) => {
    const rejection = rejected({ ...base, created_date: raw });
    expect(rejection.code).toBe('bad_field');
    expect(rejection.reason).toContain('`created_date`');
  });
});

describe('parseCustomer: the record', () => {
  it.each([
    ['null', null],
    ['an array', [{ id: 1 }]],
    ['a string', '{"id":1}'],
    ['a number', 1],
    ['a Date', new Date(0)],
    ['a Map', new Map([['id', 1]])],
  ])('rejects %s as not_an_object', (_, value) => {
    expect(rejected(value).code).toBe('not_an_object');
  });

  it('gives every documented field, null where absent, in documented order', () => {
    expect(Object.entries(ok({ id: 7 }))).toEqual([
      ['id', '7'],
      ['firstname', null],
      ['lastname', null],
      ['email', null],
      ['phone', null],
      ['last_location', null],
      ['email_optout', 0],
      ['sms_optout', 0],
      ['created_date', null],
    ]);
  });

  it('keeps unknown extra fields as they came, as copies', () => {
    const nested = { visits: [{ at: '2024-01-01', n: 2 }], flag: true };
    const customer = ok({ ...base, fulldata: nested, note: null, score: 1.5 });
    expect(customer.fulldata).toEqual(nested);
    expect(customer.fulldata).not.toBe(nested);
    expect(customer.note).toBeNull();
    expect(customer.score).toBe(1.5);
  });

  it('keeps an extra key named __proto__ as data, not as the prototype', () => {
    const customer = ok(JSON.parse('{"id":"1","__proto__":{"polluted":1}}'));
    expect(Object.getPrototypeOf(customer)).toBe(Object.prototype);
    expect(Object.hasOwn(customer, '__proto__')).toBe(true);
    expect(JSON.stringify(customer)).toContain('"__proto__":{"polluted":1}');
  });

  it('drops an extra key whose value is undefined, as JSON would', () => {
    expect(Object.hasOwn(ok({ ...base, gone: undefined }), 'gone')).toBe(false);
  });

  it.each([
    ['a function', () => 1],
    ['a bigint', 1n],
    ['NaN', Number.NaN],
    ['a nested Date', { at: new Date(0) }],
    ['a symbol', Symbol('s')],
  ])('rejects an extra field holding %s, naming the field', (_, value) => {
    const rejection = rejected({ ...base, weird_field: value });
    expect(rejection.code).toBe('bad_field');
    expect(rejection.reason).toContain('`weird_field`');
  });

  it('rejects a cyclic extra field instead of looping', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(rejected({ ...base, loop: cyclic }).code).toBe('bad_field');
  });

  it('accepts a value shared twice in one record (a DAG is not a cycle)', () => {
    const shared = { a: 1 };
    expect(ok({ ...base, x: { p: shared, q: shared } }).x).toEqual({ p: { a: 1 }, q: { a: 1 } });
  });

  it('turns a throwing getter into a rejection', () => {
    const record = Object.defineProperty({ id: '1' }, 'email', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(rejected(record).code).toBe('not_an_object');
  });

  it('never puts a field value into a rejection reason', () => {
    const secret = 'jane.doe@example.com';
    const records = [
      { id: { secret } },
      { id: '1', email_optout: secret },
      { id: '1', created_date: secret },
      { id: '1', email: { secret } },
      { id: '1', [`x_${'y'.repeat(100)}`]: () => secret },
    ];
    for (const record of records) {
      const { reason } = rejected(record);
      expect(reason).not.toContain(secret);
      expect(reason).not.toContain('jane');
      expect(reason.length).toBeLessThan(200);
    }
  });
});

describe('parseCustomer: laws', () => {
  const codes = new Set(['not_an_object', 'missing_id', 'bad_id', 'bad_field']);
  const checkTotal = (value: unknown): void => {
    const result = parseCustomer(value);
    if (result.ok) {
      expect(JSON.parse(JSON.stringify(result.customer))).toEqual(result.customer);
    } else {
      expect(codes.has(result.rejection.code)).toBe(true);
      expect(result.rejection.reason).not.toBe('');
    }
  };

  it('is total over JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), checkTotal), { numRuns: 500 });
  });

  it('is total over anything', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true }),
        checkTotal,
      ),
      {
        numRuns: 500,
      },
    );
  });

  it('is total over member-shaped objects with arbitrary field values', () => {
    const anyField = fc.oneof(fc.jsonValue(), fc.anything());
    const member = fc.record(
      {
        id: anyField,
        email: anyField,
        email_optout: anyField,
        sms_optout: anyField,
        created_date: anyField,
        firstname: anyField,
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(member, checkTotal), { numRuns: 500 });
  });

  it('accepts every spelling the contract allows, and parsing its output again is the identity', () => {
    fc.assert(
      fc.property(rawMember, (raw) => {
        const first = ok(raw);
        expect(ok(JSON.parse(JSON.stringify(first)))).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseMembersPage', () => {
  it.each([
    ['null', null, 'not a JSON object'],
    ['an array', [], 'not a JSON object'],
    ['a string', 'members', 'not a JSON object'],
    ['an object without members', { data: [] }, 'no `members`'],
    ['members that is not an array', { members: { 0: {} } }, 'not an array'],
    ['members that is null', { members: null }, 'not an array'],
  ])('fails on %s and says which', (_, body, reason) => {
    const page = parseMembersPage(body);
    expect(page.ok).toBe(false);
    if (!page.ok) expect(page.reason).toContain(reason);
  });

  it('parses valid records and turns invalid ones into rejections with their index', () => {
    const page = parseMembersPage({
      members: [{ id: 1 }, { firstname: 'No Id' }, 'junk', { id: '2', sms_optout: 'maybe' }, { id: '3' }],
    });
    expect(page).toEqual({
      ok: true,
      received: 5,
      customers: [ok({ id: '1' }), ok({ id: '3' })],
      rejections: [
        { index: 1, code: 'missing_id', reason: expect.any(String) },
        { index: 2, code: 'not_an_object', reason: expect.any(String) },
        {
          index: 3,
          code: 'bad_field',
          reason: expect.stringContaining('`sms_optout`'),
          customerId: '2',
        },
      ],
    });
  });

  it('rejects, by id, a record whose extra field nests ~4,000 levels, and keeps the rest of the page', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 4000; i++) deep = { next: deep };
    const page = parseMembersPage({ members: [{ id: 'deep', extra: deep }, { id: 'fine' }] });
    expect(page).toMatchObject({
      ok: true,
      received: 2,
      customers: [{ id: 'fine' }],
      rejections: [
        { index: 0, code: 'too_large', customerId: 'deep', reason: expect.stringContaining('`extra`') },
      ],
    });
  });

  it('accepts an empty page', () => {
    expect(parseMembersPage({ members: [] })).toEqual({
      ok: true,
      customers: [],
      rejections: [],
      received: 0,
    });
  });

  it('never throws and counts every row', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(rawMember, fc.jsonValue())), fc.jsonValue(), (members, other) => {
        const page = parseMembersPage({ members, other });
        expect(page.ok).toBe(true);
        if (page.ok) {
          expect(page.received).toBe(members.length);
          expect(page.customers.length + page.rejections.length).toBe(members.length);
        }
        expect(() => parseMembersPage(other)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });
});

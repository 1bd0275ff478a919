import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WATCHED_FIELDS } from '../../lib/core/content-hash.ts';
import { diffCustomer } from '../../lib/core/diff.ts';
import { buildMessages } from '../../lib/core/events.ts';
import {
  buildOptoutDigest,
  type DigestEntry,
  digestEntriesOf,
  digestId,
  digestSubject,
  MAX_DIGEST_LISTED,
  MAX_DIGEST_TEXT_BYTES,
  OPTOUT_DIGEST_TYPE,
} from '../../lib/core/optout-digest.ts';
import type { Customer } from '../../lib/core/types.ts';
import { customerFixture } from '../support/customer-fixture.ts';

/** Fixed so `npm test` is deterministic; fast-check prints it with any counterexample. */
const SEED = 180_118;
const DETECTED = '2026-11-30T17:40:12.345Z';

function entry(overrides: Partial<DigestEntry> & { id: string }): DigestEntry {
  const { id, ...rest } = overrides;
  return {
    eventId: `event-${id}`,
    customer: { id, firstname: `First${id}`, lastname: 'Last' },
    channel: 'email',
    optedOut: true,
    detectedAt: DETECTED,
    ...rest,
  };
}

const many = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => entry({ id: `${prefix}${i}` }));

describe('digestSubject', () => {
  it.each([
    { optOuts: 1, optIns: 0, app: 'studio-1', subject: 'Gleantap: 1 opt-out at studio-1' },
    { optOuts: 3, optIns: 0, app: 'studio-1', subject: 'Gleantap: 3 opt-outs at studio-1' },
    { optOuts: 0, optIns: 2, app: 'studio-1', subject: 'Gleantap: 2 opt-ins at studio-1' },
    { optOuts: 40, optIns: 1, app: 'a', subject: 'Gleantap: 40 opt-outs, 1 opt-in at a' },
    { optOuts: 2, optIns: 0, app: 'Zürich Yoga', subject: 'Gleantap: 2 opt-outs at Z?rich Yoga' },
    {
      optOuts: 2,
      optIns: 0,
      app: 'x\r\nBcc: evil@example.com',
      subject: 'Gleantap: 2 opt-outs at x??Bcc: evil@example.com',
    },
  ])('$optOuts out, $optIns in at $app → $subject', ({ optOuts, optIns, app, subject }) => {
    expect(digestSubject(app, optOuts, optIns)).toBe(subject);
  });

  it('stays under 100 characters for a long app id', () => {
    const subject = digestSubject('a'.repeat(500), 12, 3);
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^Gleantap: 12 opt-outs, 3 opt-ins at a+\.\.\.$/);
  });
});

describe('buildOptoutDigest', () => {
  it('is null when the page has no opt-out change', () => {
    expect(buildOptoutDigest('studio-1', [])).toBeNull();
  });

  it('lists each customer with name, channel, direction and detection time', () => {
    const digest = buildOptoutDigest('studio-1', [
      entry({ id: '7', customer: { id: '7', firstname: 'Ana', lastname: 'Silva' }, channel: 'sms' }),
      entry({ id: '9', customer: { id: '9', firstname: null, lastname: null }, optedOut: false }),
    ]);
    expect(digest?.subject).toBe('Gleantap: 1 opt-out, 1 opt-in at studio-1');
    expect(digest?.listed).toBe(2);
    expect(digest?.text.split('\n').slice(0, 7)).toEqual([
      '2 opt-out changes in Gleantap app studio-1: 1 opted out, 1 opted back in.',
      '',
      'Opted out:',
      '- Ana Silva (customer 7): opted out of SMS, detected 2026-11-30 17:40:12 UTC',
      '',
      'Opted back in:',
      '- (no name) customer 9: opted back in to email, detected 2026-11-30 17:40:12 UTC',
    ]);
    expect(digest?.text).not.toContain('more.');
    expect(digest?.text).toContain(
      `npx gleantap-notifier replay --app-id studio-1 --since ${DETECTED} --type customer.optout_changed --dry-run`,
    );
    expect(digest?.attributes).toEqual({
      type: { DataType: 'String', StringValue: OPTOUT_DIGEST_TYPE },
      app_id: { DataType: 'String', StringValue: 'studio-1' },
      digest_id: { DataType: 'String', StringValue: digest?.id },
    });
  });

  it.each([
    { n: 3, maxListed: undefined, listed: 3, more: null },
    { n: MAX_DIGEST_LISTED, maxListed: undefined, listed: MAX_DIGEST_LISTED, more: null },
    { n: MAX_DIGEST_LISTED + 1, maxListed: undefined, listed: MAX_DIGEST_LISTED, more: 1 },
    { n: 40, maxListed: 10, listed: 10, more: 30 },
    { n: 500, maxListed: undefined, listed: MAX_DIGEST_LISTED, more: 450 },
  ])('caps $n entries (maxListed $maxListed) at $listed listed', ({ n, maxListed, listed, more }) => {
    const digest = buildOptoutDigest('app', many(n), maxListed === undefined ? {} : { maxListed });
    expect(digest?.listed).toBe(listed);
    expect(digest?.text.split('\n').filter((line) => line.startsWith('- '))).toHaveLength(listed);
    if (more === null) expect(digest?.text).not.toMatch(/and \d+ more/);
    else expect(digest?.text).toContain(`... and ${more} more.`);
  });

  it('cuts the list to the byte limit and says how many it left out', () => {
    const long = Array.from({ length: 30 }, (_, i) =>
      entry({ id: `${i}`, customer: { id: `${i}`, firstname: '名'.repeat(300), lastname: null } }),
    );
    const digest = buildOptoutDigest('app', long, { maxBytes: 2048 });
    expect(Buffer.byteLength(digest?.text ?? '')).toBeLessThanOrEqual(2048);
    expect(digest?.listed).toBeGreaterThan(0);
    expect(digest?.text).toContain(`... and ${30 - (digest?.listed ?? 0)} more.`);
    // A name is cut to one readable line.
    expect(digest?.text).toContain(`- ${'名'.repeat(59)}… (customer`);
  });

  it('keeps control characters and line breaks out of every line', () => {
    const digest = buildOptoutDigest('app', [
      entry({ id: '1', customer: { id: '1\n2', firstname: 'A\u0000\r\nB', lastname: '\u202eC' } }),
    ]);
    expect(digest?.text).toContain('- A B C (customer 1 2): opted out of email');
    expect([...(digest?.text ?? '')].filter((ch) => ch !== '\n' && /[\p{Cc}\p{Cf}]/u.test(ch))).toEqual([]);
  });

  it('quotes an app id the shell would split', () => {
    const digest = buildOptoutDigest("Bob's gym", [entry({ id: '1' })]);
    expect(digest?.text).toContain(`--app-id 'Bob'\\''s gym' --since`);
  });

  it('counts an entry repeated by event id once', () => {
    const once = buildOptoutDigest('app', [entry({ id: '1' })]);
    const twice = buildOptoutDigest('app', [entry({ id: '1' }), entry({ id: '1' })]);
    expect(twice).toEqual(once);
  });

  it.each([
    { detectedAt: '2026-11-30T17:40:12' },
    { detectedAt: '2026-11-30T17:40:12+02:00' },
    { detectedAt: 'yesterday' },
  ])('throws on a detection time $detectedAt that is not UTC', ({ detectedAt }) => {
    expect(() => buildOptoutDigest('app', [entry({ id: '1', detectedAt })])).toThrow(/detectedAt/);
  });

  it.each([{ maxListed: 0 }, { maxListed: 1.5 }, { maxBytes: 100 }])('throws on limits %o', (options) => {
    expect(() => buildOptoutDigest('app', many(2), options)).toThrow(/must be/);
  });

  it('gives another id for another app or another set of events', () => {
    const base = buildOptoutDigest('app', many(3))?.id;
    expect(buildOptoutDigest('other', many(3))?.id).not.toBe(base);
    expect(buildOptoutDigest('app', many(4))?.id).not.toBe(base);
    expect(buildOptoutDigest('app', many(3, 'd'))?.id).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('digestEntriesOf', () => {
  const customer = (overrides: Partial<Customer>): Customer =>
    customerFixture('42', { firstname: 'Kim', lastname: 'Lee', ...overrides });
  const fields = DEFAULT_WATCHED_FIELDS;

  it('pairs each opt-out message of a change with its channel', () => {
    const created = diffCustomer(undefined, customer({}), fields);
    if (created.kind !== 'created') throw new Error('expected created');
    const change = diffCustomer(created.next, customer({ email_optout: 1, sms_optout: 1 }), fields);
    const messages = buildMessages(change, { appId: 'app', detectedAt: DETECTED });
    const entries = digestEntriesOf(change, messages);
    expect(entries.every((e) => e.detectedAt === DETECTED)).toBe(true);
    expect(entries.map((e) => [e.channel, e.optedOut])).toEqual([
      ['email', true],
      ['sms', true],
    ]);
    const optoutIds = messages.filter((m) => m.type === 'customer.optout_changed').map((m) => m.id);
    expect(entries.map((e) => e.eventId)).toEqual(optoutIds);
  });

  it('has none for a created customer or a change without opt-outs', () => {
    const created = diffCustomer(undefined, customer({ email_optout: 1 }), fields);
    expect(digestEntriesOf(created, buildMessages(created, { appId: 'a', detectedAt: DETECTED }))).toEqual(
      [],
    );
    if (created.kind !== 'created') throw new Error('expected created');
    const renamed = diffCustomer(created.next, customer({ email_optout: 1, firstname: 'Kym' }), fields);
    expect(digestEntriesOf(renamed, buildMessages(renamed, { appId: 'a', detectedAt: DETECTED }))).toEqual(
      [],
    );
  });
});

describe('laws (fast-check, fixed seed)', () => {
  const arbitraryEntry = fc.record({
    eventId: fc.string({ minLength: 1, maxLength: 12 }),
    customer: fc.record({
      id: fc.string({ minLength: 1, maxLength: 20 }),
      firstname: fc.option(fc.string({ maxLength: 80 }), { nil: null }),
      lastname: fc.option(fc.string({ unit: 'grapheme', maxLength: 80 }), { nil: null }),
    }),
    channel: fc.constantFrom<'email' | 'sms'>('email', 'sms'),
    optedOut: fc.boolean(),
    detectedAt: fc
      .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
      .map((ms) => new Date(ms).toISOString()),
  });
  const input = fc.record({
    appId: fc.string({ minLength: 1, maxLength: 120 }),
    entries: fc.array(arbitraryEntry, { minLength: 1, maxLength: 120 }),
    maxListed: fc.integer({ min: 1, max: 80 }),
    maxBytes: fc.integer({ min: 1024, max: 2 * MAX_DIGEST_TEXT_BYTES }),
  });

  it('every digest keeps its limits and accounts for every entry', () => {
    fc.assert(
      fc.property(input, ({ appId, entries, maxListed, maxBytes }) => {
        const digest = buildOptoutDigest(appId, entries, { maxListed, maxBytes });
        const unique = new Set(entries.map((e) => e.eventId)).size;
        expect(digest).not.toBeNull();
        if (digest === null) return;
        expect(digest.subject.length).toBeLessThan(100);
        expect(digest.subject).toMatch(/^Gleantap: [\x20-\x7e]+$/);
        expect(Buffer.byteLength(digest.text)).toBeLessThanOrEqual(maxBytes);
        expect(digest.listed).toBeLessThanOrEqual(Math.min(maxListed, unique));
        expect(digest.text.split('\n').filter((line) => line.startsWith('- '))).toHaveLength(digest.listed);
        const omitted = unique - digest.listed;
        if (omitted > 0) expect(digest.text).toContain(`... and ${omitted} more.`);
        else expect(digest.text).not.toContain(' more.\n');
        expect(digest.eventIds).toHaveLength(unique);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('the id and text depend on the set of entries, not their order', () => {
    fc.assert(
      fc.property(
        input.chain((i) =>
          fc.tuple(fc.constant(i), fc.shuffledSubarray(i.entries, { minLength: i.entries.length })),
        ),
        ([{ appId, entries }, shuffled]) => {
          // Entries are told apart by event id: give each its own so order is all that differs.
          const own = entries.map((e, index) => ({ ...e, eventId: `${index}` }));
          const reordered = shuffled.map((e) => own[entries.indexOf(e)] ?? e);
          const a = buildOptoutDigest(appId, own);
          const b = buildOptoutDigest(appId, reordered);
          expect(b?.id).toBe(a?.id);
          expect(b?.text).toBe(a?.text);
          expect(a?.id).toBe(
            digestId(
              appId,
              own.map((e) => e.eventId),
            ),
          );
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });
});

/**
 * Bad input from getCustomers, generated with fast-check: random JSON, wrong types, missing and
 * duplicate ids, huge strings, deep nesting, invalid UTF-8 bytes, cut-off and HTML bodies.
 *
 * Counts (the default run stays within its time budget; raise them with FUZZ_PARSE_RUNS and
 * FUZZ_POLL_RUNS; the seed is fixed, FUZZ_SEED draws another):
 * - PARSE_RUNS bodies (default 10,000) through decoding as the client decodes (UTF-8 with
 *   replacement), JSON.parse and parseMembersPage;
 * - POLL_RUNS bodies (default 1,000) through the whole poll: served raw by a tiny HTTP server on
 *   127.0.0.1 to the real Gleantap client, and pollApp over a MemoryStateStore and a recording
 *   publisher (one server and one client for all of them).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WATCHED_FIELDS } from '../../lib/core/content-hash.ts';
import { parseMembersPage } from '../../lib/core/customer.ts';
import type { OutboundMessage } from '../../lib/core/types.ts';
import { createGleantapClient, type GleantapClient } from '../../lib/gleantap/client.ts';
import { pollApp } from '../../lib/poll.ts';
import type { EventPublisher } from '../../lib/ports.ts';
import { recordingLog } from '../support/harness.ts';
import { MemoryStateStore } from '../support/memory-state-store.ts';

const PARSE_RUNS = Number(process.env.FUZZ_PARSE_RUNS ?? 10_000);
const POLL_RUNS = Number(process.env.FUZZ_POLL_RUNS ?? 1000);
/** Fixed, so `npm test` is deterministic; fast-check prints the seed and path of a failure. */
const SEED = Number(process.env.FUZZ_SEED || 1130);
const params = (numRuns: number) => ({ numRuns, seed: SEED });

const idPool = fc.constantFrom<unknown>('1', '2', 1, 2, '3', 'a');
const wrongType = fc.oneof(
  fc.boolean(),
  fc.double(),
  fc.constant(null),
  fc.constant(''),
  fc.array(fc.nat(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.nat(), { maxKeys: 2 }),
  fc.integer({ min: -1_000_000, max: -1 }),
  fc.constant(2 ** 60),
  fc.string({ maxLength: 300 }),
);
const anyField = fc.oneof(wrongType, fc.string({ maxLength: 20 }), fc.nat(), fc.constantFrom(0, 1, '0', '1'));

/** A member-like record: lenient variants, wrong types, missing or repeated ids, extras. */
const member = fc.oneof(
  fc.record(
    {
      id: fc.oneof(idPool, fc.nat(), fc.string({ maxLength: 12 }), wrongType),
      firstname: anyField,
      lastname: anyField,
      email: anyField,
      phone: anyField,
      last_location: anyField,
      email_optout: anyField,
      sms_optout: anyField,
      created_date: fc.oneof(anyField, fc.constantFrom('2024-03-01 10:00:00', '2024-13-45', '0000-00-00')),
      extra: fc.jsonValue({ maxDepth: 3 }),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A JSON value as text; some pages, some anything. */
const jsonText = fc.oneof(
  { weight: 5, arbitrary: fc.array(member, { maxLength: 25 }).map((members) => JSON.stringify({ members })) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: fc.jsonValue({ maxDepth: 2 }).map((members) => JSON.stringify({ members, status: true })),
  },
  {
    weight: 1,
    // Huge strings: a long name or id among normal rows.
    arbitrary: fc
      .tuple(fc.integer({ min: 1_000, max: 400_000 }), fc.constantFrom('id', 'firstname', 'extra'))
      .map(([n, field]) => JSON.stringify({ members: [{ id: '9', [field]: 'x'.repeat(n) }, { id: '10' }] })),
  },
  {
    weight: 1,
    // Deep nesting: inside a record's extra field, or as the whole body.
    arbitrary: fc.tuple(fc.integer({ min: 10, max: 20_000 }), fc.boolean()).map(([depth, inRecord]) => {
      const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      return inRecord ? `{"members":[{"id":"d","extra":${deep}},{"id":"e"}]}` : deep;
    }),
  },
);

/** Bytes on the wire: the text as UTF-8, then maybe damaged. */
const body = fc
  .tuple(
    jsonText,
    fc.oneof(
      fc.constant('intact' as const),
      fc.constant('truncated' as const),
      fc.constant('bad-utf8' as const),
      fc.constant('html' as const),
      fc.constant('random-bytes' as const),
    ),
    fc.nat(),
    fc.uint8Array({ maxLength: 64 }),
  )
  .map(([text, damage, n, bytes]) => {
    const utf8 = Buffer.from(text, 'utf8');
    switch (damage) {
      case 'intact':
        return utf8;
      case 'truncated':
        return utf8.subarray(0, n % Math.max(1, utf8.length));
      case 'bad-utf8': {
        // Invalid sequences inside the first string: a lone continuation byte, a cut 2-byte
        // sequence, an encoded surrogate, an overlong slash.
        const quote = utf8.indexOf(0x22);
        const at = quote < 0 ? 0 : quote + 1;
        const junk = [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x80, 0x80]][n % 5] ?? [0xff];
        return Buffer.concat([utf8.subarray(0, at), Buffer.from(junk), utf8.subarray(at)]);
      }
      case 'html':
        return Buffer.from(`<html><body>502 Bad Gateway</body></html>${text.slice(0, 50)}`);
      default:
        return Buffer.from(bytes);
    }
  });

/** What the client makes of the bytes: undici's body.text() decodes UTF-8 with replacement. */
function decode(bytes: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8').decode(bytes));
  } catch {
    return undefined;
  }
}

describe(`getCustomers bodies through parsing (${PARSE_RUNS} cases)`, () => {
  it('never throws, accounts for every row, and rejects what is not a page', () => {
    fc.assert(
      fc.property(body, (bytes) => {
        const json = decode(bytes);
        const page = parseMembersPage(json);
        const members =
          typeof json === 'object' && json !== null && !Array.isArray(json) && 'members' in json
            ? json.members
            : undefined;
        if (!Array.isArray(members)) {
          expect(page.ok).toBe(false);
          return;
        }
        if (!page.ok) throw new Error(`a members array was refused: ${page.reason}`);
        expect(page.received).toBe(members.length);
        expect(page.customers.length + page.rejections.length).toBe(members.length);
        const indexes = page.rejections.map((r) => r.index);
        expect(new Set(indexes).size).toBe(indexes.length);
        for (const index of indexes) expect(index >= 0 && index < members.length).toBe(true);
        for (const customer of page.customers) {
          expect(typeof customer.id).toBe('string');
          expect(customer.id).not.toBe('');
          expect([0, 1]).toContain(customer.email_optout);
          expect([0, 1]).toContain(customer.sms_optout);
        }
        for (const rejection of page.rejections) {
          // A reason names the field, never the value: no long or raw content in it.
          expect(rejection.reason.length).toBeLessThan(200);
        }
      }),
      params(PARSE_RUNS),
    );
  });
});

describe(`getCustomers bodies through the whole poll (${POLL_RUNS} cases)`, () => {
  let server: Server;
  let client: GleantapClient;
  let current = Buffer.from('{"members":[]}');
  const BASELINE = Buffer.from(
    JSON.stringify({
      members: [
        { id: '1', firstname: 'Base', email_optout: 0 },
        { id: '2', firstname: 'Line', sms_optout: '1' },
      ],
    }),
  );

  beforeAll(async () => {
    // The first page (offset 0) is the body under test; any later page is empty.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const offset =
          typeof request === 'object' && request !== null && 'offset' in request ? request.offset : 0;
        const payload = offset === 0 ? current : Buffer.from('{"members":[]}');
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length });
        res.end(payload);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    client = createGleantapClient({
      baseUrl: `http://127.0.0.1:${address.port}`,
      apiKey: 'fuzz-api-key',
      secretKey: 'fuzz-secret-key',
      // One attempt: a bad body is definite here, and retries would only repeat it.
      retry: { maxAttempts: 1 },
      sleep: async () => {},
    });
  });
  afterAll(async () => {
    await client?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('returns a summary for every body; a body that is not a page fails the poll and advances nothing', async () => {
    let published: OutboundMessage[] = [];
    const publisher: EventPublisher = {
      async publish(messages) {
        published.push(...messages);
        return { published: messages.map((m) => m.id), failed: [] };
      },
    };
    const options = (owner: string) => ({
      appId: 'fuzz-app',
      owner,
      lookbackDays: 1,
      pageSize: 1000,
      watchedFields: DEFAULT_WATCHED_FIELDS,
    });
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        const store = new MemoryStateStore();
        const log = recordingLog();
        const deps = { source: client, store, publisher, log, clock: () => new Date() };
        current = BASELINE;
        const baseline = await pollApp(deps, options('baseline'));
        expect(baseline.outcome).toBe('complete');
        const stateBefore = structuredClone(await store.getPollState('fuzz-app'));
        const snapshotsBefore = structuredClone([...store.snapshots]);
        published = [];

        current = bytes;
        const summary = await pollApp(deps, options('fuzz'));
        const page = parseMembersPage(decode(bytes));
        const state = await store.getPollState('fuzz-app');
        expect(state?.lease).toBeNull();
        if (!page.ok) {
          expect(summary.outcome).toBe('failed');
          expect(summary.error).toBeTruthy();
          expect(state?.watermark).toBe(stateBefore?.watermark);
          // The failed scan may be kept for the next poll to resume, but at offset 0 with nothing counted.
          if (state?.checkpoint) {
            expect(state.checkpoint.offset).toBe(stateBefore?.checkpoint?.offset ?? 0);
            expect(state.checkpoint.totals.fetched).toBe(0);
            expect(state.checkpoint.dirty).toBe(false);
          }
          expect([...store.snapshots]).toEqual(snapshotsBefore);
          expect(published).toEqual([]);
          return;
        }
        expect(summary.outcome, summary.error).toBe('complete');
        expect(summary.fetched).toBe(page.received);
        // Invalid: the rows parsing rejected, plus customers whose change SNS could not carry
        // (all or nothing: each is logged by id and none of its events was published).
        const oversize = log.lines.filter((l) => l.includes('change SNS cannot accept')).length;
        expect(summary.invalid).toBe(page.rejections.length + oversize);
        for (const m of published) expect(m.message.length).toBeLessThanOrEqual(262_144);
        expect(summary.published).toBe(published.length);
        if (page.rejections.length > 0)
          expect(log.lines.join('\n')).toContain('Skipped invalid customer records');
      }),
      params(POLL_RUNS),
    );
  }, 240_000);
});

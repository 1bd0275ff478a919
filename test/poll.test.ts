import { describe, expect, it } from 'vitest';
import { DEFAULT_WATCHED_FIELDS } from '../lib/core/content-hash.ts';
import { parseCustomer } from '../lib/core/customer.ts';
import type { Customer, OutboundMessage } from '../lib/core/types.ts';
import { LEASE_GRACE_MS, type PollOptions, pollApp } from '../lib/poll.ts';
import type { CustomerPage, CustomerSource, EventPublisher, PageRequest } from '../lib/ports.ts';
import { silentLog } from './support/harness.ts';
import { MemoryStateStore } from './support/memory-state-store.ts';

function customer(id: number, location = 'Downtown'): Customer {
  const parsed = parseCustomer({
    id,
    firstname: 'A',
    lastname: 'B',
    email: null,
    phone: null,
    last_location: location,
    email_optout: 0,
    sms_optout: 0,
  });
  if (!parsed.ok) throw new Error('fixture');
  return parsed.customer;
}

/** Pages over an in-memory list; `failAt` makes the page at that offset throw. */
function listSource(
  rows: () => Customer[],
  options: { failAt?: number } = {},
): CustomerSource & { requests: PageRequest[] } {
  const requests: PageRequest[] = [];
  return {
    requests,
    async *pages(request: PageRequest): AsyncIterable<CustomerPage> {
      requests.push(request);
      for (let offset = request.startOffset; ; offset += request.pageSize) {
        if (options.failAt === offset) throw new Error(`page at offset ${offset} was not a valid response`);
        const customers = rows().slice(offset, offset + request.pageSize);
        yield { offset, received: customers.length, customers, rejections: [] };
        if (customers.length === 0) return;
      }
    },
  };
}

function recordingPublisher(
  failIds: (m: OutboundMessage) => boolean = () => false,
  permanent = false,
): EventPublisher & { sent: OutboundMessage[] } {
  const sent: OutboundMessage[] = [];
  return {
    sent,
    async publish(messages) {
      const failed = messages.filter(failIds).map((m) => ({ id: m.id, reason: 'injected', permanent }));
      const ok = messages.filter((m) => !failIds(m));
      sent.push(...ok);
      return { published: ok.map((m) => m.id), failed };
    },
  };
}

const options = (overrides: Partial<PollOptions> = {}): PollOptions => ({
  appId: 'app',
  owner: 'me',
  lookbackDays: 1,
  pageSize: 10,
  watchedFields: DEFAULT_WATCHED_FIELDS,
  ...overrides,
});

describe('pollApp over in-memory ports', () => {
  it('keeps the watermark and re-reads the window when a change could not be published', async () => {
    let rows = Array.from({ length: 25 }, (_, i) => customer(i));
    const store = new MemoryStateStore();
    const ok = recordingPublisher();
    const source = listSource(() => rows);
    await pollApp({ source, store, publisher: ok, log: silentLog, clock: () => new Date() }, options());
    const watermark = (await store.getPollState('app'))?.watermark;
    expect(watermark).toBeTruthy();

    rows = rows.map((c, i) => (i === 3 || i === 17 ? customer(i, 'Elsewhere') : c));
    const flaky = recordingPublisher((m) => m.customerId === '17');
    const failed = await pollApp(
      { source, store, publisher: flaky, log: silentLog, clock: () => new Date() },
      options(),
    );
    expect(failed).toMatchObject({ outcome: 'failed', complete: true, published: 1, unpublished: 1 });
    expect(failed.error).toMatch(/watermark stays/);
    const state = await store.getPollState('app');
    expect(state?.watermark).toBe(watermark);
    expect(state?.checkpoint).toBeNull();
    expect(state?.lease).toBeNull();

    // The next poll finds only what was left and completes.
    const retry = await pollApp(
      { source, store, publisher: ok, log: silentLog, clock: () => new Date() },
      options(),
    );
    expect(retry).toMatchObject({ outcome: 'complete', updated: 1, published: 1 });
    expect(ok.sent.at(-1)?.customerId).toBe('17');
  });

  it('a customer whose event SNS can never accept is rejected, not allowed to block the watermark', async () => {
    let rows = Array.from({ length: 12 }, (_, i) => customer(i));
    const store = new MemoryStateStore();
    const source = listSource(() => rows);
    const clockAt = (iso: string) => () => new Date(iso);
    await pollApp(
      {
        source,
        store,
        publisher: recordingPublisher(),
        log: silentLog,
        clock: clockAt('2026-01-01T00:00:00Z'),
      },
      options(),
    );
    rows = rows.map((c, i) => (i === 2 || i === 5 ? customer(i, 'Moved') : c));
    const oversize = recordingPublisher((m) => m.customerId === '5', true);
    const result = await pollApp(
      { source, store, publisher: oversize, log: silentLog, clock: clockAt('2026-01-02T00:00:00Z') },
      options(),
    );
    expect(result).toMatchObject({ outcome: 'complete', invalid: 1, published: 1, unpublished: 0 });
    expect((await store.getPollState('app'))?.watermark).toBe('2026-01-02T00:00:00.000Z');
    expect(store.snapshots.get('app#5')?.version).toBe(1);
    expect(store.snapshots.get('app#2')?.version).toBe(2);
  });

  it('a page that fails leaves the checkpoint at the last handled page and the snapshots untouched', async () => {
    const rows = Array.from({ length: 35 }, (_, i) => customer(i));
    const store = new MemoryStateStore();
    const publisher = recordingPublisher();
    const result = await pollApp(
      {
        source: listSource(() => rows, { failAt: 20 }),
        store,
        publisher,
        log: silentLog,
        clock: () => new Date(),
      },
      options({ checkpointIntervalMs: 0 }),
    );
    expect(result).toMatchObject({ outcome: 'failed', mode: 'baseline', fetched: 20 });
    expect(result.error).toMatch(/offset 20/);
    const state = await store.getPollState('app');
    expect(state?.watermark).toBeNull();
    expect(state?.checkpoint).toMatchObject({ mode: 'baseline', offset: 20 });
    expect(store.snapshots.size).toBe(20);

    const source = listSource(() => rows);
    const resumed = await pollApp(
      { source, store, publisher, log: silentLog, clock: () => new Date() },
      options(),
    );
    // The resumed invocation re-reads the last page it handled (rows may have moved while it
    // was paused), then the 15 it had not read.
    expect(resumed).toMatchObject({ outcome: 'complete', fetched: 25 });
    expect(source.requests[0]?.startOffset).toBe(10);
    expect(store.snapshots.size).toBe(35);
  });

  it('processes a customer repeated within a page once, with its last row', async () => {
    const store = new MemoryStateStore();
    const publisher = recordingPublisher();
    const page: CustomerPage = {
      offset: 0,
      received: 3,
      customers: [customer(1, 'First'), customer(2), customer(1, 'Last')],
      rejections: [],
    };
    const source: CustomerSource = {
      async *pages() {
        yield page;
      },
    };
    await pollApp(
      { source, store, publisher, log: silentLog, clock: () => new Date() },
      options({ emitBaseline: true }),
    );
    expect(publisher.sent.filter((m) => m.customerId === '1')).toHaveLength(1);
    expect(store.snapshots.get('app#1')?.fields.last_location).toBe('Last');
  });

  it('with a deadline, the lease ends a grace period after it, not 15 minutes on', async () => {
    const store = new MemoryStateStore();
    const now = new Date('2026-05-01T00:00:00Z');
    const deadline = new Date(now.getTime() + 200_000);
    let leaseSeen: string | undefined;
    const source: CustomerSource = {
      async *pages() {
        leaseSeen = (await store.getPollState('app'))?.lease?.expiresAt;
        yield { offset: 0, received: 0, customers: [], rejections: [] };
      },
    };
    await pollApp(
      { source, store, publisher: recordingPublisher(), log: silentLog, clock: () => now },
      options({ deadline }),
    );
    expect(leaseSeen).toBe(new Date(deadline.getTime() + LEASE_GRACE_MS).toISOString());
  });

  it('reports a state store failure at the start or the end as a failed poll instead of throwing', async () => {
    const deps = (store: MemoryStateStore) => ({
      source: listSource(() => [customer(1)]),
      store,
      publisher: recordingPublisher(),
      log: silentLog,
      clock: () => new Date(),
    });
    const down = new MemoryStateStore();
    down.acquireLease = () => Promise.reject(new Error('ProvisionedThroughputExceededException'));
    const atStart = await pollApp(deps(down), options());
    expect(atStart).toMatchObject({ outcome: 'failed', fetched: 0 });
    expect(atStart.error).toMatch(/Could not start the poll: ProvisionedThroughput/);

    const flaky = new MemoryStateStore();
    flaky.endScan = () => Promise.reject(new Error('InternalServerError'));
    const atEnd = await pollApp(deps(flaky), options());
    expect(atEnd).toMatchObject({ outcome: 'failed', fetched: 1 });
    expect(atEnd.error).toMatch(/Could not record the end of the poll/);
    expect((await flaky.getPollState('app'))?.watermark).toBeNull();
    expect((await flaky.getPollState('app'))?.lease).toBeNull();
  });

  it('exits without reading anything when another owner holds the lease', async () => {
    const store = new MemoryStateStore();
    await store.acquireLease('app', 'other', new Date(), 60_000);
    const source = listSource(() => [customer(1)]);
    const result = await pollApp(
      { source, store, publisher: recordingPublisher(), log: silentLog, clock: () => new Date() },
      options(),
    );
    expect(result).toMatchObject({ outcome: 'lease_held', fetched: 0, complete: false });
    expect(source.requests).toHaveLength(0);
    expect((await store.getPollState('app'))?.lease?.owner).toBe('other');
  });
});

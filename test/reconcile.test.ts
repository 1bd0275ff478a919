import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../dev/local-stack.ts';
import { DynamoReconcileStore } from '../lib/aws/dynamo-reconcile-store.ts';
import { parseCustomer } from '../lib/core/customer.ts';
import type { GleantapNotifierEvent } from '../lib/core/event-types.ts';
import { pollApp } from '../lib/poll.ts';
import type { CustomerSource } from '../lib/ports.ts';
import { type ReconcileOptions, reconcileApp } from '../lib/reconcile.ts';
import { type Harness, startHarness } from './support/harness.ts';
import { SubscriberModel } from './support/subscriber-model.ts';

const APPS = ['del-basic', 'del-outage', 'del-partial', 'del-back', 'del-crash', 'del-drift', 'del-resume'];

describe('reconciliation against dynalite, the SNS stand-in and the simulator', () => {
  let h: Harness;
  let client: DynamoDBClient;
  let reconcileStore: DynamoReconcileStore;

  beforeAll(async () => {
    h = await startHarness({ appIds: APPS });
    client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: h.stack.dynamodbEndpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    reconcileStore = new DynamoReconcileStore({ client, tableName: h.stack.tableName });
  });
  afterAll(async () => {
    client.destroy();
    await h.close();
  });

  const reconcile = (appId: string, overrides: Partial<ReconcileOptions> = {}, source?: CustomerSource) => {
    const deps = h.deps();
    return reconcileApp(
      { ...deps, ...(source ? { source } : {}), reconcileStore, sleep: async () => {} },
      { appId, owner: `rec-${Math.random().toString(36).slice(2)}`, pageSize: 10, ...overrides },
    );
  };
  const poll = async (appId: string) => {
    const summary = await pollApp(h.deps(), h.options(appId, { pageSize: 10 }));
    expect(summary.outcome).toBe('complete');
    return summary;
  };
  const eventsOf = (appId: string): GleantapNotifierEvent[] =>
    h.events().filter((e) => e.data.app_id === appId);
  /** The simulator's population, parsed as the events carry it: what a mirror must equal. */
  const population = (appId: string): Map<string, unknown> => {
    const expected = new Map<string, unknown>();
    for (const raw of h.stack.gleantap.app(appId).members()) {
      const parsed = parseCustomer(raw);
      if (parsed.ok) expected.set(parsed.customer.id, parsed.customer);
    }
    return expected;
  };
  const judge = (appId: string) => {
    const model = new SubscriberModel();
    model.applyAll(eventsOf(appId));
    expect(model.differences(`gleantap:app/${appId}`, population(appId))).toEqual([]);
    expect(model.sequenceConflicts()).toEqual([]);
    return model;
  };

  it('announces a customer deleted after two complete scans missed it, once, with its last record', async () => {
    const app = h.stack.gleantap.app('del-basic');
    const ids = app.seed(30);
    await pollApp(h.deps(), h.options('del-basic', { pageSize: 10, emitBaseline: true }));
    const gone = ids[7] ?? '';
    const last = app.get(gone);
    app.remove(gone);

    const first = await reconcile('del-basic');
    expect(first).toMatchObject({ outcome: 'conclusive', live: 30, missing: 1, deleted: 0, seen: 29 });
    expect(eventsOf('del-basic').filter((e) => e.type === 'customer.deleted')).toEqual([]);

    const second = await reconcile('del-basic');
    expect(second).toMatchObject({ outcome: 'conclusive', live: 30, missing: 1, deleted: 1 });
    const deleted = eventsOf('del-basic').filter((e) => e.type === 'customer.deleted');
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ subject: gone, sequence: '000000000002' });
    const parsedLast = parseCustomer(last);
    if (!parsedLast.ok) throw new Error('bad seed');
    const { id: _id, ...lastFields } = parsedLast.customer;
    expect(deleted[0]?.data.customer).toEqual({ id: gone, ...lastFields });

    // Never announced twice.
    const third = await reconcile('del-basic');
    expect(third).toMatchObject({ outcome: 'conclusive', live: 29, missing: 0, deleted: 0 });
    expect(eventsOf('del-basic').filter((e) => e.type === 'customer.deleted')).toHaveLength(1);
    judge('del-basic');
  });

  it('a reconciliation over pages that came back empty by mistake (an API outage) deletes nothing', async () => {
    const app = h.stack.gleantap.app('del-outage');
    app.seed(30);
    await poll('del-outage');
    const before = eventsOf('del-outage').length;
    h.stack.gleantap.faults.add({ kind: 'empty', page: 'first', appId: 'del-outage', times: 3 });
    for (let run = 0; run < 3; run++) {
      const summary = await reconcile('del-outage');
      expect(summary).toMatchObject({ outcome: 'refused', live: 30, missing: 30, deleted: 0 });
      expect(summary.error).toMatch(/30 of 30/);
    }
    expect(await reconcile('del-outage')).toMatchObject({ outcome: 'conclusive', missing: 0, deleted: 0 });
    expect(eventsOf('del-outage')).toHaveLength(before);
  });

  it('one page lost under the threshold makes suspects, not deletions', async () => {
    const app = h.stack.gleantap.app('del-partial');
    app.seed(200);
    await poll('del-partial');
    const before = eventsOf('del-partial').length;
    // The page at offset 190 comes back empty once: the scan ends 10 customers short (5 %).
    h.stack.gleantap.faults.add({ kind: 'empty', page: 190, appId: 'del-partial' });
    expect(await reconcile('del-partial')).toMatchObject({ outcome: 'conclusive', missing: 10, deleted: 0 });
    expect(await reconcile('del-partial')).toMatchObject({ outcome: 'conclusive', missing: 0, deleted: 0 });
    expect(eventsOf('del-partial')).toHaveLength(before);
  });

  it('a customer deleted and re-created gets deleted, then created, in order and with rising sequences', async () => {
    const app = h.stack.gleantap.app('del-back');
    const ids = app.seed(20);
    await pollApp(h.deps(), h.options('del-back', { pageSize: 10, emitBaseline: true }));
    const id = ids[3] ?? '';
    const record = app.get(id);
    app.remove(id);
    await reconcile('del-back');
    await reconcile('del-back');
    app.create({ ...record, id });
    await poll('del-back');
    const mine = eventsOf('del-back').filter((e) => e.subject === id);
    expect(mine.map((e) => [e.type, e.sequence])).toEqual([
      ['customer.created', '000000000001'],
      ['customer.deleted', '000000000002'],
      ['customer.created', '000000000003'],
    ]);
    const model = judge('del-back');
    expect(model.mirror(`gleantap:app/del-back`).has(id)).toBe(true);
  });

  it('a crash between tombstone and publish is finished by the next run with the same event id', async () => {
    const app = h.stack.gleantap.app('del-crash');
    const ids = app.seed(20);
    await pollApp(h.deps(), h.options('del-crash', { pageSize: 10, emitBaseline: true }));
    const gone = ids[0] ?? '';
    app.remove(gone);
    await reconcile('del-crash');
    const crashed = await reconcile('del-crash', {
      onStep: (step) => {
        if (step === 'tombstoned') throw new Error('crash after the tombstone');
      },
    });
    expect(crashed.outcome).toBe('failed');
    expect(eventsOf('del-crash').filter((e) => e.type === 'customer.deleted')).toEqual([]);
    const dry = await reconcile('del-crash', { dryRun: true });
    expect(dry.deleted).toBe(0);

    const next = await reconcile('del-crash');
    expect(next).toMatchObject({ outcome: 'conclusive', deleted: 1 });
    const deleted = eventsOf('del-crash').filter((e) => e.type === 'customer.deleted');
    expect(deleted.map((e) => [e.subject, e.sequence])).toEqual([[gone, '000000000002']]);
    expect(await reconcile('del-crash')).toMatchObject({ deleted: 0 });
    judge('del-crash');
  });

  it('a scan that saw rows move (an id twice) deletes nobody and keeps the suspects', async () => {
    const app = h.stack.gleantap.app('del-drift');
    const ids = app.seed(30);
    await pollApp(h.deps(), h.options('del-drift', { pageSize: 10, emitBaseline: true }));
    const gone = ids[25] ?? '';
    app.remove(gone);
    expect(await reconcile('del-drift')).toMatchObject({ outcome: 'conclusive', missing: 1, deleted: 0 });
    h.stack.gleantap.faults.add({ kind: 'drift', page: 10, appId: 'del-drift', insert: 2 });
    expect(await reconcile('del-drift')).toMatchObject({ outcome: 'inconclusive', deleted: 0 });
    await poll('del-drift');
    // The suspects survived the inconclusive run: the next clean one deletes.
    expect(await reconcile('del-drift')).toMatchObject({ outcome: 'conclusive', deleted: 1 });
    judge('del-drift');
  });

  it('a scan cut by its deadline resumes from its recorded pages in the next invocation', async () => {
    const app = h.stack.gleantap.app('del-resume');
    const ids = app.seed(50);
    await pollApp(h.deps(), h.options('del-resume', { pageSize: 10, emitBaseline: true }));
    app.remove(ids[45] ?? '');
    await reconcile('del-resume');
    // A source that lets two pages through, then the clock passes the deadline.
    const deadline = new Date(Date.now() + 3_600_000);
    let served = 0;
    const base = h.deps().source;
    const counting: CustomerSource = {
      async *pages(request) {
        for await (const page of base.pages(request)) {
          served++;
          yield page;
        }
      },
    };
    const late = () => (served >= 2 ? new Date(deadline.getTime() + 1) : new Date());
    const cut = await reconcileApp(
      { ...h.deps({ clock: late }), source: counting, reconcileStore, sleep: async () => {} },
      { appId: 'del-resume', owner: 'rec-cut', pageSize: 10, deadline },
    );
    expect(cut).toMatchObject({ outcome: 'incomplete', fetched: 10 });
    const starts: number[] = [];
    const recording: CustomerSource = {
      pages(request) {
        starts.push(request.startOffset);
        return base.pages(request);
      },
    };
    const resumed = await reconcile('del-resume', {}, recording);
    expect(resumed).toMatchObject({ outcome: 'conclusive', seen: 49, deleted: 1 });
    // The second invocation started where the first stopped recording (offset 10), not at 0.
    expect(starts).toEqual([10]);
    judge('del-resume');
  });
});

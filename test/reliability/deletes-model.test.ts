/**
 * Seeded runs over days of a population that changes, loses members and gets some back,
 * polled and reconciled under faults (empty pages, rows moving, a crash between tombstone
 * and publish, SNS refusing entries). The judge is the subscriber model following the README
 * rule: once the faults stop and two clean reconciliations ran, its mirror equals the
 * simulator's population, deleted customers included, and no sequence carried two contents.
 *
 * The seeds are fixed (a failure names its seed); the operations come from the seed alone.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawMember } from '../../dev/gleantap-simulator.ts';
import { LOCAL_CREDENTIALS } from '../../dev/local-stack.ts';
import { seededRandom } from '../../dev/seeded-random.ts';
import { DynamoReconcileStore } from '../../lib/aws/dynamo-reconcile-store.ts';
import { parseCustomer } from '../../lib/core/customer.ts';
import { pollApp } from '../../lib/poll.ts';
import { type ReconcileOptions, type ReconcileSummary, reconcileApp } from '../../lib/reconcile.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { SubscriberModel } from '../support/subscriber-model.ts';

const SEEDS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233];
const DAYS = 5;
const PAGE = 20;

describe('model: deletes and returns across days, judged by the subscriber model', () => {
  let h: Harness;
  let client: DynamoDBClient;
  let reconcileStore: DynamoReconcileStore;

  beforeAll(async () => {
    h = await startHarness({ appIds: SEEDS.map((seed) => `model-${seed}`) });
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

  it.each(SEEDS)('seed %i', async (seed) => {
    const appId = `model-${seed}`;
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
    const app = h.stack.gleantap.app(appId);
    const live = app.seed(60, { seed });
    const removed = new Map<string, RawMember>();
    const history: string[] = [];
    const note = (what: string) => history.push(what);

    const poll = async () => {
      const summary = await pollApp(h.deps(), h.options(appId, { pageSize: PAGE, emitBaseline: true }));
      note(`poll ${summary.outcome}`);
    };
    const reconcile = async (options: Partial<ReconcileOptions> = {}): Promise<ReconcileSummary> => {
      const summary = await reconcileApp(
        { ...h.deps(), reconcileStore, sleep: async () => {} },
        { appId, owner: `model-${seed}-${history.length}`, pageSize: PAGE, ...options },
      );
      note(`reconcile ${summary.outcome} missing ${summary.missing} deleted ${summary.deleted}`);
      return summary;
    };

    await poll();
    for (let day = 0; day < DAYS; day++) {
      const operations = 3 + Math.floor(random() * 6);
      for (let n = 0; n < operations; n++) {
        const roll = random();
        const id = pick(live);
        if (roll < 0.3 && id !== undefined) {
          app.update(id, { last_location: `Studio ${seed}-${day}-${n}` });
          note(`update ${id}`);
        } else if (roll < 0.45 && id !== undefined) {
          app.setOptout(id, random() < 0.5 ? 'email' : 'sms', random() < 0.5);
          note(`optout ${id}`);
        } else if (roll < 0.6) {
          live.push(app.create());
          note('create');
        } else if (roll < 0.75 && id !== undefined && removed.size < 4) {
          const record = app.get(id);
          if (record === undefined) continue;
          app.remove(id);
          live.splice(live.indexOf(id), 1);
          removed.set(id, record);
          note(`remove ${id}`);
        } else if (roll < 0.85) {
          const back = pick([...removed.keys()]);
          const record = back === undefined ? undefined : removed.get(back);
          if (back === undefined || record === undefined) continue;
          // Back as it was, or changed while away.
          app.create(random() < 0.5 ? record : { ...record, lastname: `Returned ${day}` });
          removed.delete(back);
          live.push(back);
          note(`return ${back}`);
        } else if (id !== undefined) {
          app.touch(id);
          note(`touch ${id}`);
        }
      }
      await poll();

      const fault = random();
      if (fault < 0.2) {
        h.stack.gleantap.faults.add({ kind: 'empty', page: PAGE * Math.floor(random() * 4), appId });
        note('fault: an empty page');
        await reconcile();
      } else if (fault < 0.3) {
        h.stack.gleantap.faults.add({ kind: 'drift', page: PAGE * (1 + Math.floor(random() * 2)), appId });
        note('fault: rows move');
        await reconcile();
        await poll(); // the rows the drift fault inserted are customers too
      } else if (fault < 0.45) {
        note('fault: crash after the tombstones');
        await reconcile({
          onStep: (step) => {
            if (step === 'tombstoned') throw new Error('crash');
          },
        });
      } else if (fault < 0.55) {
        h.stack.sns.faults.failEntries({ times: 10 });
        note('fault: SNS refuses entries');
        await reconcile();
        h.stack.sns.faults.clear();
      } else {
        await reconcile();
      }
    }

    // Faults stop: a poll, then reconciliations until two clean ones in a row saw the same
    // population (each removed customer is missing twice), then a poll for anyone returned.
    await poll();
    for (let run = 0; run < 3; run++) {
      const summary = await reconcile();
      expect(summary.outcome, `seed ${seed}: ${history.join('; ')}`).toBe('conclusive');
    }
    await poll();

    const model = new SubscriberModel();
    model.applyAll(h.events().filter((event) => event.data.app_id === appId));
    const expected = new Map<string, unknown>();
    for (const raw of app.members()) {
      const parsed = parseCustomer(raw);
      if (parsed.ok) expected.set(parsed.customer.id, parsed.customer);
    }
    const context = `seed ${seed}: ${history.join('; ')}`;
    expect(model.differences(`gleantap:app/${appId}`, expected), context).toEqual([]);
    expect(model.sequenceConflicts(), context).toEqual([]);
    // Every customer removed and not back was announced deleted (it is absent from the mirror
    // above), and no deleted event was applied twice for one deletion.
    const deletedEvents = h
      .events()
      .filter((event) => event.data.app_id === appId && event.type === 'customer.deleted');
    const deletions = new Set(deletedEvents.map((event) => `${event.subject}@${event.sequence}`));
    expect(new Set(deletedEvents.map((e) => e.id)).size, context).toBe(deletions.size);
  });
});

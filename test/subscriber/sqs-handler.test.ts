import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GleantapNotifierEvent } from '../../lib/core/event-types.ts';
import {
  createApplyOnceTable,
  createDynamoApplyOnceStore,
} from '../../lib/subscriber/dynamo-apply-once-store.ts';
import { createMemoryApplyOnceStore } from '../../lib/subscriber/memory-apply-once-store.ts';
import { createSqsHandler, SUBSCRIBER_TABLE_ENV } from '../../lib/subscriber/sqs-handler.ts';
import { type FixtureMessage, historyMessages, member, snsEnvelope, sqsRecord } from './event-fixtures.ts';
import { type LocalDynamo, startLocalDynamo } from './local-dynamodb.ts';

const [[created], [updated, optout], [renamed]] = historyMessages('studio-1', [
  member('42'),
  member('42', { email_optout: 1 }),
  member('42', { lastname: 'Byron' }),
]) as [[FixtureMessage], [FixtureMessage, FixtureMessage], [FixtureMessage]];

const recorder = () => {
  const seen: string[] = [];
  const record = (event: GleantapNotifierEvent) => {
    seen.push(`${event.type}@${String(event.sequence)}`);
  };
  return {
    seen,
    handlers: { onCreated: record, onUpdated: record, onOptoutChanged: record, onDeleted: record },
  };
};

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo?.close();
});

describe('createSqsHandler', () => {
  it('applies a batch with a duplicate, a stale event and a malformed record, failing only the malformed one', async () => {
    await createApplyOnceTable(dynamo.client(), 'handler-batch');
    const { seen, handlers } = recorder();
    const handler = createSqsHandler({
      ...handlers,
      store: createDynamoApplyOnceStore({ client: dynamo.client(), tableName: 'handler-batch' }),
    });
    const response = await handler({
      Records: [
        sqsRecord('1', created.message),
        sqsRecord('2', snsEnvelope(renamed.message)),
        sqsRecord('3', created.message), // duplicate, and stale by now
        sqsRecord('4', updated.message), // stale: sequence below the renamed one
        sqsRecord('5', '{"specversion":"1.0","type":"customer.updated"}'), // malformed
        sqsRecord('6', renamed.message), // duplicate
      ],
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '5' }]);
    expect(seen).toEqual([
      `customer.created@${String(created.event.sequence)}`,
      `customer.updated@${String(renamed.event.sequence)}`,
    ]);
  });

  it('fails a record whose handler throws, and applies it on redelivery', async () => {
    const store = createMemoryApplyOnceStore();
    let down = true;
    const applied: string[] = [];
    const handler = createSqsHandler({
      store,
      onCreated: (event) => {
        applied.push(event.id);
      },
      onUpdated: () => {},
      onOptoutChanged: (event) => {
        if (down) throw new Error('mailing list is down');
        applied.push(event.id);
      },
      onDeleted: () => {},
    });
    const batch = { Records: [sqsRecord('a', created.message), sqsRecord('b', optout.message)] };
    expect((await handler(batch)).batchItemFailures).toEqual([{ itemIdentifier: 'b' }]);
    down = false;
    expect((await handler(batch)).batchItemFailures).toEqual([]);
    expect(applied).toEqual([created.event.id, optout.event.id]);
  });

  it('hands each type to its own handler', async () => {
    const calls: string[] = [];
    const handler = createSqsHandler({
      store: createMemoryApplyOnceStore(),
      onCreated: () => calls.push('created'),
      onUpdated: () => calls.push('updated'),
      onOptoutChanged: (event) => calls.push(`optout:${event.data.channel}`),
      onDeleted: (event) => calls.push(`deleted:${event.subject}`),
    });
    await handler({ Records: [created, updated, optout].map((m, i) => sqsRecord(String(i), m.message)) });
    expect(calls).toEqual(['created', 'updated', 'optout:email']);
  });

  it(`needs a store or ${SUBSCRIBER_TABLE_ENV}`, () => {
    const saved = process.env[SUBSCRIBER_TABLE_ENV];
    delete process.env[SUBSCRIBER_TABLE_ENV];
    try {
      expect(() => createSqsHandler(recorder().handlers)).toThrow(SUBSCRIBER_TABLE_ENV);
    } finally {
      if (saved !== undefined) process.env[SUBSCRIBER_TABLE_ENV] = saved;
    }
  });
});

import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../dev/local-stack.ts';
import { type SnsStandIn, startSnsStandIn } from '../../dev/sns-stand-in.ts';
import { explainSnsErrors } from '../../lib/aws/service-errors.ts';
import { entrySize, MAX_BATCH_BYTES, planBatches, SnsPublisher } from '../../lib/aws/sns-publisher.ts';
import type { OutboundMessage } from '../../lib/core/types.ts';

function message(id: string, bytes = 100): OutboundMessage {
  const body = JSON.stringify({ id, pad: 'x'.repeat(bytes) });
  return {
    id,
    type: 'customer.updated',
    customerId: id,
    sequence: '000000000002',
    message: body,
    attributes: {
      type: { DataType: 'String', StringValue: 'customer.updated' },
      changed_fields: { DataType: 'String.Array', StringValue: '["email"]' },
    },
    event: { id },
  };
}

describe('planBatches', () => {
  it('keeps at most 10 entries and 256 KiB per batch, in order', () => {
    const small = Array.from({ length: 23 }, (_, i) => message(`m${i}`));
    expect(planBatches(small).map((b) => b.length)).toEqual([10, 10, 3]);
    const big = Array.from({ length: 5 }, (_, i) => message(`b${i}`, 100_000));
    const batches = planBatches(big);
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    for (const batch of batches)
      expect(batch.reduce((n, m) => n + entrySize(m), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(batches.flat().map((m) => m.id)).toEqual(big.map((m) => m.id));
  });
});

describe('SnsPublisher against the SNS stand-in', () => {
  let sns: SnsStandIn;
  let client: SNSClient;
  let topicArn: string;

  beforeAll(async () => {
    sns = await startSnsStandIn();
    client = new SNSClient({
      region: 'us-east-1',
      endpoint: sns.endpoint,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    explainSnsErrors(client, {
      endpoint: sns.endpoint,
      endpointVariable: 'AWS_ENDPOINT_URL_SNS',
      resource: null,
    });
    topicArn = (await client.send(new CreateTopicCommand({ Name: 'events' }))).TopicArn ?? '';
  });
  beforeEach(() => {
    sns.faults.clear();
    sns.reset();
  });
  afterAll(async () => {
    client.destroy();
    await sns.close();
  });

  it('publishes everything with PublishBatch and the attributes intact', async () => {
    const publisher = new SnsPublisher({ client, topicArn, sleep: async () => {} });
    const messages = Array.from({ length: 25 }, (_, i) => message(`ok${i}`));
    const result = await publisher.publish(messages);
    expect([...result.published].sort()).toEqual(messages.map((m) => m.id).sort());
    expect(result.failed).toEqual([]);
    expect(sns.requestsByAction.PublishBatch).toBe(3);
    expect(sns.messages()[0]?.attributes.changed_fields).toMatchObject({
      DataType: 'String.Array',
      StringValue: '["email"]',
    });
  });

  it('re-sends failed entries and reports what still fails after the bounded retries', async () => {
    sns.faults.failEntries({ times: 1, count: 3 });
    const publisher = new SnsPublisher({ client, topicArn, sleep: async () => {}, maxRetries: 2 });
    const retried = await publisher.publish(Array.from({ length: 10 }, (_, i) => message(`r${i}`)));
    expect(retried.published).toHaveLength(10);
    expect(sns.messages()).toHaveLength(10);

    sns.faults.failEntries({ times: 100, count: 2 });
    const stuck = await publisher.publish(Array.from({ length: 5 }, (_, i) => message(`s${i}`)));
    expect(stuck.published).toHaveLength(3);
    expect(stuck.failed).toHaveLength(2);
    expect(stuck.failed[0]?.reason).toBeTruthy();
  });

  it('retries whole failed calls, then reports every entry of the call as failed', async () => {
    sns.faults.failCalls({ action: 'PublishBatch', times: 1, status: 500 });
    const publisher = new SnsPublisher({ client, topicArn, sleep: async () => {}, maxRetries: 2 });
    expect((await publisher.publish([message('c1'), message('c2')])).published).toHaveLength(2);
    sns.faults.failCalls({ action: 'PublishBatch', times: 10, status: 500 });
    const down = await publisher.publish([message('d1'), message('d2')]);
    expect(down.published).toEqual([]);
    expect(down.failed.map((f) => f.id).sort()).toEqual(['d1', 'd2']);
    expect(down.failed[0]?.reason).toMatch(/Internal|500/i);
  });

  it('reports a message over 256 KiB as a permanent failure without sending it', async () => {
    const publisher = new SnsPublisher({ client, topicArn, sleep: async () => {} });
    const result = await publisher.publish([message('huge', 300_000), message('fine')]);
    expect(result.published).toEqual(['fine']);
    expect(result.failed).toEqual([
      { id: 'huge', reason: expect.stringMatching(/over SNS/), permanent: true },
    ]);
    expect(sns.requestsByAction.PublishBatch).toBe(1);
  });

  it('does not retry entries SNS refused as the sender fault', async () => {
    sns.faults.failEntries({ times: 10, count: 1, code: 'InvalidParameter' });
    const publisher = new SnsPublisher({ client, topicArn, sleep: async () => {}, maxRetries: 3 });
    const result = await publisher.publish([message('p1'), message('p2')]);
    expect(result.failed.map((f) => f.permanent)).toEqual([false]);
  });

  it('stops at an unknown topic at once, naming it, instead of retrying it as transient', async () => {
    const publisher = new SnsPublisher({
      client,
      topicArn: `${topicArn}-gone`,
      sleep: async () => {},
      maxRetries: 3,
    });
    const before = sns.requestsByAction.PublishBatch ?? 0;
    const error = await publisher.publish([message('x'), message('y')]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).toHaveProperty('name', 'NotFoundException');
    expect(String(error)).toContain(`SNS topic ${topicArn}-gone does not exist`);
    expect(String(error)).toContain('EVENTS_TOPIC_ARN');
    expect((sns.requestsByAction.PublishBatch ?? 0) - before).toBe(1);
  });

  it('does not retry a refused permission either', async () => {
    sns.faults.failCalls({ action: 'PublishBatch', status: 403, times: 10 });
    const publisher = new SnsPublisher({ client, topicArn, sleep: async () => {}, maxRetries: 3 });
    const before = sns.requestsByAction.PublishBatch ?? 0;
    const error = await publisher.publish([message('x')]).catch((caught: unknown) => caught);
    expect(error).toHaveProperty('name', 'AuthorizationErrorException');
    expect(String(error)).toMatch(/not allowed to publish .*grant sns:Publish/);
    expect((sns.requestsByAction.PublishBatch ?? 0) - before).toBe(1);
  });
});

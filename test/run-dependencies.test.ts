/**
 * createRunDependencies, the one wiring of a run used by the Lambda handler, the CLI and the
 * demo: which adapter stands behind each port for each kind of configuration. No request is
 * sent: SDK clients are built for a loopback endpoint and only inspected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AwsClients,
  createAwsClients,
  createRunDependencies,
  type RunSettings,
} from '../lib/adapters.ts';
import { DynamoReconcileStore } from '../lib/aws/dynamo-reconcile-store.ts';
import { DynamoStateStore } from '../lib/aws/dynamo-state-store.ts';
import { SnsPublisher } from '../lib/aws/sns-publisher.ts';
import { loadConfig } from '../lib/config.ts';
import { emptyStateStore, refusingPublisher } from '../lib/dry-run-adapters.ts';
import { silentLog } from './support/harness.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:events';
const ALERTS = 'arn:aws:sns:us-east-1:123456789012:alerts';
const KEYS = { apiKey: 'k', secretKey: 's' };
const clock = () => new Date('2026-01-01T00:00:00Z');

describe('createRunDependencies', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  let aws: AwsClients | undefined;
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((source) => source.close()));
    aws?.destroy();
  });
  const awsClients = (): AwsClients => {
    const loaded = loadConfig(
      {
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        NOTIFIER_TABLE_NAME: 'state',
        EVENTS_TOPIC_ARN: TOPIC,
      },
      { table: true, topic: true, aws: true },
    );
    if (!loaded.ok) throw new Error(loaded.problems.join(' '));
    aws = createAwsClients(loaded.config, { env: {} });
    return aws;
  };
  const settings = (overrides: Partial<RunSettings> = {}): RunSettings => ({
    gleantapBaseUrl: 'http://127.0.0.1:9',
    tableName: 'state',
    topicArn: TOPIC,
    alertsTopicArn: ALERTS,
    ...overrides,
  });

  it('deployed: DynamoDB state and reconciliation stores, SNS events and alerts publishers', () => {
    const run = createRunDependencies(
      { ...settings(), tableName: 'state' },
      { aws: awsClients(), keys: KEYS, log: silentLog, clock },
    );
    opened.push(run.source);
    expect(run.store).toBeInstanceOf(DynamoStateStore);
    expect(run.reconcileStore).toBeInstanceOf(DynamoReconcileStore);
    expect(run.publisher).toBeInstanceOf(SnsPublisher);
    expect(run.alerts).toBeInstanceOf(SnsPublisher);
    expect(run.alerts).not.toBe(run.publisher);
    expect(run.clock).toBe(clock);
  });

  it('no alerts topic: no alerts publisher', () => {
    const run = createRunDependencies(settings({ alertsTopicArn: null }), {
      aws: awsClients(),
      keys: KEYS,
      log: silentLog,
      clock,
    });
    opened.push(run.source);
    expect(run.alerts).toBeUndefined();
    expect(run.publisher).toBeInstanceOf(SnsPublisher);
  });

  it('a dry run reads the table but publishes nothing, not even alerts', async () => {
    const run = createRunDependencies(settings(), {
      aws: awsClients(),
      keys: KEYS,
      dryRun: true,
      log: silentLog,
      clock,
    });
    opened.push(run.source);
    expect(run.store).toBeInstanceOf(DynamoStateStore);
    expect(run.publisher).toBe(refusingPublisher);
    expect(run.alerts).toBeUndefined();
    await expect(run.publisher.publish([])).rejects.toThrow('Publishing is not available in a dry run.');
  });

  it('a dry run without a table: an empty store that refuses writes, and no reconciliation store', async () => {
    const run = createRunDependencies(settings({ tableName: null, topicArn: null }), {
      aws: null,
      keys: KEYS,
      dryRun: true,
      log: silentLog,
      clock,
    });
    opened.push(run.source);
    expect(run.store).toBe(emptyStateStore);
    expect('reconcileStore' in run).toBe(false);
    expect(await run.store.getPollState('a1')).toBeNull();
    expect(await run.store.getSnapshotHeads('a1', ['1'])).toEqual(new Map());
    await expect(run.store.acquireLease('a1', 'me', clock(), 1000)).rejects.toThrow(
      'A dry run writes nothing',
    );
    await expect(run.store.createSnapshots('a1', [])).rejects.toThrow('A dry run writes nothing');
  });
});

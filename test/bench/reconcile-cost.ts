/**
 * The request cost of a daily reconciliation (issue: customer.deleted) against a day of
 * incremental polling at the default schedule, for one app, measured on the bench's stack.
 *
 * Two reconciliations run in this process against the counting proxy: the first finds the
 * day's deletions missing (suspects), the second announces them. The second is the steady
 * state (a scan, a listing, the suspects, the deletes) and is what the figure reports.
 */
import {
  type AttributeValue,
  DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, type LocalStack } from '../../dev/local-stack.ts';
import { createAwsClients } from '../../lib/adapters.ts';
import { DynamoReconcileStore } from '../../lib/aws/dynamo-reconcile-store.ts';
import { DynamoStateStore } from '../../lib/aws/dynamo-state-store.ts';
import { SnsPublisher } from '../../lib/aws/sns-publisher.ts';
import { loadConfig } from '../../lib/config.ts';
import { createGleantapClient } from '../../lib/gleantap/client.ts';
import type { Log } from '../../lib/ports.ts';
import { type ReconcileSummary, reconcileApp } from '../../lib/reconcile.ts';
import type { CostRow } from './cost-model.ts';
import type { CountingProxy } from './counting-proxy.ts';

const PAGE = 1000;
const POLLS_PER_DAY = 12 * 24;
const silent: Log = { debug() {}, info() {}, warn() {}, error() {} };

export interface ReconcileCost {
  readonly customers: number;
  readonly deletedPerDay: number;
  /** Requests of the steady-state run, by service and action (Gleantap pages as `Gleantap.getCustomers`). */
  readonly byAction: Record<string, number>;
  readonly requests: number;
  readonly requestsPerCustomer: number;
  /** A day of incremental polling at the default schedule (cost model), per customer: DynamoDB + SNS + Gleantap. */
  readonly pollingDayRequestsPerCustomer: number;
  readonly ratio: number;
  readonly summary: ReconcileSummary;
  readonly tableItems: number;
}

/**
 * Reconciles `appId` (already baselined, `customers` live snapshots) twice after removing
 * `deletedPerDay` of `ids` from the simulator, and compares the second run's requests with a
 * day of polling as the cost model prices it (`pollingRow`, monthly, for the same population).
 */
export async function measureReconciliation(input: {
  readonly stack: LocalStack;
  readonly proxy: CountingProxy;
  readonly appId: string;
  readonly ids: readonly string[];
  readonly deletedPerDay: number;
  readonly pollingRow: CostRow;
}): Promise<ReconcileCost> {
  const { stack, proxy, appId } = input;
  const loaded = loadConfig(
    { ...stack.env, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint },
    { table: true, topic: true, aws: true },
  );
  if (!loaded.ok) throw new Error(loaded.problems.join(' '));
  const aws = createAwsClients(loaded.config, { env: {}, credentials: LOCAL_CREDENTIALS });
  const direct = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stack.dynamodbEndpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  const source = createGleantapClient({
    baseUrl: stack.gleantap.url,
    apiKey: stack.gleantap.apiKey,
    secretKey: stack.gleantap.secretKey,
  });
  const reconcileStore = new DynamoReconcileStore({ client: aws.dynamodb, tableName: stack.tableName });
  const deps = {
    source,
    store: new DynamoStateStore({ client: aws.dynamodb, tableName: stack.tableName }),
    reconcileStore,
    publisher: new SnsPublisher({ client: aws.sns, topicArn: stack.topicArn }),
    log: silent,
    clock: () => new Date(),
  };
  const app = stack.gleantap.app(appId);
  for (const id of input.ids.slice(0, input.deletedPerDay)) app.remove(id);
  const options = { appId, owner: 'bench-reconcile', pageSize: PAGE };
  try {
    const first = await reconcileApp(deps, options);
    if (first.outcome !== 'conclusive')
      throw new Error(`first reconciliation: ${first.outcome} ${first.error}`);
    const dynamoBefore = proxy.counts();
    const snsBefore = { ...stack.sns.requestsByAction };
    const gleantapBefore = stack.gleantap.requests.filter((r) => r.appId === appId).length;
    const summary = await reconcileApp(deps, options);
    if (summary.outcome !== 'conclusive' || summary.deleted !== input.deletedPerDay)
      throw new Error(`second reconciliation: ${summary.outcome}, deleted ${summary.deleted}`);
    const byAction: Record<string, number> = {};
    for (const [action, n] of Object.entries(proxy.counts())) {
      const delta = n - (dynamoBefore[action] ?? 0);
      if (delta > 0) byAction[action] = delta;
    }
    for (const [action, n] of Object.entries(stack.sns.requestsByAction)) {
      const delta = n - (snsBefore[action] ?? 0);
      if (delta > 0) byAction[`SNS.${action}`] = delta;
    }
    byAction['Gleantap.getCustomers'] =
      stack.gleantap.requests.filter((r) => r.appId === appId).length - gleantapBefore;
    const requests = Object.values(byAction).reduce((a, b) => a + b, 0);

    const row = input.pollingRow;
    const gleantapPagesPerDay = Math.max(1, Math.ceil(row.fetchedPerPoll / PAGE)) * POLLS_PER_DAY;
    const pollingDay = row.dynamoRequestsPerMonth / 30 + row.snsRequestsPerMonth / 30 + gleantapPagesPerDay;
    const customers = summary.live;
    let tableItems = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: ScanCommandOutput = await direct.send(
        new ScanCommand({
          TableName: stack.tableName,
          Select: 'COUNT',
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      tableItems += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return {
      customers,
      deletedPerDay: input.deletedPerDay,
      byAction,
      requests,
      requestsPerCustomer: requests / customers,
      pollingDayRequestsPerCustomer: pollingDay / row.customers,
      ratio: requests / customers / (pollingDay / row.customers),
      summary,
      tableItems,
    };
  } finally {
    await source.close();
    aws.destroy();
    direct.destroy();
  }
}

/**
 * The fleet job of `npm run bench` (alone: `npm run bench -- --fleet`): what 5,000 apps polled
 * every 5 minutes cost and need, from measurements on the local stand-ins.
 *
 * Measured here: the duration and Gleantap requests of incremental polls of MEASURED_APPS apps
 * (1,000 customers each, 1 % changing a day, Gleantap answering each page in PAGE_LATENCY_MS),
 * run through the real path (dispatcher → SQS FIFO stand-in → poller handler → dynalite, SNS
 * stand-in, Gleantap simulator); the dispatcher's tick and the watchdog's run with 5,000
 * registered apps; the DynamoDB, SQS and SNS requests of each, and the poller's log bytes.
 * Derived: invocations per day, expected concurrency (Little's law over the measured
 * durations), Gleantap requests per minute, and the cost per app per month at list prices
 * with the fixed costs spread over the apps.
 */
import { performance } from 'node:perf_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, startLocalStack } from '../../dev/local-stack.ts';
import { createHandler } from '../../functions/poller/handler.ts';
import { createWatchdogHandler } from '../../functions/watchdog/handler.ts';
import { METRICS_NAMESPACE } from '../../lib/metric-names.ts';
import { startLocalFleet } from '../support/local-fleet.ts';
import { PRICES } from './cost-model.ts';
import { startCountingProxy } from './counting-proxy.ts';
import { describeFixed, stackFixedCosts } from './fixed-costs.ts';

export const FLEET_APPS = 5_000;
export const INTERVAL_MINUTES = 5;
const MEASURED_APPS = 20;
const CUSTOMERS_PER_APP = 1_000;
const DAILY_CHURN = 0.01;
const PAGE_LATENCY_MS = 150;
/**
 * One poll at a time: the stand-ins share this process's two cores with the pollers, so polls
 * run side by side would measure each other's CPU. In Lambda each poll has its own. Even alone,
 * a poll here pays dynalite's CPU (~0.25 s for a 15-customer window) where DynamoDB answers in
 * milliseconds, so the durations, and the concurrency and cost derived from them, err high.
 */
const MAX_CONCURRENCY = 1;
const LAMBDA_GB = 0.5;
const SMALL_FUNCTION_GB = 0.25;
const DAYS_PER_MONTH = 30;

/** More list prices (us-east-1), beside cost-model.ts's. */
const MORE_PRICES = {
  sqsFifoPerMillion: 0.5,
  logsIngestPerGb: 0.5,
  /** EventBridge Scheduler: 14M invocations a month free, then 1 USD per million. */
  schedulerPerMillion: 1,
} as const;

export interface FleetFigure {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const quantile = (values: readonly number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))] ?? Number.NaN;
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const delta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );

/** Runs the fleet job; returns its figures and the raw measurements. */
export async function runFleetBench(progress: (message: string) => void = () => {}) {
  const stack = await startLocalStack({ appIds: [] });
  const proxy = await startCountingProxy(stack.dynamodbEndpoint);
  const env = { ...stack.env, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint };
  const logBytes = { total: 0 };
  const logger = new Logger({ logLevel: 'INFO', serviceName: 'bench' });
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    // What the poller would write to CloudWatch Logs: each entry as one JSON line plus the
    // fields Lambda's JSON log format adds (about 150 bytes).
    logger[level] = (...args: unknown[]) => {
      logBytes.total += Buffer.byteLength(JSON.stringify(args)) + 150;
    };
  }
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'bench' });
  metrics.publishStoredMetrics = () => {
    logBytes.total += Buffer.byteLength(JSON.stringify(metrics.serializeMetrics()));
    metrics.clearMetrics();
    return metrics;
  };
  const poller = createHandler({ env, logger, metrics });
  const durations: number[] = [];
  const fleet = await startLocalFleet(stack, {
    maxConcurrency: MAX_CONCURRENCY,
    dynamodbEndpoint: proxy.endpoint,
    poller: async (event) => {
      const started = performance.now();
      try {
        return await poller(event, { awsRequestId: 'bench', getRemainingTimeInMillis: () => 240_000 });
      } finally {
        durations.push(performance.now() - started);
      }
    },
  });
  try {
    // Populations, and a day and a half of changes already in the window (1 % a day).
    const apps = Array.from({ length: MEASURED_APPS }, (_, i) => `bench-app-${String(i).padStart(3, '0')}`);
    const members = new Map<string, string[]>();
    for (const [i, appId] of apps.entries()) {
      members.set(
        appId,
        stack.gleantap
          .app(appId)
          .seed(CUSTOMERS_PER_APP, { seed: 100 + i, updatedAt: Date.now() - 30 * 86_400_000 }),
      );
      await fleet.registry.add(appId, new Date());
    }
    const t0 = new Date('2026-03-02T10:00:00Z');
    await fleet.dispatch(t0);
    await fleet.consumer.drained();
    progress(`fleet: ${MEASURED_APPS} baselines done`);
    const inWindow = Math.round(CUSTOMERS_PER_APP * DAILY_CHURN * 1.5);
    for (const appId of apps) {
      const app = stack.gleantap.app(appId);
      for (const id of (members.get(appId) ?? []).slice(0, inWindow))
        app.update(id, { last_location: 'Annex' });
    }
    // Warm: the first incremental poll publishes the seeded changes; the measured ones see the
    // window a steady poll sees (the same rows again, one in 300 of them changed anew).
    await fleet.dispatch(new Date(t0.getTime() + 5 * 60_000));
    await fleet.consumer.drained();

    stack.gleantap.setLatency(PAGE_LATENCY_MS);
    const changedPerPoll = (CUSTOMERS_PER_APP * DAILY_CHURN) / ((24 * 60) / INTERVAL_MINUTES);
    durations.length = 0;
    logBytes.total = 0;
    stack.gleantap.clearRequests();
    const dynamoBefore = proxy.counts();
    const sqsBefore = fleet.sqs.requestsByAction;
    const snsBefore = { ...stack.sns.requestsByAction };
    const ticks = 2;
    for (let tick = 0; tick < ticks; tick++) {
      for (const [i, appId] of apps.entries()) {
        // One change per app every few ticks, spread so the average matches the churn.
        if ((i + tick) % Math.max(1, Math.round(1 / changedPerPoll)) === 0) {
          stack.gleantap
            .app(appId)
            .update(members.get(appId)?.[tick] ?? '', { last_location: `Tick ${tick}` });
        }
      }
      await fleet.dispatch(new Date(t0.getTime() + (2 + tick) * 5 * 60_000));
      await fleet.consumer.drained();
    }
    stack.gleantap.setLatency(0);
    const polls = durations.length;
    const dynamo = delta(proxy.counts(), dynamoBefore);
    const sqs = delta(fleet.sqs.requestsByAction, sqsBefore);
    const sns = delta(stack.sns.requestsByAction, snsBefore);
    const gleantapPerPoll = stack.gleantap.requests.length / polls;
    const meanS = durations.reduce((a, b) => a + b, 0) / polls / 1000;
    const p95S = quantile(durations, 0.95) / 1000;
    progress(`fleet: ${polls} incremental polls, mean ${meanS.toFixed(3)} s, p95 ${p95S.toFixed(3)} s`);

    // The dispatcher and the watchdog at 5,000 registered apps.
    const fleetIds = Array.from(
      { length: FLEET_APPS - MEASURED_APPS },
      (_, i) => `fleet-${String(i).padStart(5, '0')}`,
    );
    await fleet.registry.seed([...apps, ...fleetIds], new Date());
    const dispatchDynamoBefore = proxy.counts();
    const dispatchSqsBefore = fleet.sqs.requestsByAction;
    await fleet.consumer.stop();
    const dispatchStarted = performance.now();
    const tick = await fleet.dispatch(new Date(t0.getTime() + 60 * 60_000));
    const dispatchMs = performance.now() - dispatchStarted;
    const dispatchDynamo = sum(delta(proxy.counts(), dispatchDynamoBefore));
    const dispatchSqs = sum(delta(fleet.sqs.requestsByAction, dispatchSqsBefore));
    const sqsClient = new SQSClient({
      endpoint: fleet.sqs.endpoint,
      region: fleet.sqs.region,
      credentials: LOCAL_CREDENTIALS,
    });
    await sqsClient.send(new PurgeQueueCommand({ QueueUrl: fleet.queueUrl }));
    sqsClient.destroy();
    const watchdogBefore = proxy.counts();
    const dynamodb = new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: fleet.sqs.region,
      credentials: LOCAL_CREDENTIALS,
    });
    const watchdog = createWatchdogHandler({
      env,
      dynamodb,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: Object.assign(new Metrics({ namespace: METRICS_NAMESPACE }), {
        publishStoredMetrics: () => {},
      }),
    });
    const watchdogStarted = performance.now();
    const health = await watchdog();
    const watchdogMs = performance.now() - watchdogStarted;
    const watchdogDynamo = delta(proxy.counts(), watchdogBefore);
    dynamodb.destroy();
    progress(
      `fleet: dispatch of ${tick.enqueued} in ${dispatchMs.toFixed(0)} ms, watchdog of ${health.registered} in ${watchdogMs.toFixed(0)} ms`,
    );

    // Derived, at FLEET_APPS apps every INTERVAL_MINUTES.
    const ticksPerDay = (24 * 60) / INTERVAL_MINUTES;
    const pollsPerDay = FLEET_APPS * ticksPerDay;
    const pollsPerMonth = pollsPerDay * DAYS_PER_MONTH;
    const ticksPerMonth = ticksPerDay * DAYS_PER_MONTH;
    const arrivalPerSecond = FLEET_APPS / (INTERVAL_MINUTES * 60);
    const concurrencyMean = arrivalPerSecond * meanS;
    const concurrencyP95 = arrivalPerSecond * p95S;
    const drainSeconds = (FLEET_APPS * meanS) / 50;

    // Per poll: DynamoDB writes are UpdateItem/PutItem (items under 1 KB: 1 WRU each; the
    // archive's BatchWriteItem is counted per request, an undercount of a few WRU a change);
    // reads are BatchGetItem of the window's customers (0.5 RRU each, eventually consistent).
    const perPoll = (n: number | undefined) => (n ?? 0) / polls;
    const wruPerPoll = perPoll(dynamo.UpdateItem) + perPoll(dynamo.PutItem) + perPoll(dynamo.BatchWriteItem);
    const rruPerPoll = inWindow * 0.5 + perPoll(dynamo.GetItem);
    const sqsPerPoll =
      perPoll(sqs.SendMessageBatch) + perPoll(sqs.ReceiveMessage) + perPoll(sqs.DeleteMessage) || 2.1;
    const snsPerPoll = perPoll(sns.PublishBatch) + perPoll(sns.Publish);
    const logGbPerPoll = logBytes.total / polls / 1e9;
    const variable = {
      lambdaRequests: (pollsPerMonth * PRICES.lambdaRequestsPerMillion) / 1e6,
      lambdaCompute: pollsPerMonth * meanS * LAMBDA_GB * PRICES.lambdaGbSecond,
      dynamo:
        (pollsPerMonth *
          (wruPerPoll * PRICES.dynamoWruPerMillion + rruPerPoll * PRICES.dynamoRruPerMillion)) /
        1e6,
      sqs: (pollsPerMonth * sqsPerPoll * MORE_PRICES.sqsFifoPerMillion) / 1e6,
      sns: (pollsPerMonth * snsPerPoll * PRICES.snsPublishPerMillion) / 1e6,
      logs: pollsPerMonth * logGbPerPoll * MORE_PRICES.logsIngestPerGb,
    };
    // Fixed: whatever the number of apps (the dispatcher and watchdog runs grow with it a little).
    const watchdogRru = (watchdogDynamo.BatchGetItem ?? 0) * 100 * 0.5 + (FLEET_APPS * 120) / 4096;
    const stackFixed = stackFixedCosts();
    const fixed = {
      ...stackFixed.usdPerMonth,
      scheduler: (Math.max(0, 2 * ticksPerMonth - 14e6) * MORE_PRICES.schedulerPerMillion) / 1e6,
      dispatcher:
        ticksPerMonth *
        ((dispatchMs / 1000) * SMALL_FUNCTION_GB * PRICES.lambdaGbSecond +
          (dispatchSqs * MORE_PRICES.sqsFifoPerMillion) / 1e6 +
          (dispatchDynamo * 8 * PRICES.dynamoRruPerMillion) / 1e6),
      watchdog:
        ticksPerMonth *
        ((watchdogMs / 1000) * SMALL_FUNCTION_GB * PRICES.lambdaGbSecond +
          (watchdogRru * PRICES.dynamoRruPerMillion) / 1e6),
    };
    const variableTotal = sum(variable);
    const fixedTotal = sum(fixed);
    const perApp = (variableTotal + fixedTotal) / FLEET_APPS;

    const figures: FleetFigure[] = [
      {
        id: 'fleet_poller_invocations_per_day',
        label: `poller invocations per day (${FLEET_APPS} apps every ${INTERVAL_MINUTES} min; + ${2 * ticksPerDay} dispatcher and watchdog runs)`,
        value: pollsPerDay,
        unit: '/day',
      },
      {
        id: 'fleet_poll_seconds_mean',
        label: `incremental poll, measured mean (p95 ${p95S.toFixed(2)} s; ${polls} polls of ${CUSTOMERS_PER_APP} customers, ${inWindow} in the window, Gleantap ${PAGE_LATENCY_MS} ms a page)`,
        value: round(meanS, 3),
        unit: 's',
      },
      {
        id: 'fleet_concurrency_expected',
        label: `expected concurrency = ${round(arrivalPerSecond, 2)} polls/s × mean duration (at p95 durations: ${round(concurrencyP95, 1)}); max concurrency 50 drains a tick in ${drainSeconds.toFixed(0)} s`,
        value: round(concurrencyMean, 1),
        unit: 'executions',
      },
      {
        id: 'fleet_gleantap_requests_per_minute',
        label: `Gleantap requests per minute across apps (${round(gleantapPerPoll, 2)} per incremental poll, measured)`,
        value: round((FLEET_APPS / INTERVAL_MINUTES) * gleantapPerPoll, 0),
        unit: 'req/min',
      },
      {
        id: 'fleet_dispatch_ms',
        label: `dispatcher tick at ${FLEET_APPS} registered apps (${dispatchDynamo} DynamoDB + ${dispatchSqs} SQS requests)`,
        value: round(dispatchMs, 0),
        unit: 'ms',
      },
      {
        id: 'fleet_watchdog_ms',
        label: `watchdog run at ${FLEET_APPS} registered apps (${sum(watchdogDynamo)} DynamoDB requests)`,
        value: round(watchdogMs, 0),
        unit: 'ms',
      },
      {
        id: 'fleet_usd_per_month_variable',
        label: `USD/month for polling, all apps (Lambda ${round(variable.lambdaRequests + variable.lambdaCompute, 0)}, DynamoDB ${round(variable.dynamo, 0)}, SQS ${round(variable.sqs, 0)}, SNS ${round(variable.sns, 0)}, logs ${round(variable.logs, 0)})`,
        value: round(variableTotal, 0),
        unit: 'USD',
      },
      {
        id: 'fleet_usd_per_month_fixed',
        label: `USD/month fixed (${describeFixed(stackFixed)}, schedules, dispatcher and watchdog runs)`,
        value: round(fixedTotal, 2),
        unit: 'USD',
      },
      {
        id: 'fleet_usd_per_app_month',
        label: `USD per app per month, fixed costs included, ${FLEET_APPS} apps`,
        value: round(perApp, 4),
        unit: 'USD',
      },
      {
        id: 'fleet_usd_per_app_month_alone',
        label: 'USD per month for one app alone (its polling plus all the fixed costs)',
        value: round(variableTotal / FLEET_APPS + fixedTotal, 2),
        unit: 'USD',
      },
    ];
    return {
      figures,
      raw: {
        polls,
        durationsMs: durations,
        dynamo,
        sqs,
        sns,
        gleantapPerPoll,
        logBytesPerPoll: logBytes.total / polls,
        variable,
        fixed,
        dispatchMs,
        watchdogMs,
        health: { registered: health.registered, stale: health.stale.length },
      },
    };
  } finally {
    await fleet.close();
    await proxy.close();
    await stack.close();
  }
}

/** Prints the fleet figures as a table (or JSON). */
export function printFleet(result: Awaited<ReturnType<typeof runFleetBench>>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const rows = result.figures.map((f) => [f.label, `${f.value} ${f.unit}`]);
  const widths = [
    Math.max(...rows.map((r) => r[0]?.length ?? 0)),
    Math.max(...rows.map((r) => r[1]?.length ?? 0)),
  ];
  for (const [label, value] of rows)
    process.stdout.write(`| ${label?.padEnd(widths[0] ?? 0)} | ${value?.padEnd(widths[1] ?? 0)} |\n`);
}

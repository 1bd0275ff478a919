/**
 * The poller Lambda: validated config → adapters → one poll of one app → metrics and summary.
 * The poll queue's event source mapping invokes it with an SQS event (one task per record: a
 * poll, or a reconciliation when the body says `"task": "reconcile"`; partial batch failures,
 * see sqs-batch.ts); a direct invocation with `{"appId": "..."}` polls that app (with
 * `"task": "reconcile"`, reconciles it) and fails when the run fails. This module is the
 * only place in the deployed code that reads the environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import * as z from 'zod/mini';
import {
  type AwsClients,
  createAwsClients,
  createRunDependencies,
  type GleantapKeys,
  keysForApp,
  resolveGleantapKeyring,
} from '../../lib/adapters.ts';
import { type Environment, loadConfig, type NotifierConfig, POLLER_NEEDS } from '../../lib/config.ts';
import { pollDeadline } from '../../lib/core/deadline.ts';
import { APP_ID_DIMENSION, METRICS_NAMESPACE, METRICS_SERVICE, MetricName } from '../../lib/metric-names.ts';
import { isEmptyBaseline, type PollSummary, pollApp } from '../../lib/poll.ts';
import { toLog } from '../../lib/powertools-log.ts';
import type { ReconcileSummary } from '../../lib/reconcile.ts';
import { runReconcileTask } from './reconcile-task.ts';
import { parseSqsPollEvent, pollBatch } from './sqs-batch.ts';

/** How long the Gleantap keys read from Secrets Manager are reused before being read again. */
const KEYS_MAX_AGE_SECONDS = 5 * 60;

const inputSchema = z.object({
  appId: z.string().check(z.trim(), z.minLength(1, 'appId must be a non-empty string')),
  /** `reconcile` from the reconciliation schedule (see reconcile-task.ts); a poll otherwise. */
  task: z.optional(z.enum(['poll', 'reconcile'])),
  /** The reconciliation's last message of its interval (see lib/aws/poll-queue.ts). */
  last: z.optional(z.boolean()),
});

/** What the handler needs from its surroundings; tests pass their own. */
export interface HandlerDependencies {
  readonly env: Environment;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: () => Date;
  /** Reads the credentials secret (Powertools Parameters, cached); one per process by default. */
  readonly secrets?: SecretsProvider;
}

/** True for the full Lambda context (tests and local runs may pass only part of it). */
function isLambdaContext(context: Partial<Context>): context is Context {
  return (
    typeof context.functionName === 'string' &&
    typeof context.invokedFunctionArn === 'string' &&
    typeof context.awsRequestId === 'string'
  );
}

/** The part of the Lambda context the handler uses; Lambda passes all of it. */
type InvocationContext = Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'> & Partial<Context>;

export interface PollerInput {
  readonly appId: string;
  readonly task?: 'poll' | 'reconcile';
}

function recordMetrics(metrics: Metrics, summary: PollSummary): void {
  // A property of the metric record, not a dimension: see lib/metric-names.ts.
  metrics.addMetadata(APP_ID_DIMENSION, summary.app_id);
  const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
  count(MetricName.PollSucceeded, summary.outcome === 'complete' ? 1 : 0);
  count(MetricName.PollFailed, summary.outcome === 'failed' ? 1 : 0);
  count(MetricName.PollIncomplete, summary.outcome === 'incomplete' ? 1 : 0);
  count(MetricName.CustomersFetched, summary.fetched);
  count(MetricName.EventsCreated, summary.created);
  count(MetricName.EventsUpdated, summary.updated);
  count(MetricName.EventsOptoutChanged, summary.optout_changed);
  count(MetricName.InvalidRecords, summary.invalid);
  count(MetricName.Published, summary.published);
  count(MetricName.PublishFailed, summary.unpublished);
  count(MetricName.CommitConflicts, summary.conflicts);
  count(MetricName.EmptyBaseline, isEmptyBaseline(summary) ? 1 : 0);
  metrics.addMetric(MetricName.PollDuration, MetricUnit.Milliseconds, summary.durationMs);
  if (summary.lagSeconds !== null) metrics.addMetric(MetricName.Lag, MetricUnit.Seconds, summary.lagSeconds);
}

/** A poll that ended in a throw, with no summary to record: counted and flushed at once. */
function recordPollFailed(metrics: Metrics, appId: string): void {
  metrics.addMetadata(APP_ID_DIMENSION, appId);
  metrics.addMetric(MetricName.PollFailed, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/**
 * Builds the handler. Configuration is validated on the first invocation (every problem
 * named at once); clients and the Gleantap keys are reused across warm invocations.
 */
export function createHandler(deps: HandlerDependencies) {
  const logger = deps.logger ?? new Logger({ serviceName: METRICS_SERVICE });
  const metrics = deps.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  const clock = deps.clock ?? (() => new Date());
  let config: NotifierConfig<typeof POLLER_NEEDS> | undefined;
  let aws: AwsClients | undefined;
  const secrets = deps.secrets ?? new SecretsProvider();

  const runPoll = async (
    event: unknown,
    context: InvocationContext,
  ): Promise<PollSummary | ReconcileSummary> => {
    if (!config) {
      // Deployed, the apps come from the registry through the poll queue, not the environment.
      const result = loadConfig(deps.env, POLLER_NEEDS);
      if (!result.ok) throw new Error(`Bad configuration: ${result.problems.join(' ')}`);
      config = result.config;
    }
    const input = inputSchema.safeParse(event);
    if (!input.success) {
      throw new Error(
        `Bad input: expected {"appId": "<Gleantap app id>"}; ${input.error.issues.map((i) => i.message).join('; ')}.`,
      );
    }
    const { appId, task, last } = input.data;
    if (config.appIds.length > 0 && !config.appIds.includes(appId))
      throw new Error(`Bad input: appId ${appId} is not one of GLEANTAP_APP_IDS.`);

    aws ??= createAwsClients(config, { env: deps.env });
    const now = clock();
    logger.appendKeys({ appId });
    let keys: GleantapKeys;
    try {
      const keyring = await resolveGleantapKeyring(config.credentials, {
        provider: secrets,
        maxAgeSeconds: KEYS_MAX_AGE_SECONDS,
      });
      keys = keysForApp(keyring, appId);
    } catch (error) {
      // No poll ran, so no summary carries the failure: the PollFailed alarm must still see it.
      logger.removeKeys(['appId']);
      if (task !== 'reconcile') recordPollFailed(metrics, appId);
      throw error;
    }
    const run = createRunDependencies(config, { aws, keys, log: toLog(logger), clock });
    if (task === 'reconcile') {
      try {
        const summary = await runReconcileTask({
          deps: run,
          appId,
          owner: `lambda:${context.awsRequestId}`,
          pageSize: config.pageSize,
          deadline: pollDeadline(now, context.getRemainingTimeInMillis()),
          metrics,
          lastAttempt: last ?? false,
        });
        return summary;
      } finally {
        logger.removeKeys(['appId']);
        await run.source.close();
      }
    }
    try {
      const summary = await pollApp(run, {
        appId,
        owner: `lambda:${context.awsRequestId}`,
        lookbackDays: config.lookbackDays,
        pageSize: config.pageSize,
        watchedFields: config.watchedFields,
        emitBaseline: config.emitBaseline,
        deadline: pollDeadline(now, context.getRemainingTimeInMillis()),
      });
      recordMetrics(metrics, summary);
      metrics.publishStoredMetrics();
      return summary;
    } catch (error) {
      // pollApp reports a failed poll in its summary; a throw is a bug or a broken adapter,
      // and the PollFailed alarm must see that too.
      recordPollFailed(metrics, appId);
      throw error;
    } finally {
      logger.removeKeys(['appId']);
      await run.source.close();
    }
  };

  return async function handler(
    event: unknown,
    context: InvocationContext,
  ): Promise<PollSummary | ReconcileSummary | SQSBatchResponse> {
    // Request id, cold start and function name on every log line of this invocation.
    if (isLambdaContext(context)) logger.addContext(context);
    const queued = parseSqsPollEvent(event);
    if (queued !== null) {
      return pollBatch(
        queued,
        async ({ appId, task, last }) => {
          const summary = await runPoll({ appId, task, last }, context);
          if (summary.outcome === 'failed')
            logger.error(
              task === 'reconcile'
                ? 'Reconciliation failed; the next reconciliation message resumes or restarts it.'
                : 'Poll failed; the next tick reads the same window again.',
              { appId, error: summary.error },
            );
        },
        (messageId, error) =>
          logger.error('Poll message not handled; SQS retries it.', {
            messageId,
            error: error instanceof Error ? error.message : String(error),
          }),
      );
    }
    const summary = await runPoll(event, context);
    // Invoked directly, a failed run fails the invocation, so the caller and the Errors alarm see
    // it. A refused reconciliation is not a failure (retrying cannot help): its alarm says so.
    if (summary.outcome === 'failed') {
      const what = 'mode' in summary ? 'Poll' : 'Reconciliation';
      throw new Error(`${what} of app ${summary.app_id} failed: ${summary.error ?? 'unknown error'}`);
    }
    return summary;
  };
}

/** The deployed handler, configured from the Lambda environment. */
export const handler = createHandler({ env: process.env });

/**
 * The dispatcher Lambda. Two callers:
 * - EventBridge Scheduler, once per dispatch interval, with `{"scheduledTime": "<ISO>"}`: it
 *   enqueues a poll of every due registered app on the poll queue, and a reconciliation of the
 *   apps whose one is due (lib/dispatch.ts).
 * - CloudFormation, through the stack's registry-seed custom resource, with the
 *   `gleantap:appIds` context as `AppIds` (comma-separated): it seeds the registry with them
 *   (lib/aws/app-registry.ts `seed`) and answers on the pre-signed response URL.
 * This module is the only place in the dispatcher that reads the environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { DynamoAppRegistry } from '../../lib/aws/app-registry.ts';
import { SqsPollQueue } from '../../lib/aws/poll-queue.ts';
import type { Environment } from '../../lib/config.ts';
import { type DispatchSummary, dispatchPolls } from '../../lib/dispatch.ts';
import { type FleetConfig, loadFleetConfig } from '../../lib/fleet-config.ts';
import { METRICS_SERVICE } from '../../lib/metric-names.ts';
import { toLog } from '../../lib/powertools-log.ts';

const scheduledSchema = z.object({ scheduledTime: z.string().check(z.minLength(1)) });
const customResourceSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.string(),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.optional(z.string()),
  ResourceProperties: z.object({ AppIds: z.optional(z.string()) }),
});
type CustomResourceEvent = z.infer<typeof customResourceSchema>;

/** The dispatcher enqueues polls: it needs the poll queue. */
const DISPATCHER_NEEDS = { queue: true } as const;

/** What the handler needs; tests pass local clients. */
export interface DispatcherDependencies {
  readonly env: Environment;
  readonly dynamodb?: DynamoDBClient;
  readonly sqs?: SQSClient;
  readonly logger?: Logger;
  readonly clock?: () => Date;
  /** Sends the custom resource's answer. @default fetch PUT to the pre-signed URL */
  readonly respond?: (url: string, body: string) => Promise<void>;
}

async function putResponse(url: string, body: string): Promise<void> {
  // The pre-signed URL is signed without a content type: send none.
  const response = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!response.ok) throw new Error(`CloudFormation response upload failed with HTTP ${response.status}.`);
}

/** Builds the dispatcher handler; configuration is validated on the first invocation. */
export function createDispatcherHandler(deps: DispatcherDependencies) {
  const logger = deps.logger ?? new Logger({ serviceName: METRICS_SERVICE });
  const clock = deps.clock ?? (() => new Date());
  const respond = deps.respond ?? putResponse;
  let config: FleetConfig<typeof DISPATCHER_NEEDS> | undefined;
  let registry: DynamoAppRegistry | undefined;
  let queue: SqsPollQueue | undefined;

  const setUp = () => {
    if (!config) {
      const result = loadFleetConfig(deps.env, DISPATCHER_NEEDS);
      if (!result.ok) throw new Error(`Bad configuration: ${result.problems.join(' ')}`);
      config = result.config;
    }
    const { region } = config;
    registry ??= new DynamoAppRegistry({
      client: deps.dynamodb ?? new DynamoDBClient({ region }),
      tableName: config.tableName,
    });
    queue ??= new SqsPollQueue({
      client: deps.sqs ?? new SQSClient({ region }),
      queueUrl: config.queueUrl,
    });
    return { config, registry, queue };
  };

  const seed = async (event: CustomResourceEvent): Promise<void> => {
    const physicalId = event.PhysicalResourceId ?? `${event.LogicalResourceId}-registry-seed`;
    let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
    let reason = 'ok';
    try {
      if (event.RequestType !== 'Delete') {
        const appIds = (event.ResourceProperties.AppIds ?? '')
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean);
        const result = await setUp().registry.seed(appIds, clock());
        logger.info('Seeded the app registry from the gleantap:appIds context.', {
          added: result.added.length,
          removed: result.removed.length,
        });
        reason = `added ${result.added.length}, removed ${result.removed.length}`;
      }
      // Delete keeps the registry: the state table outlives the stack by default.
    } catch (error) {
      status = 'FAILED';
      reason = error instanceof Error ? error.message.slice(0, 500) : String(error);
      logger.error('Seeding the app registry failed.', { reason });
    }
    await respond(
      event.ResponseURL,
      JSON.stringify({
        Status: status,
        Reason: reason,
        PhysicalResourceId: physicalId,
        StackId: event.StackId,
        RequestId: event.RequestId,
        LogicalResourceId: event.LogicalResourceId,
      }),
    );
  };

  return async function handler(event: unknown): Promise<DispatchSummary | undefined> {
    const custom = customResourceSchema.safeParse(event);
    if (custom.success) {
      await seed(custom.data);
      return undefined;
    }
    const scheduled = scheduledSchema.safeParse(event);
    const scheduledTime = scheduled.success ? new Date(scheduled.data.scheduledTime) : clock();
    if (Number.isNaN(scheduledTime.getTime())) {
      throw new Error('Bad input: scheduledTime must be an ISO 8601 time.');
    }
    const { config: current, registry: apps, queue: polls } = setUp();
    return dispatchPolls(
      { apps, queue: polls, log: toLog(logger) },
      {
        scheduledTime,
        dispatchMinutes: current.dispatchMinutes,
        reconcileIntervalDays: current.reconcileIntervalDays,
      },
    );
  };
}

/** The deployed handler, configured from the Lambda environment. */
export const handler = createDispatcherHandler({ env: process.env });

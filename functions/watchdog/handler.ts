/**
 * The watchdog Lambda, run by EventBridge Scheduler once per dispatch interval: reads every
 * registered app and its poll state, and emits fleet-wide counts (AppsRegistered, AppsStale,
 * AppsFailing) that a constant number of alarms watch. The ids of stale and failing apps go in
 * its log line, so an alarm leads to them. The only place in the watchdog that reads the
 * environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoAppRegistry } from '../../lib/aws/app-registry.ts';
import { DynamoStateStore } from '../../lib/aws/dynamo-state-store.ts';
import type { Environment } from '../../lib/config.ts';
import { assessFleet, type FleetHealth } from '../../lib/core/app-health.ts';
import { type FleetConfig, loadFleetConfig } from '../../lib/fleet-config.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE, MetricName } from '../../lib/metric-names.ts';

/** How many app ids one log line lists; the counts are always complete. */
const MAX_IDS_LOGGED = 200;

export interface WatchdogDependencies {
  readonly env: Environment;
  readonly dynamodb?: DynamoDBClient;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: () => Date;
}

/** Builds the watchdog handler; configuration is validated on the first invocation. */
export function createWatchdogHandler(deps: WatchdogDependencies) {
  const logger = deps.logger ?? new Logger({ serviceName: METRICS_SERVICE });
  const metrics = deps.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  const clock = deps.clock ?? (() => new Date());
  let config: FleetConfig<{ queue: false }> | undefined;
  let client: DynamoDBClient | undefined;

  return async function handler(): Promise<FleetHealth> {
    if (!config) {
      const result = loadFleetConfig(deps.env, { queue: false });
      if (!result.ok) throw new Error(`Bad configuration: ${result.problems.join(' ')}`);
      config = result.config;
    }
    client ??= deps.dynamodb ?? new DynamoDBClient({ region: config.region });
    const registry = new DynamoAppRegistry({ client, tableName: config.tableName });
    const store = new DynamoStateStore({ client, tableName: config.tableName });
    const apps = await registry.list();
    const states = await store.getPollStates(apps.filter((app) => !app.paused).map((app) => app.appId));
    const health = assessFleet(
      apps.map((app) => {
        const state = states.get(app.appId);
        const last = state?.lastPoll ?? null;
        const completedAt = last?.outcome === 'complete' ? last.finishedAt : null;
        return {
          appId: app.appId,
          paused: app.paused,
          intervalMinutes: app.intervalMinutes,
          addedAt: app.addedAt,
          // ISO strings of one format order as the instants they name.
          lastCompleteAt:
            [completedAt, state?.watermark ?? null]
              .filter((t): t is string => t !== null)
              .sort()
              .at(-1) ?? null,
          lastOutcome: last?.outcome ?? null,
        };
      }),
      clock(),
      { dispatchMinutes: config.dispatchMinutes, missedPolls: config.missedPolls },
    );
    metrics.addMetric(MetricName.AppsRegistered, MetricUnit.Count, health.registered);
    metrics.addMetric(MetricName.AppsStale, MetricUnit.Count, health.stale.length);
    metrics.addMetric(MetricName.AppsFailing, MetricUnit.Count, health.failing.length);
    metrics.publishStoredMetrics();
    const fields = {
      registered: health.registered,
      paused: health.paused,
      healthy: health.healthy,
      stale: health.stale.length,
      failing: health.failing.length,
      staleAppIds: health.stale.slice(0, MAX_IDS_LOGGED),
      failingAppIds: health.failing.slice(0, MAX_IDS_LOGGED),
    };
    if (health.stale.length > 0 || health.failing.length > 0) logger.warn('Apps need attention.', fields);
    else logger.info('Every active app was polled in time.', fields);
    return health;
  };
}

/** The deployed handler, configured from the Lambda environment. */
export const handler = createWatchdogHandler({ env: process.env });

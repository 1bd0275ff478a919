/**
 * `gleantap-notifier replay`: re-publishes the archived events of a window with their original
 * ids, to the events topic or (`--to-queue`) to one SQS queue.
 */
import { EVENT_TYPES } from '../core/settings.ts';
import type { OutboundMessage } from '../core/types.ts';
import type { Log } from '../ports.ts';
import { type CliIo, EXIT, parseOptions, requireConfig, UsageError } from './cli-contract.ts';

/** An ISO 8601 instant or a YYYY-MM-DD date (midnight UTC), as an ISO string. */
export function parseInstantFlag(flag: string, raw: string): string {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(
      `--${flag} must be an ISO 8601 time or a YYYY-MM-DD date, not ${JSON.stringify(raw)}.`,
    );
  return new Date(ms).toISOString();
}

/** Runs `replay`; returns the exit status. @throws UsageError for bad usage or configuration. */
export async function replayCommand(args: string[], io: CliIo, log: Log): Promise<number> {
  const values = parseOptions(args, {
    'app-id': { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    type: { type: 'string' },
    customer: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'to-queue': { type: 'string' },
  });
  const appId = values['app-id'];
  const toQueue = values['to-queue'];
  if (!appId?.trim()) throw new UsageError('replay needs --app-id ID.');
  if (!values.since) throw new UsageError('replay needs --since T (an ISO 8601 time or YYYY-MM-DD).');
  const since = parseInstantFlag('since', values.since);
  const until = values.until ? parseInstantFlag('until', values.until) : new Date().toISOString();
  if (until <= since) throw new UsageError('--until must be later than --since.');
  const type = EVENT_TYPES.find((t) => t === values.type);
  if (values.type !== undefined && type === undefined) {
    throw new UsageError(
      `--type must be one of ${EVENT_TYPES.join(', ')}, not ${JSON.stringify(values.type)}.`,
    );
  }
  const dryRun = values['dry-run'] ?? false;
  const config = requireConfig(io.env, { table: true, aws: true, topic: !dryRun && toQueue === undefined });
  const { createAwsClients, DynamoStateStore, SnsPublisher } = await import('./runtime.ts');
  const queue =
    toQueue === undefined
      ? undefined
      : await (await import('./replay-to-queue.ts')).queuePublisher(toQueue, io.env);
  const aws = createAwsClients(config, { env: io.env });
  try {
    const store = new DynamoStateStore({ client: aws.dynamodb, tableName: config.tableName });
    const publisher =
      queue ?? (config.topicArn ? new SnsPublisher({ client: aws.sns, topicArn: config.topicArn }) : null);
    const query = {
      appId,
      since,
      until,
      ...(type ? { type } : {}),
      ...(values.customer ? { customerId: values.customer } : {}),
    };
    let found = 0;
    let published = 0;
    let failed = 0;
    let batch: OutboundMessage[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      if (dryRun || !publisher) {
        for (const m of batch) io.stdout(`${JSON.stringify(m.event)}\n`);
      } else {
        const result = await publisher.publish(batch);
        published += result.published.length;
        failed += result.failed.length;
      }
      batch = [];
    };
    for await (const message of store.readArchive(query)) {
      found++;
      batch.push(message);
      if (batch.length >= 100) await flush();
    }
    await flush();
    const summary = {
      app_id: appId,
      since,
      until,
      found,
      published,
      failed,
      dry_run: dryRun,
      ...(toQueue === undefined ? {} : { to_queue: toQueue }),
    };
    if (values.json) io.stdout(`${JSON.stringify(summary)}\n`);
    else if (!dryRun)
      io.stdout(
        `app ${appId}: replayed ${published} of ${found} archived event(s) from ${since} to ${until}\n`,
      );
    else io.stderr(`app ${appId}: ${found} archived event(s) from ${since} to ${until} would be replayed\n`);
    if (failed > 0) {
      log.error('Some replayed events could not be published.', { appId, failed });
      return EXIT.failed;
    }
    return EXIT.ok;
  } finally {
    aws.destroy();
    queue?.destroy();
  }
}

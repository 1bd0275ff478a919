/**
 * `gleantap-notifier apps add|remove|list`: manages the app registry in the state table
 * (lib/aws/app-registry.ts). The dispatcher reads the registry on every tick, so a change
 * takes effect at the next tick, without a redeploy.
 */
import { type CliIo, parseArguments, requireConfig, UsageError } from './cli-contract.ts';

export const APPS_HELP = `Usage: gleantap-notifier apps <add|remove|list> [options]

  apps add ID... [--interval MINUTES] [--paused]
                     Register apps (or change their settings); polled from the next tick.
  apps remove ID...  Unregister apps; their snapshots and poll state stay.
  apps list [--json] The registered apps, one per line (JSON lines with --json).

Environment: NOTIFIER_TABLE_NAME, AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB.
`;

/** Runs `apps …`; returns the exit status. */
export async function appsCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? io.stderr : io.stdout)(APPS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'add' && sub !== 'remove' && sub !== 'list') {
    throw new UsageError(`Unknown apps command ${JSON.stringify(sub)}. Use add, remove or list.`);
  }
  const { values, positionals } = parseArguments(
    rest,
    {
      interval: { type: 'string' },
      paused: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    true,
  );
  if (sub !== 'list' && positionals.length === 0)
    throw new UsageError(`apps ${sub} needs at least one app id.`);
  if (sub === 'list' && positionals.length > 0) throw new UsageError('apps list takes no app ids.');
  if (sub !== 'add' && (values.interval !== undefined || values.paused === true)) {
    throw new UsageError('--interval and --paused belong to apps add.');
  }
  const { REGISTRY_APP_ID, DynamoAppRegistry } = await import('../aws/app-registry.ts');
  for (const appId of positionals) {
    if (!REGISTRY_APP_ID.test(appId)) {
      throw new UsageError(`"${appId}" is not an app id: use 1 to 64 letters, digits, _ . or -.`);
    }
  }
  let interval: number | undefined;
  if (typeof values.interval === 'string') {
    interval = Number(values.interval);
    if (!/^\d+$/.test(values.interval) || interval < 1 || interval > 1440) {
      throw new UsageError(
        `--interval must be whole minutes from 1 to 1440, not ${JSON.stringify(values.interval)}.`,
      );
    }
  }
  const config = requireConfig(io.env, { table: true, aws: true });
  const { createAwsClients } = await import('../adapters.ts');
  const aws = createAwsClients(config, { env: io.env });
  try {
    const registry = new DynamoAppRegistry({ client: aws.dynamodb, tableName: config.tableName });
    if (sub === 'list') {
      for (const app of await registry.list()) {
        io.stdout(
          values.json
            ? `${JSON.stringify({
                app_id: app.appId,
                paused: app.paused,
                interval_minutes: app.intervalMinutes,
                added_at: app.addedAt,
                source: app.source,
              })}\n`
            : `${app.appId}\t${app.paused ? 'paused' : 'active'}\t${
                app.intervalMinutes === null ? 'every tick' : `every ${app.intervalMinutes} min`
              }\tadded ${app.addedAt} (${app.source})\n`,
        );
      }
      return 0;
    }
    for (const appId of positionals) {
      if (sub === 'add') {
        const result = await registry.add(appId, new Date(), {
          ...(interval === undefined ? {} : { intervalMinutes: interval }),
          paused: values.paused === true,
        });
        io.stdout(`${result === 'added' ? 'Added' : 'Updated'} app ${appId}\n`);
      } else {
        const removed = await registry.remove(appId);
        io.stdout(removed ? `Removed app ${appId}\n` : `App ${appId} was not registered\n`);
      }
    }
    return 0;
  } finally {
    aws.destroy();
  }
}

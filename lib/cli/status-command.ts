/**
 * `gleantap-notifier status`: per app, the watermark, the last poll, the checkpoints and the
 * lease, as text or one JSON line per app.
 */
import type { PollState } from '../ports.ts';
import { appIdsFrom, type CliIo, EXIT, parseOptions, requireConfig } from './cli-contract.ts';

/** Runs `status`; returns the exit status. @throws UsageError for bad usage or configuration. */
export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseOptions(args, {
    'app-id': { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  });
  const config = requireConfig(io.env, {
    table: true,
    aws: true,
    appIds: (values['app-id']?.length ?? 0) === 0,
  });
  const appIds = appIdsFrom(values['app-id'], config);
  const { createAwsClients, DynamoStateStore } = await import('./runtime.ts');
  const aws = createAwsClients(config, { env: io.env });
  try {
    const store = new DynamoStateStore({ client: aws.dynamodb, tableName: config.tableName });
    for (const appId of appIds) {
      const state = await store.getPollState(appId);
      io.stdout(values.json ? `${JSON.stringify(statusJson(appId, state))}\n` : statusText(appId, state));
    }
    return EXIT.ok;
  } finally {
    aws.destroy();
  }
}

function leaseExpired(lease: { readonly expiresAt: string }): boolean {
  return Date.parse(lease.expiresAt) <= Date.now();
}

function statusJson(appId: string, state: PollState | null) {
  const lease = state?.lease ?? null;
  return {
    app_id: appId,
    watermark: state?.watermark ?? null,
    previous_watermark: state?.previousWatermark ?? null,
    last_poll: state?.lastPoll ?? null,
    checkpoint: state?.checkpoint ?? null,
    resync_checkpoint: state?.resyncCheckpoint ?? null,
    lease: lease ? { ...lease, expired: leaseExpired(lease) } : null,
    counts: state?.lastPoll?.counts ?? null,
  };
}

function statusText(appId: string, state: PollState | null): string {
  if (!state) return `app ${appId}: never polled\n`;
  const last = state.lastPoll;
  const lines = [
    `app ${appId}`,
    `  watermark   ${state.watermark ?? 'none (the next poll is a baseline)'}${state.previousWatermark ? ` (the next window reaches back to ${state.previousWatermark})` : ''}`,
    `  last poll   ${last ? `${last.outcome} ${last.mode} scan, ${last.startedAt} → ${last.finishedAt}${last.error ? ` (${last.error})` : ''}` : 'none'}`,
    `  counts      ${
      last
        ? Object.entries(last.counts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')
        : '-'
    }`,
    `  checkpoint  ${state.checkpoint ? `${state.checkpoint.mode} scan at offset ${state.checkpoint.offset}${state.checkpoint.updatedSince ? ` of updated_since ${state.checkpoint.updatedSince}` : ''}, started ${state.checkpoint.startedAt}` : 'none'}`,
    `  resync      ${state.resyncCheckpoint ? `unfinished, at offset ${state.resyncCheckpoint.offset}, started ${state.resyncCheckpoint.startedAt}` : 'none'}`,
    `  lease       ${
      state.lease
        ? `held by ${state.lease.owner} until ${state.lease.expiresAt}${leaseExpired(state.lease) ? ` (expired: the next poll takes it; unlock --app-id ${appId} frees it now)` : ''}`
        : 'free'
    }`,
  ];
  return `${lines.join('\n')}\n`;
}

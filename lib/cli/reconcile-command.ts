/**
 * `gleantap-notifier reconcile --app-id ID`: a full scan that finds the customers Gleantap no
 * longer returns and announces them deleted, under the rules of lib/core/reconcile.ts.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_MAX_DELETE_SHARE } from '../core/reconcile.ts';
import type { OutboundMessage } from '../core/types.ts';
import type { Log } from '../ports.ts';
import type { ReconcileSummary } from '../reconcile.ts';
import { type CliIo, parseOptions, requireConfig, UsageError } from './cli-contract.ts';

export const RECONCILE_HELP = `Usage: gleantap-notifier reconcile --app-id ID [--json] [--dry-run]
                                   [--max-delete-share S] [--max-seconds N]

A full scan (no updated_since) of one app that announces customer.deleted for every customer
that this scan and the previous conclusive one both missed. A scan that did not finish, or
saw an id twice (rows moved), deletes nobody. A scan that misses more than a share of the
app's customers (default ${DEFAULT_MAX_DELETE_SHARE * 100} %) publishes nothing and exits 1: after a real mass deletion,
raise --max-delete-share for one run.

Options:
  --app-id ID              The Gleantap app (required).
  --json                   Print one JSON line: {"app_id","outcome","fetched","seen","live",
                           "missing","deleted","unpublished","deferred"}.
  --dry-run                Scan and decide; print the deleted events it would publish; write nothing.
  --max-delete-share S     0..1: the share of the app's customers one run may find missing.
  --max-seconds N          Start no page after N seconds; the next run resumes the scan.

Exit status: 0 done (also when the scan proved nothing, or another reconciliation runs);
1 refused (too many missing), failed, or a deleted event left unpublished; 2 bad usage or
configuration.
`;

const OPTIONS = {
  'app-id': { type: 'string' },
  json: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  'max-delete-share': { type: 'string' },
  'max-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** The JSON line of `reconcile --json`. */
export function reconcileLine(summary: ReconcileSummary): string {
  return JSON.stringify({
    app_id: summary.app_id,
    outcome: summary.outcome,
    fetched: summary.fetched,
    seen: summary.seen,
    live: summary.live,
    missing: summary.missing,
    deleted: summary.deleted,
    unpublished: summary.unpublished,
    deferred: summary.deferred,
  });
}

function reconcileText(summary: ReconcileSummary): string {
  return (
    `app ${summary.app_id}: reconciliation ${summary.outcome}${summary.dryRun ? ' (dry run)' : ''} — ` +
    `fetched ${summary.fetched}, seen ${summary.seen}, live ${summary.live}, missing ${summary.missing}, ` +
    `deleted ${summary.deleted}` +
    (summary.unpublished ? `, unpublished ${summary.unpublished}` : '') +
    (summary.deferred ? `, deferred ${summary.deferred}` : '') +
    ` in ${(summary.durationMs / 1000).toFixed(1)} s\n`
  );
}

/**
 * Runs `reconcile` and returns the exit status.
 * @throws UsageError for bad usage or configuration (exit status 2).
 */
export async function reconcileCommand(args: string[], io: CliIo, log: Log): Promise<number> {
  const values = parseOptions(args, OPTIONS);
  if (values.help) {
    io.stdout(RECONCILE_HELP);
    return 0;
  }
  const appId = values['app-id']?.trim() ?? '';
  if (!appId) throw new UsageError('reconcile needs --app-id ID.');
  const dryRun = values['dry-run'] ?? false;
  const json = values.json ?? false;
  const shareRaw = values['max-delete-share'];
  if (shareRaw !== undefined && !/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(shareRaw))
    throw new UsageError(`--max-delete-share must be a number from 0 to 1, not ${JSON.stringify(shareRaw)}.`);
  const maxDeleteShare = shareRaw === undefined ? DEFAULT_MAX_DELETE_SHARE : Number(shareRaw);
  const secondsRaw = values['max-seconds'];
  if (secondsRaw !== undefined && (!/^\d+$/.test(secondsRaw) || Number(secondsRaw) < 1))
    throw new UsageError(
      `--max-seconds must be a whole number of at least 1, not ${JSON.stringify(secondsRaw)}.`,
    );
  const maxSeconds = secondsRaw === undefined ? undefined : Number(secondsRaw);

  const config = requireConfig(io.env, { credentials: true, table: true, topic: !dryRun, aws: true });

  // The SDK, undici and the scan load only once the arguments and configuration passed.
  const [adapters, reconcile] = await Promise.all([import('../adapters.ts'), import('../reconcile.ts')]);
  const keys = await adapters.resolveGleantapKeys(config.credentials, appId);
  const aws = adapters.createAwsClients(config, { env: io.env });
  const run = adapters.createRunDependencies(config, { aws, keys, dryRun, log, clock: () => new Date() });
  try {
    const summary = await reconcile.reconcileApp(run, {
      appId,
      owner: `cli:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      pageSize: config.pageSize,
      maxDeleteShare,
      dryRun,
      ...(maxSeconds ? { deadline: new Date(Date.now() + maxSeconds * 1000) } : {}),
      ...(dryRun
        ? { onMessages: (messages: readonly OutboundMessage[]) => printEvents(messages, io, json) }
        : {}),
    });
    io.stdout(json ? `${reconcileLine(summary)}\n` : reconcileText(summary));
    if (summary.outcome === 'claim_held')
      io.stderr(`app ${appId}: another reconciliation of this app is running; nothing done.\n`);
    if (summary.outcome === 'inconclusive') io.stderr(`app ${appId}: ${summary.error ?? 'inconclusive'}\n`);
    if (summary.outcome === 'refused' || summary.outcome === 'failed') {
      io.stderr(`app ${appId}: ${summary.error ?? 'the reconciliation failed.'}\n`);
      return 1;
    }
    return 0;
  } finally {
    await run.source.close();
    aws.destroy();
  }
}

function printEvents(messages: readonly OutboundMessage[], io: CliIo, json: boolean): void {
  const write = json ? io.stderr : io.stdout;
  for (const message of messages) write(`${JSON.stringify(message.event)}\n`);
}

/**
 * The operator CLI, exactly as README.md "Operator CLI" documents it (a contract: scripts and
 * acceptance tests drive it). Results go to stdout, logs to stderr. Exit status: 0 done,
 * 1 a poll failed or left a change unpublished, 2 bad usage or configuration, 130 interrupted.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RunDependencies } from '../adapters.ts';
import type { Environment, NotifierConfig } from '../config.ts';
import { EVENT_TYPES } from '../core/settings.ts';
import type { OutboundMessage } from '../core/types.ts';
import { isEmptyBaseline, type PollSummary } from '../poll.ts';
import type { Log, PollState, StateStore } from '../ports.ts';
import { type CliIo, EXIT, parseOptions, requireConfig, UsageError } from './cli-contract.ts';
import { cliVersion, commandHelp, HELP } from './help.ts';
import { createStreamLog, isLogLevel, type LogLevel } from './stderr-log.ts';
import { unlockApp, unlockText } from './unlock.ts';

export { type CliIo, EXIT, UsageError } from './cli-contract.ts';

const runtime = () => import('./runtime.ts');

/** What the `local` demo is given: its parsed flags, and the CLI's io and log. */
export interface LocalDemoOptions {
  /** Polls after the baseline; undefined runs until the signal aborts. */
  readonly cycles: number | undefined;
  readonly intervalSeconds: number;
  readonly customers: number;
  readonly io: CliIo;
  readonly log: Log;
}

/**
 * Commands whose code lives in dev/ (the simulator and stand-ins behind `npm start`), which
 * the package does not ship: a clone's entry point (dev/gleantap-notifier.ts) passes them, the
 * installed CLI has none and says that `local` needs a clone.
 */
export interface CloneCommands {
  /** Runs the embedded demo; resolves with the exit status. */
  readonly local?: (options: LocalDemoOptions) => Promise<number>;
}

/** What `local` answers where the demo is not there: the installed package. */
export const LOCAL_NEEDS_A_CLONE =
  'local runs the embedded demo, which only a clone of the repository has (git clone, npm ci, then npm start): the installed package ships the notifier without the simulator and stand-ins.';

function parsePositiveInt(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new UsageError(`--${flag} must be a whole number of at least 1, not ${JSON.stringify(raw)}.`);
  return Number(raw);
}

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

function logLevel(env: Environment, fallback: LogLevel): LogLevel {
  const raw = env.NOTIFIER_LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return fallback;
  if (!isLogLevel(raw))
    throw new UsageError('NOTIFIER_LOG_LEVEL must be one of debug, info, warn, error, silent.');
  return raw;
}

/**
 * Runs the CLI with argv (without node and script) and returns the exit status; `clone`
 * brings the commands only a clone of the repository has.
 */
export async function runCli(argv: readonly string[], io: CliIo, clone: CloneCommands = {}): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V' || command === 'version') {
    io.stdout(`${cliVersion()}\n`);
    return EXIT.ok;
  }
  const help = command === undefined ? undefined : commandHelp(command);
  if (help !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    io.stdout(help);
    return EXIT.ok;
  }
  try {
    const level = logLevel(io.env, command === 'local' ? 'warn' : 'info');
    const log = createStreamLog(io.stderr, level);
    const errorsLogged = level !== 'silent';
    switch (command) {
      case 'create-table':
        return await createTableCommand(rest, io);
      case 'poll':
        return await pollCommand(rest, io, log, false, errorsLogged);
      case 'resync':
        return await pollCommand(rest, io, log, true, errorsLogged);
      case 'status':
        return await statusCommand(rest, io);
      case 'replay':
        return await replayCommand(rest, io, log);
      case 'apps': {
        const { appsCommand } = await import('./apps-command.ts');
        return await appsCommand(rest, io);
      }
      case 'redrive':
        return await (await import('./redrive-command.ts')).redriveCommand(rest, io);
      case 'reconcile': {
        const { reconcileCommand } = await import('./reconcile-command.ts');
        return await reconcileCommand(rest, io, log);
      }
      case 'unlock':
        return await unlockCommand(rest, io);
      case 'local': {
        const values = parseOptions(rest, {
          cycles: { type: 'string' },
          interval: { type: 'string' },
          customers: { type: 'string' },
        });
        if (clone.local === undefined) throw new UsageError(LOCAL_NEEDS_A_CLONE);
        return await clone.local({
          cycles: parsePositiveInt('cycles', values.cycles),
          intervalSeconds: parsePositiveInt('interval', values.interval) ?? 3,
          customers: parsePositiveInt('customers', values.customers) ?? 200,
          io,
          log,
        });
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        (command === undefined ? io.stderr : io.stdout)(HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(
          `Unknown command ${JSON.stringify(command)}. Commands: create-table, poll, status, replay, resync, unlock, apps, reconcile, redrive, local (see --help).`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`gleantap-notifier: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`gleantap-notifier: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

async function createTableCommand(args: string[], io: CliIo): Promise<number> {
  parseOptions(args, {});
  const config = requireConfig(io.env, { table: true, aws: true });
  const { createAwsClients, createStateTable } = await runtime();
  const aws = createAwsClients(config, { env: io.env });
  try {
    const { tableName } = config;
    const result = await createStateTable(aws.dynamodb, tableName);
    io.stdout(`${result.created ? 'Created' : 'Table already exists:'} ${tableName}\n`);
    if (!result.ttlEnabled)
      io.stderr('This endpoint has no TTL API (dynalite): archived events will not expire here.\n');
    return EXIT.ok;
  } finally {
    aws.destroy();
  }
}

function appIdsFrom(flagValues: string[] | undefined, config: NotifierConfig): string[] {
  const ids = flagValues && flagValues.length > 0 ? flagValues : [...config.appIds];
  for (const id of ids) if (!id.trim()) throw new UsageError('--app-id must not be empty.');
  if (ids.length === 0) throw new UsageError('No app to poll: set GLEANTAP_APP_IDS or pass --app-id.');
  return [...new Set(ids)];
}

/** The JSON line of `poll --json`, exactly the keys of the contract. */
export function summaryLine(summary: PollSummary): string {
  const baseline = summary.mode === 'baseline';
  return JSON.stringify({
    app_id: summary.app_id,
    mode: baseline ? 'baseline' : 'incremental',
    complete: summary.complete,
    fetched: summary.fetched,
    created: summary.created,
    updated: summary.updated,
    optout_changed: summary.optout_changed,
    unchanged: summary.unchanged,
    invalid: summary.invalid,
    published: summary.published,
  });
}

function summaryText(summary: PollSummary): string {
  const what =
    summary.outcome === 'lease_held'
      ? 'skipped: another poll holds the lease'
      : `${summary.mode} scan ${summary.outcome === 'complete' ? 'complete' : summary.outcome}`;
  return (
    `app ${summary.app_id}: ${what}${summary.dryRun ? ' (dry run)' : ''} — fetched ${summary.fetched}, ` +
    `created ${summary.created}, updated ${summary.updated}, opt-out changes ${summary.optout_changed}, ` +
    `unchanged ${summary.unchanged}, invalid ${summary.invalid}, published ${summary.published}` +
    (summary.conflicts ? `, conflicts ${summary.conflicts}` : '') +
    (summary.unpublished ? `, unpublished ${summary.unpublished}` : '') +
    ` in ${(summary.durationMs / 1000).toFixed(1)} s\n`
  );
}

async function pollCommand(
  args: string[],
  io: CliIo,
  log: Log,
  resync: boolean,
  errorsLogged: boolean,
): Promise<number> {
  const values = parseOptions(args, {
    'app-id': { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    'emit-baseline': { type: 'boolean', default: false },
    'max-seconds': { type: 'string' },
  });
  const dryRun = values['dry-run'] ?? false;
  if (resync && (values['app-id']?.length ?? 0) === 0) throw new UsageError('resync needs --app-id ID.');
  // A dry run may go without a table (everything is then a baseline) and never needs the topic.
  const config = requireConfig(io.env, {
    appIds: (values['app-id']?.length ?? 0) === 0,
    credentials: true,
    table: !dryRun,
    topic: !dryRun,
    aws: !dryRun,
  });
  const appIds = appIdsFrom(values['app-id'], config);
  const maxSeconds = parsePositiveInt('max-seconds', values['max-seconds']);
  const json = values.json ?? false;

  const { createAwsClients, createRunDependencies, pollApp, keysForApp, resolveGleantapKeyring } =
    await runtime();
  const keyring = await resolveGleantapKeyring(config.credentials);
  // A dry run may go without a table: no AWS client then, and every app is a baseline.
  const useAws = config.tableName !== null;
  const aws = useAws ? createAwsClients(config, { env: io.env }) : null;
  // One run per app: each app polls with its own keys when the secret has them.
  const runs: RunDependencies[] = [];
  const runFor = (appId: string): RunDependencies => {
    const run = createRunDependencies(config, {
      aws,
      keys: keysForApp(keyring, appId),
      dryRun,
      log,
      clock: () => new Date(),
    });
    runs.push(run);
    return run;
  };
  if (dryRun && !useAws)
    log.info(
      'Dry run without NOTIFIER_TABLE_NAME: no snapshots to compare with, so every app is a baseline.',
    );

  let exit: number = EXIT.ok;
  try {
    for (const appId of appIds) {
      if (io.signal?.aborted) break;
      const progress = io.stderrIsTty ? progressLine(io, appId) : undefined;
      const owner = `cli:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
      const run = runFor(appId);
      // Forced out before the safe point: give the lease back so the next poll need not wait.
      const unregister = dryRun
        ? undefined
        : io.onForcedExit?.(() => run.store.releaseLease(appId, owner).catch(() => undefined));
      const summary = await pollApp(run, {
        appId,
        owner,
        lookbackDays: config.lookbackDays,
        pageSize: config.pageSize,
        watchedFields: config.watchedFields,
        emitBaseline: (values['emit-baseline'] ?? false) || config.emitBaseline,
        resync,
        dryRun,
        ...(maxSeconds ? { deadline: new Date(Date.now() + maxSeconds * 1000) } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        ...(dryRun ? { onMessages: (messages) => printDryRun(messages, io, json) } : {}),
        ...(progress ? { onProgress: progress.update } : {}),
      });
      unregister?.();
      progress?.done();
      io.stdout(json ? `${summaryLine(summary)}\n` : summaryText(summary));
      if (summary.outcome === 'lease_held') io.stderr(await leaseHeldText(run.store, appId));
      if (isEmptyBaseline(summary))
        io.stderr(
          `app ${appId}: the baseline found no customers. Gleantap answers an unknown app id with an empty list: check the app id (and that the keys belong to its account).\n`,
        );
      if (io.signal?.aborted && summary.outcome !== 'failed') {
        io.stderr(
          `app ${appId}: interrupted; ${dryRun ? 'nothing was written' : 'the checkpoint is saved and the lease released, the next poll resumes there'}.\n`,
        );
        exit = EXIT.interrupted;
        break;
      }
      if (summary.outcome === 'failed') {
        // The poll logged its reason as an error; say it here only when errors are not shown.
        io.stderr(
          `app ${appId}: the poll failed and the watermark did not advance${
            errorsLogged
              ? ' (the reason is logged above)'
              : `: ${(summary.error ?? 'unknown error').replace(/\.$/, '')}`
          }.\n`,
        );
        exit = EXIT.failed;
      }
    }
  } finally {
    await Promise.all(runs.map((run) => run.source.close()));
    aws?.destroy();
  }
  return exit;
}

/** Says who holds the lease until when, and how to free it if that poll is gone. */
async function leaseHeldText(store: StateStore, appId: string): Promise<string> {
  const lease = (await store.getPollState(appId).catch(() => null))?.lease ?? null;
  const holder = lease ? ` (${lease.owner}, until ${lease.expiresAt})` : '';
  return `app ${appId}: another poll holds the lease${holder}; nothing done. If that poll is gone, run unlock --app-id ${appId}.\n`;
}

async function unlockCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseOptions(args, {
    'app-id': { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  const appId = values['app-id'];
  if (!appId?.trim()) throw new UsageError('unlock needs --app-id ID.');
  const config = requireConfig(io.env, { table: true, aws: true });
  const { createAwsClients, DynamoStateStore } = await runtime();
  const aws = createAwsClients(config, { env: io.env });
  try {
    const store = new DynamoStateStore({ client: aws.dynamodb, tableName: config.tableName });
    const outcome = await unlockApp(store, { appId, force: values.force ?? false, now: new Date() });
    (outcome.kind === 'refused' ? io.stderr : io.stdout)(unlockText(appId, outcome));
    return outcome.kind === 'refused' ? EXIT.failed : EXIT.ok;
  } finally {
    aws.destroy();
  }
}

function printDryRun(messages: readonly OutboundMessage[], io: CliIo, json: boolean): void {
  const write = json ? io.stderr : io.stdout;
  for (const message of messages) write(`${JSON.stringify(message.event)}\n`);
}

function progressLine(io: CliIo, appId: string) {
  let shown = false;
  return {
    update: ({ fetched, offset }: { fetched: number; offset: number }) => {
      shown = true;
      io.stderr(
        `\r\x1b[2K${appId}: ${fetched.toLocaleString('en-US')} customers scanned (offset ${offset.toLocaleString('en-US')})`,
      );
    },
    done: () => {
      if (shown) io.stderr('\r\x1b[2K');
    },
  };
}

async function statusCommand(args: string[], io: CliIo): Promise<number> {
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
  const { createAwsClients, DynamoStateStore } = await runtime();
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

async function replayCommand(args: string[], io: CliIo, log: Log): Promise<number> {
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
  const { createAwsClients, DynamoStateStore, SnsPublisher } = await runtime();
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

/**
 * The operator CLI, exactly as README.md "Operator CLI" documents it (a contract: scripts and
 * acceptance tests drive it). Results go to stdout, logs to stderr. Exit status: 0 done,
 * 1 a poll failed or left a change unpublished, 2 bad usage or configuration, 130 interrupted.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RunDependencies } from '../adapters.ts';
import type { Environment } from '../config.ts';
import type { OutboundMessage } from '../core/types.ts';
import { isEmptyBaseline, type PollSummary } from '../poll.ts';
import type { Log, StateStore } from '../ports.ts';
import { appIdsFrom, type CliIo, EXIT, parseOptions, requireConfig, UsageError } from './cli-contract.ts';
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
        return await (await import('./status-command.ts')).statusCommand(rest, io);
      case 'replay':
        return await (await import('./replay-command.ts')).replayCommand(rest, io, log);
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

/**
 * `--help` for the CLI and each of its commands, and `--version`. Kept apart from main.ts so
 * the usage text of each command is one entry to edit.
 */
import { readFileSync } from 'node:fs';

const EXIT_STATUS =
  'Exit status: 0 done, 1 a poll failed or left a change unpublished, 2 bad usage or configuration, 130 interrupted.';

/** The usage text of each command, printed by `<command> --help`. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  'create-table': `Usage: gleantap-notifier create-table

Creates NOTIFIER_TABLE_NAME at the configured endpoint with exactly the key schema the stack
deploys. Idempotent: an existing table is left as it is.
Needs: NOTIFIER_TABLE_NAME, AWS_REGION (or AWS_ENDPOINT_URL_DYNAMODB on loopback).`,
  poll: `Usage: gleantap-notifier poll [--app-id ID]... [--json] [--dry-run] [--emit-baseline] [--max-seconds N]

One poll per app (default: every app of GLEANTAP_APP_IDS).
  --app-id ID       poll this app (repeatable)
  --json            stdout holds only one JSON line per app
  --dry-run         print the events it would publish; write nothing
  --emit-baseline   a first (baseline) poll publishes customer.created for every customer
  --max-seconds N   stop at a page boundary after N seconds, leaving a checkpoint
Ctrl-C stops at the next page boundary, keeps the checkpoint and releases the lease.
A poll that finds another poll holding the lease exits 0 and says who holds it until when.`,
  status: `Usage: gleantap-notifier status [--app-id ID]... [--json]

Per app: watermark, last poll (outcome and counts), checkpoint, and the lease (holder and
expiry, or free).`,
  replay: `Usage: gleantap-notifier replay --app-id ID --since T [--until T] [--type T] [--customer ID] [--dry-run] [--json] [--to-queue URL]

Re-publishes the archived events of a window with their original ids. T is ISO 8601 or
YYYY-MM-DD (midnight UTC). --type is one of customer.created, customer.updated,
customer.optout_changed. --to-queue URL sends them to that one SQS queue instead of the topic.`,
  resync: `Usage: gleantap-notifier resync --app-id ID [--json] [--dry-run]

A full scan without updated_since that publishes whatever differs from the snapshots.`,
  unlock: `Usage: gleantap-notifier unlock --app-id ID [--force]

Frees the lease of an app whose poll died without releasing it (a killed process). An
expired lease is freed; an unexpired one only with --force, after making sure its holder
(shown by status) is gone: two polls of one app at once could publish out of order.`,
  local: `Usage: gleantap-notifier local [--cycles N] [--interval SECONDS] [--customers N]

The embedded demo behind npm start: a simulated Gleantap, DynamoDB and SNS on this machine.
Needs a clone of the repository (the installed package does not ship the simulator).`,
};

/** The top-level usage text. */
export const HELP = `Usage: gleantap-notifier <command> [options]
       gleantap-notifier <command> --help
       gleantap-notifier --version

Commands:
  create-table                 Create the state table (idempotent).
  poll [--app-id ID]... [--json] [--dry-run] [--emit-baseline] [--max-seconds N]
                               One poll per app (default: all of GLEANTAP_APP_IDS).
  status [--app-id ID]... [--json]
                               Watermark, last poll, checkpoint, lease and counts per app.
  replay --app-id ID --since T [--until T] [--type T] [--customer ID] [--dry-run] [--json]
         [--to-queue URL]      Re-publish archived events (same ids) for a window; with
                               --to-queue, send them to that one SQS queue, not the topic.
  redrive --from URL --to URL [--max N] [--dry-run] [--json]
                               Move messages from a subscriber's dead-letter queue back.
  resync --app-id ID [--json] [--dry-run]
                               A full scan that publishes whatever differs from the snapshots.
  unlock --app-id ID [--force] Free the lease a dead poll left behind.
  apps add|remove|list         Manage the registered apps the deployed dispatcher polls
                               (see apps --help); takes effect at the next tick.
  reconcile --app-id ID [--json] [--dry-run] [--max-delete-share S] [--max-seconds N]
                               A full scan that announces customers Gleantap no longer returns
                               as deleted (safety rules: reconcile --help).
  local [--cycles N] [--interval SECONDS] [--customers N]
                               The embedded demo behind npm start.

Environment: GLEANTAP_BASE_URL, GLEANTAP_APP_IDS, GLEANTAP_API_KEY, GLEANTAP_SECRET_KEY
(or GLEANTAP_CREDENTIALS_SECRET_ARN), NOTIFIER_TABLE_NAME, EVENTS_TOPIC_ARN, ALERTS_TOPIC_ARN,
AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SNS, NOTIFIER_LOOKBACK_DAYS, NOTIFIER_PAGE_SIZE,
NOTIFIER_EMIT_BASELINE, NOTIFIER_WATCHED_FIELDS, NOTIFIER_LOG_LEVEL.
${EXIT_STATUS}
`;

/** The usage text of `command` with the exit statuses, or undefined for an unknown command. */
export function commandHelp(command: string): string | undefined {
  const text = COMMAND_HELP[command];
  return text === undefined ? undefined : `${text}\n${EXIT_STATUS}\n`;
}

/** The package version, from package.json. */
export function cliVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
  return typeof version === 'string' ? version : 'unknown';
}

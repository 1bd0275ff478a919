/**
 * `redrive --from URL --to URL [--max N] [--dry-run] [--json]`: moves messages from a
 * subscriber's dead-letter queue back to its queue, at most `--max` (default 1000) per run.
 */
import { type CliIo, EXIT, parseOptions, UsageError } from './cli-contract.ts';
import { redrive, sqsClientFor } from './queue-delivery.ts';

const HELP = `Usage: gleantap-notifier redrive --from DLQ_URL --to QUEUE_URL [--max N] [--dry-run] [--json]

Moves messages from a subscriber's dead-letter queue back to its queue, bodies and
attributes unchanged; a message leaves the dead-letter queue only once the queue took it.
SQS's own redrive cannot do this for the dead-letter queue of an SNS subscription.

  --from URL   the dead-letter queue's URL
  --to URL     the queue to move the messages to
  --max N      move at most N messages (default 1000)
  --dry-run    count and list what would move; move nothing
  --json       print one JSON line: {"from","to","moved","failed","dry_run"}
`;

const DEFAULT_MAX = 1000;

/** Runs `redrive`; returns the exit status. */
export const redriveCommand = async (args: string[], io: CliIo): Promise<number> => {
  const values = parseOptions(args, {
    from: { type: 'string' },
    to: { type: 'string' },
    max: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const { from, to } = values;
  if (!from || !to) throw new UsageError('redrive needs --from DLQ_URL and --to QUEUE_URL.');
  if (from === to) throw new UsageError('--from and --to must be different queues.');
  const max = values.max === undefined ? DEFAULT_MAX : Number(values.max);
  if (!Number.isInteger(max) || max < 1 || !/^\d+$/.test(values.max ?? '1')) {
    throw new UsageError(`--max must be a whole number of at least 1, not ${JSON.stringify(values.max)}.`);
  }
  const dryRun = values['dry-run'] ?? false;
  const clientOf = (flag: string, url: string) => {
    try {
      return sqsClientFor(url, io.env);
    } catch (error) {
      throw new UsageError(`--${flag}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const source = clientOf('from', from);
  const target = clientOf('to', to);
  try {
    const tally = await redrive({
      from: { client: source, url: from },
      to: { client: target, url: to },
      max,
      dryRun,
      ...(dryRun && !values.json
        ? { onMessage: (message) => io.stdout(`would move ${message.MessageId ?? '?'}\n`) }
        : {}),
    });
    if (values.json) {
      io.stdout(
        `${JSON.stringify({ from, to, moved: tally.sent, failed: tally.failed, dry_run: dryRun })}\n`,
      );
    } else {
      io.stdout(
        dryRun
          ? `${tally.sent} message(s) would move from ${from} to ${to}\n`
          : `moved ${tally.sent} message(s) from ${from} to ${to}${tally.failed > 0 ? `; ${tally.failed} failed` : ''}\n`,
      );
    }
    return tally.failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    source.destroy();
    target.destroy();
  }
};

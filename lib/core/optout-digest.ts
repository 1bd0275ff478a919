/**
 * The opt-out digest: one plain-text e-mail per app and page that lists the page's opt-out
 * changes, for studio staff (README.md, "Opt-out digests (what staff read)"). It is built from
 * the page's `customer.optout_changed` events and goes to the alerts topic, never to the
 * events topic; subscribers of the events topic still get every event.
 */
import { asciiOnly, clean, truncateChars, truncateUtf8, utf8Length } from './display-text.ts';
import { MAX_SUBJECT_LENGTH } from './events.ts';
import { hashedUuid } from './hashed-id.ts';
import { formatInstant, parseInstant } from './instant.ts';
import type { Change, Channel, Customer, MessageAttribute, OutboundMessage } from './types.ts';

/** The `type` message attribute of every digest (the alerts topic carries nothing else). */
export const OPTOUT_DIGEST_TYPE = 'gleantap.optout_digest';

/** Largest digest body, in UTF-8 bytes: well inside SNS's 256 KiB and any mail client's patience. */
export const MAX_DIGEST_TEXT_BYTES = 16_384;

/** Customers listed by name in one digest before the rest become "and N more". */
export const MAX_DIGEST_LISTED = 50;

/** A listed name is cut here, so one line of the list stays one line on a phone. */
const MAX_NAME_CHARS = 60;

/** One opt-out change of one customer on one channel, as the digest lists it. */
export interface DigestEntry {
  /** The id of the `customer.optout_changed` event that announced it. */
  readonly eventId: string;
  readonly customer: Pick<Customer, 'id' | 'firstname' | 'lastname'>;
  readonly channel: Channel;
  /** True: opted out; false: opted back in. */
  readonly optedOut: boolean;
  /** Detection time, ISO 8601 UTC (`Z`). */
  readonly detectedAt: string;
}

export interface DigestOptions {
  /** @default MAX_DIGEST_LISTED */
  readonly maxListed?: number;
  /** @default MAX_DIGEST_TEXT_BYTES */
  readonly maxBytes?: number;
}

/** A digest ready for the alerts topic (a plain-text message with a `Subject`). */
export interface OptoutDigest {
  /**
   * Deterministic: a function of the app and the set of event ids it covers (not their order,
   * not the detection time), so a page handled again after a crash yields the same id.
   */
  readonly id: string;
  readonly appId: string;
  /** Printable ASCII, under SNS's 100-character limit. */
  readonly subject: string;
  /** The e-mail body, plain text, at most the configured bytes. */
  readonly text: string;
  /** The covered event ids, sorted. */
  readonly eventIds: readonly string[];
  /** Entries listed by name; the other `entries − listed` are summed up as "and N more". */
  readonly listed: number;
  /** SNS message attributes: `type`, `app_id` (what the e-mail subscriptions filter on) and `digest_id`. */
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
}

/**
 * The digest entries of one change: one per `customer.optout_changed` message among
 * `messages` (the change's own messages), paired with the opt-out it announces by channel,
 * detected when its event says (`time`). Created and unchanged customers have none.
 */
export function digestEntriesOf(change: Change, messages: readonly OutboundMessage[]): DigestEntry[] {
  if (change.kind !== 'updated') return [];
  const entries: DigestEntry[] = [];
  for (const optout of change.optoutChanges) {
    const message = messages.find(
      (m) => m.type === 'customer.optout_changed' && m.attributes.channel?.StringValue === optout.channel,
    );
    const detectedAt = message?.event.time;
    if (message === undefined || typeof detectedAt !== 'string') continue;
    entries.push({
      eventId: message.id,
      customer: change.customer,
      channel: optout.channel,
      optedOut: optout.optedOut,
      detectedAt,
    });
  }
  return entries;
}

/**
 * The digest id: sha256 over the app and the sorted, de-duplicated event ids, as a UUIDv8.
 */
export function digestId(appId: string, eventIds: readonly string[]): string {
  return hashedUuid(JSON.stringify(['gleantap-notifier:optout-digest:v1', appId, sortedUnique(eventIds)]));
}

/**
 * One digest for one app's opt-out changes, or null when there are none. Opt-outs are listed
 * before opt-ins, each by name and then customer id, so the same entries give the same text.
 * Entries repeated by event id count once.
 *
 * @throws Error when an entry's `detectedAt` is not an ISO 8601 UTC instant, or a limit is
 * not a positive integer.
 */
export function buildOptoutDigest(
  appId: string,
  entries: readonly DigestEntry[],
  options: DigestOptions = {},
): OptoutDigest | null {
  const maxListed = options.maxListed ?? MAX_DIGEST_LISTED;
  const maxBytes = options.maxBytes ?? MAX_DIGEST_TEXT_BYTES;
  if (!Number.isInteger(maxListed) || maxListed < 1)
    throw new Error(`buildOptoutDigest: maxListed must be a positive integer; got ${maxListed}`);
  if (!Number.isInteger(maxBytes) || maxBytes < 1024)
    throw new Error(`buildOptoutDigest: maxBytes must be an integer of at least 1024; got ${maxBytes}`);

  const unique = [...new Map(entries.map((entry) => [entry.eventId, entry])).values()];
  if (unique.length === 0) return null;
  const lines = unique.map((entry) => ({ entry, ...describeEntry(entry) })).sort(byListOrder);
  const optOuts = unique.filter((e) => e.optedOut).length;
  const optIns = unique.length - optOuts;
  const firstDetected = lines.map((l) => l.detected).sort()[0] ?? '';
  const app = clean(appId, 80);
  const id = digestId(
    appId,
    unique.map((e) => e.eventId),
  );

  const head = [
    `${countOf(unique.length, 'opt-out change')} in Gleantap app ${app}: ${summary(optOuts, optIns)}.`,
    '',
  ];
  const foot = (omitted: number) => [
    ...(omitted > 0 ? ['', `... and ${omitted} more.`] : []),
    '',
    'Every opt-out change of this app since then: whoever runs gleantap-notifier can list them',
    "(in its repository, with the deployment's AWS credentials and NOTIFIER_TABLE_NAME) with",
    `  npx gleantap-notifier replay --app-id ${shellQuote(appId)} --since ${firstDetected} --type customer.optout_changed --dry-run`,
    '',
    `Sent by gleantap-notifier, one digest per app and poll page. Digest id: ${id}`,
    '(A repeat carries the same digest id.)',
  ];

  const render = (count: number): string => {
    const shown = lines.slice(0, count);
    const list = shown.flatMap((line, index) => {
      const opensSection = index === 0 || shown[index - 1]?.entry.optedOut !== line.entry.optedOut;
      return opensSection
        ? ['', line.entry.optedOut ? 'Opted out:' : 'Opted back in:', line.text]
        : [line.text];
    });
    return [...head, ...list.slice(1), ...foot(lines.length - count)].join('\n');
  };
  // The longest list that fits both limits. Only a pathologically long app id can make the
  // bare footer itself too long; the cut then keeps the size promise.
  let count = 0;
  let text = truncateUtf8(render(0), maxBytes);
  while (count < Math.min(maxListed, lines.length)) {
    const longer = render(count + 1);
    if (utf8Length(longer) > maxBytes) break;
    count++;
    text = longer;
  }

  return {
    id,
    appId,
    subject: digestSubject(appId, optOuts, optIns),
    text,
    eventIds: sortedUnique(unique.map((e) => e.eventId)),
    listed: count,
    attributes: {
      type: { DataType: 'String', StringValue: OPTOUT_DIGEST_TYPE },
      app_id: { DataType: 'String', StringValue: appId },
      digest_id: { DataType: 'String', StringValue: id },
    },
  };
}

/**
 * "Gleantap: 3 opt-outs at <app>" (with ", 1 opt-in" when some opted back in): printable
 * ASCII, under 100 characters, no customer's name (subjects show in inbox lists and logs).
 */
export function digestSubject(appId: string, optOuts: number, optIns: number): string {
  const counts = [
    ...(optOuts > 0 ? [countOf(optOuts, 'opt-out')] : []),
    ...(optIns > 0 ? [countOf(optIns, 'opt-in')] : []),
  ].join(', ');
  const prefix = `Gleantap: ${counts} at `;
  return truncateChars(`${prefix}${asciiOnly(appId, 200)}`, MAX_SUBJECT_LENGTH);
}

function describeEntry(entry: DigestEntry): { text: string; sortName: string; detected: string } {
  const ms = /[Zz]$/.test(entry.detectedAt)
    ? parseInstant(entry.detectedAt, { requireZone: true })
    : undefined;
  if (ms === undefined)
    throw new Error(
      `buildOptoutDigest: detectedAt must be an ISO 8601 UTC instant; got ${JSON.stringify(entry.detectedAt)}`,
    );
  const name = [entry.customer.firstname, entry.customer.lastname]
    .map((part) => (part === null ? '' : clean(part)))
    .filter((part) => part !== '')
    .join(' ');
  const id = clean(entry.customer.id, 40);
  const who =
    name === '' ? `(no name) customer ${id}` : `${truncateChars(name, MAX_NAME_CHARS)} (customer ${id})`;
  const channel = entry.channel === 'email' ? 'email' : 'SMS';
  const what = entry.optedOut ? `opted out of ${channel}` : `opted back in to ${channel}`;
  const detected = formatInstant(ms);
  const when = `${detected.slice(0, 10)} ${detected.slice(11, 19)} UTC`;
  return { text: `- ${who}: ${what}, detected ${when}`, sortName: name.toLowerCase(), detected };
}

function byListOrder(
  a: { entry: DigestEntry; sortName: string },
  b: { entry: DigestEntry; sortName: string },
): number {
  if (a.entry.optedOut !== b.entry.optedOut) return a.entry.optedOut ? -1 : 1;
  return (
    compare(a.sortName, b.sortName) ||
    compare(a.entry.customer.id, b.entry.customer.id) ||
    compare(a.entry.channel, b.entry.channel) ||
    compare(a.entry.eventId, b.entry.eventId)
  );
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function summary(optOuts: number, optIns: number): string {
  const parts = [
    ...(optOuts > 0 ? [`${optOuts} opted out`] : []),
    ...(optIns > 0 ? [`${optIns} opted back in`] : []),
  ];
  return parts.join(', ');
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compare);
}

/** The app id as one POSIX shell word (single-quoted unless it is plainly safe). */
function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_.:@%+=,/-]+$/.test(value)) return value;
  return `'${clean(value, 1000).replaceAll("'", `'\\''`)}'`;
}

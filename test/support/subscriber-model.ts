/**
 * The subscriber model: the judge of every reliability run (Jepsen's lesson: a model judges
 * the history). It consumes events exactly as the README tells a subscriber to:
 *
 * 1. drop an event whose `id` was already applied for its `source`;
 * 2. drop an event whose `sequence` is not above the last one applied for its `source` and
 *    `subject` (12-digit zero-padded strings compare as strings; the older integer form is
 *    read as its 12-digit string, so both can be judged during the upgrade);
 * 3. apply it: `customer.created`, `customer.updated` and `customer.optout_changed` set the
 *    mirror's record to `data.customer`; `customer.deleted` removes the record but keeps the
 *    sequence (a customer that comes back arrives with a higher one).
 *
 * Besides the mirror it keeps what a test needs to judge a history: every (sequence →
 * content) each customer's events carried, applied or not, so "no sequence carries two
 * contents" can be asserted; and the opt-out states announced per customer and channel.
 *
 * It never reads our own diff code: expected states come from the simulator's population.
 */
import { canonicalJson } from '../../lib/core/content-hash.ts';
import type { JsonValue } from '../../lib/core/types.ts';

/** The parts of a CloudEvent the model reads; any published event (or a hand-made one) fits. */
export interface ModelEvent {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string;
  /** The 12-digit string of the contract, or the integer form it replaced. */
  readonly sequence: string | number;
  readonly data: {
    readonly customer: unknown;
    readonly channel?: string;
    readonly opted_out?: boolean;
  };
}

/** What the model did with one event. */
export type Verdict = 'applied' | 'duplicate' | 'stale';

/** One opt-out state a customer's events announced. */
export interface OptoutAnnouncement {
  readonly channel: 'email' | 'sms';
  readonly optedOut: boolean;
  readonly sequence: string;
  /** `customer.optout_changed`, or `customer.created` (the initial state it carries). */
  readonly type: string;
  /**
   * Whether it reached the subscriber as current: the event was applied, or dropped only
   * because the customer.updated of the same change (same sequence) was applied first.
   */
  readonly applied: boolean;
}

/** A sequence of one customer that was seen with more than one content. */
export interface SequenceConflict {
  readonly source: string;
  readonly subject: string;
  readonly sequence: string;
  readonly contents: readonly string[];
}

const WIDTH = 12;

/**
 * The sequence as the contract writes it: a 12-digit zero-padded decimal string.
 * @throws Error for anything else (a negative or fractional number, a string of other shape).
 */
export function sequenceKey(sequence: string | number): string {
  if (typeof sequence === 'number') {
    if (!Number.isSafeInteger(sequence) || sequence < 0)
      throw new Error(`sequence ${sequence} is not a whole number`);
    return String(sequence).padStart(WIDTH, '0');
  }
  if (!/^\d{12}$/.test(sequence)) throw new Error(`sequence ${JSON.stringify(sequence)} is not 12 digits`);
  return sequence;
}

/** Canonical text of a customer record (key order does not matter), for comparing contents. */
export function contentOf(customer: unknown): string {
  return canonicalJson(JSON.parse(JSON.stringify(customer ?? null)) as JsonValue);
}

const key = (source: string, subject: string) => JSON.stringify([source, subject]);

const CHANNELS = ['email', 'sms'] as const;

function entry<K, V>(map: Map<K, V>, at: K, make: () => V): V {
  const found = map.get(at);
  if (found !== undefined) return found;
  const made = make();
  map.set(at, made);
  return made;
}

function flag(customer: unknown, channel: 'email' | 'sms'): boolean | undefined {
  if (typeof customer !== 'object' || customer === null) return undefined;
  const value: unknown = Reflect.get(customer, `${channel}_optout`);
  return value === 1 ? true : value === 0 ? false : undefined;
}

/** A subscriber that follows the README rule, with the records a test judges a history by. */
export class SubscriberModel {
  readonly #appliedIds = new Map<string, Set<string>>();
  readonly #lastSequence = new Map<string, string>();
  readonly #mirror = new Map<string, Map<string, unknown>>();
  readonly #contents = new Map<
    string,
    { source: string; subject: string; bySequence: Map<string, Set<string>> }
  >();
  readonly #optouts = new Map<string, OptoutAnnouncement[]>();
  /** Events seen, by verdict. */
  readonly counts: Record<Verdict, number> = { applied: 0, duplicate: 0, stale: 0 };

  /** Applies one event by the README rule and says what it did with it. */
  apply(event: ModelEvent): Verdict {
    const sequence = sequenceKey(event.sequence);
    const customerKey = key(event.source, event.subject);
    const content = contentOf(event.data.customer);
    const seen = entry(this.#contents, customerKey, () => ({
      source: event.source,
      subject: event.subject,
      bySequence: new Map<string, Set<string>>(),
    }));
    const contents = entry(seen.bySequence, sequence, () => new Set<string>());
    if (event.type !== 'customer.deleted') contents.add(content);

    const verdict = this.#judge(event, sequence, customerKey);
    this.counts[verdict]++;
    // An opt-out event shares its sequence with the customer.updated of the same change, so
    // the rule drops it when the update came first; it still told the subscriber the state
    // of the change it applied. An older sequence announced nothing.
    const sibling = verdict === 'stale' && this.#lastSequence.get(customerKey) === sequence;
    this.#announce(event, sequence, customerKey, verdict === 'applied' || sibling);
    return verdict;
  }

  /** Applies events in the order given (the order a subscriber received them). */
  applyAll(events: Iterable<ModelEvent>): void {
    for (const event of events) this.apply(event);
  }

  #judge(event: ModelEvent, sequence: string, customerKey: string): Verdict {
    const ids = entry(this.#appliedIds, event.source, () => new Set<string>());
    if (ids.has(event.id)) return 'duplicate';
    const last = this.#lastSequence.get(customerKey);
    if (last !== undefined && sequence <= last) return 'stale';
    ids.add(event.id);
    this.#lastSequence.set(customerKey, sequence);
    const mirror = entry(this.#mirror, event.source, () => new Map<string, unknown>());
    if (event.type === 'customer.deleted') mirror.delete(event.subject);
    else mirror.set(event.subject, event.data.customer);
    return 'applied';
  }

  #announce(event: ModelEvent, sequence: string, customerKey: string, applied: boolean): void {
    const list = entry(this.#optouts, customerKey, (): OptoutAnnouncement[] => []);
    if (event.type === 'customer.optout_changed') {
      const channel = event.data.channel;
      if ((channel === 'email' || channel === 'sms') && typeof event.data.opted_out === 'boolean')
        list.push({ channel, optedOut: event.data.opted_out, sequence, type: event.type, applied });
    } else if (event.type === 'customer.created') {
      for (const channel of CHANNELS) {
        const optedOut = flag(event.data.customer, channel);
        if (optedOut !== undefined) list.push({ channel, optedOut, sequence, type: event.type, applied });
      }
    }
  }

  /** The mirror of one source: subject → the record last applied (deleted ones absent). */
  mirror(source: string): ReadonlyMap<string, unknown> {
    return this.#mirror.get(source) ?? new Map();
  }

  /** The last sequence applied for a customer (kept after a delete), or undefined. */
  lastSequence(source: string, subject: string): string | undefined {
    return this.#lastSequence.get(key(source, subject));
  }

  /**
   * How the mirror of `source` differs from `expected` (subject → record, e.g. the simulator's
   * parsed population): one sentence per missing, extra or different customer; empty when equal.
   */
  differences(
    source: string,
    expected: ReadonlyMap<string, unknown>,
    /** Judge only these subjects (the rest of the mirror is not looked at). */
    only?: ReadonlySet<string>,
  ): string[] {
    const all = this.mirror(source);
    const mirror = only ? new Map([...all].filter(([subject]) => only.has(subject))) : all;
    const out: string[] = [];
    for (const [subject, record] of expected) {
      if (only && !only.has(subject)) continue;
      const held = mirror.get(subject);
      if (held === undefined) out.push(`${subject}: missing from the mirror`);
      else if (contentOf(held) !== contentOf(record))
        out.push(
          `${subject}: the mirror holds other content (sequence ${this.lastSequence(source, subject)})`,
        );
    }
    for (const subject of mirror.keys())
      if (!expected.has(subject)) out.push(`${subject}: in the mirror but not in the population`);
    return out;
  }

  /** Every customer sequence that was seen with two or more different contents. */
  sequenceConflicts(): SequenceConflict[] {
    const out: SequenceConflict[] = [];
    for (const { source, subject, bySequence } of this.#contents.values())
      for (const [sequence, contents] of bySequence)
        if (contents.size > 1) out.push({ source, subject, sequence, contents: [...contents] });
    return out;
  }

  /** The opt-out states one customer's events announced, in the order seen. */
  optoutAnnouncements(source: string, subject: string): readonly OptoutAnnouncement[] {
    return this.#optouts.get(key(source, subject)) ?? [];
  }

  /**
   * Whether an event announced, as current, that `subject` is or became `optedOut` on
   * `channel` (see {@link OptoutAnnouncement.applied}; an older sequence announced nothing).
   */
  announced(source: string, subject: string, channel: 'email' | 'sms', optedOut: boolean): boolean {
    return this.optoutAnnouncements(source, subject).some(
      (a) => a.applied && a.channel === channel && a.optedOut === optedOut,
    );
  }
}

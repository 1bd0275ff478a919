/**
 * The model-based test across days (issue 12, item 8), shared by scan-model.test.ts (a fixed
 * seed in `npm test`) and soak.ts (`npm run soak`, new seeds).
 *
 * One run: a fresh Gleantap app with random quirks (row order, hidden rows, capped limit,
 * server zone, inclusive or exclusive `updated_since`), then fast-check's model-based
 * testing (`fc.commands` / `fc.asyncModelRun`) drives random operations: creates, updates,
 * opt-outs, touches, deletes, time and days passing, gaps of 0-5 days without a complete
 * poll, and polls with random faults (Gleantap errors, SNS entry failures, DynamoDB
 * throttles and conflicts, crashes between steps, deadlines mid-scan, rows moving under the
 * offsets while a scan reads them). Then faults stop, and polls run until two complete.
 *
 * The judge is the subscriber model (test/support/subscriber-model.ts) fed every published
 * event; expectations come from the simulator's population, never from our diff code:
 * - the mirror equals the visible population (customers that still exist: until issue 17
 *   adds `customer.deleted`, a deleted customer stays in the mirror and is not compared);
 * - every opt-out state that held from the start of one complete poll to the end of the next
 *   complete poll was announced to the subscriber;
 * - no sequence of a customer carries two contents.
 *
 * Everything runs in-process (the memory store, the simulator's populations without HTTP, a
 * recording publisher) so hundreds of runs fit in seconds.
 */
import fc from 'fast-check';
import { SimulatedApp, SimulatorClock, type SourceQuirks } from '../../dev/gleantap-simulator.ts';
import { seededRandom } from '../../dev/seeded-random.ts';
import { DEFAULT_WATCHED_FIELDS } from '../../lib/core/content-hash.ts';
import { parseMembersPage } from '../../lib/core/customer.ts';
import type { JsonValue, OutboundMessage } from '../../lib/core/types.ts';
import { type PollSummary, pollApp } from '../../lib/poll.ts';
import type {
  CustomerPage,
  CustomerSource,
  EventPublisher,
  PageRequest,
  PublishResult,
  StateStore,
} from '../../lib/ports.ts';
import { silentLog } from '../support/harness.ts';
import { MemoryStateStore } from '../support/memory-state-store.ts';
import { contentOf, type ModelEvent, SubscriberModel } from '../support/subscriber-model.ts';

const APP = 'model-app';
const SOURCE = `gleantap:app/${APP}`;
const MINUTE = 60_000;
const DAY = 86_400_000;
/** Fake time a page takes: scans last a while, so rows move during them and deadlines fall mid-scan. */
const PAGE_MS = 10_000;

/** Thrown where a fault fires; a crash makes the whole poller process "die". */
class InjectedFault extends Error {}

/** The figures a set of runs reports. */
export class ModelFigures {
  runs = 0;
  operations = 0;
  polls = 0;
  completePolls = 0;
  daysSimulated = 0;
  /** Days inside gaps without a complete poll (every poll in them failed). */
  gapDays = 0;
  events = 0;
  lost = 0;
  readonly faults: Record<string, number> = {};
  count(kind: string, n = 1): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + n;
  }
  get faultsFired(): number {
    return Object.values(this.faults).reduce((a, b) => a + b, 0);
  }
  table(title: string): string {
    const rows: [string, string][] = [
      ['runs', String(this.runs)],
      ['operations (commands run, shrinking excluded)', String(this.operations)],
      ['polls', `${this.polls} (${this.completePolls} complete)`],
      ['faults fired', String(this.faultsFired)],
      ...Object.entries(this.faults)
        .sort()
        .map(([k, v]): [string, string] => [`  ${k}`, String(v)]),
      ['days simulated', this.daysSimulated.toFixed(1)],
      ['  of which in gaps without a complete poll', String(this.gapDays)],
      ['events published', String(this.events)],
      ['lost (judge failures)', String(this.lost)],
    ];
    return [
      `### ${title}`,
      '',
      '| figure | value |',
      '| --- | ---: |',
      ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    ].join('\n');
  }
}

/** The quirks of one run's source, and the settings that go with them. */
export interface RunSetup {
  readonly quirks: SourceQuirks & { readonly hideOne: boolean };
  readonly customers: number;
  readonly pageSize: number;
  readonly prefetch: boolean;
  readonly startDaysAgo: number;
  /** Whether the baseline announces every customer; without it only news after the baseline reaches the subscriber. */
  readonly emitBaseline: boolean;
}

export const setupArbitrary: fc.Arbitrary<RunSetup> = fc.record({
  quirks: fc.record({
    order: fc.constantFrom('insertion', 'updated-asc', 'updated-desc'),
    maxLimit: fc.constantFrom(1000, 1000, 2, 3),
    hideOne: fc.boolean(),
    utcOffsetMinutes: fc.integer({ min: -12, max: 14 }).map((h) => h * 60),
    updatedSinceInclusive: fc.boolean(),
  }),
  customers: fc.integer({ min: 3, max: 14 }),
  pageSize: fc.integer({ min: 2, max: 5 }),
  prefetch: fc.boolean(),
  startDaysAgo: fc.integer({ min: 0, max: 40 }),
  emitBaseline: fc.boolean(),
});

/**
 * The lookback a run needs: 1 day covers any zone from UTC−12 to +14 with an inclusive
 * `updated_since`, and an exclusive one at UTC or east of it; an exclusive `updated_since` on
 * a server behind UTC needs 2 (README, "Guarantees").
 */
export const lookbackFor = (q: SourceQuirks): number =>
  q.updatedSinceInclusive === false && (q.utcOffsetMinutes ?? 0) < 0 ? 2 : 1;

type Mutation =
  | { readonly kind: 'create'; readonly email: boolean; readonly sms: boolean }
  | { readonly kind: 'update'; readonly pick: number; readonly field: string; readonly value: number }
  | {
      readonly kind: 'optout';
      readonly pick: number;
      readonly channel: 'email' | 'sms';
      readonly value: boolean;
    }
  | { readonly kind: 'touch'; readonly pick: number }
  | { readonly kind: 'delete'; readonly pick: number };

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), email: fc.boolean(), sms: fc.boolean() }),
  fc.record({
    kind: fc.constant('update' as const),
    pick: fc.nat(),
    field: fc.constantFrom('last_location', 'lastname', 'email', 'phone'),
    value: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('optout' as const),
    pick: fc.nat(),
    channel: fc.constantFrom('email' as const, 'sms' as const),
    value: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('touch' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
);

const describeMutation = (m: Mutation): string => JSON.stringify(m);

type DdbFault = 'none' | 'heads' | 'commit' | 'conflict' | 'checkpoint' | 'endScan' | 'acquire';

/** The faults and interference of one poll. */
interface PollPlan {
  readonly apiFailPage: number | null;
  readonly snsFailRate: number;
  readonly ddb: DdbFault;
  readonly ddbAtCall: number;
  readonly crash: { readonly step: 'fetched' | 'published' | 'committed'; readonly page: number } | null;
  readonly deadlinePages: number | null;
  readonly midScan: readonly { readonly afterPage: number; readonly mutation: Mutation }[];
  readonly seed: number;
}

/**
 * Faults that leave a change published (in part) but not committed (SNS refusing some
 * entries, a commit throttled or in conflict, a crash after publishing) need issue 11's
 * write-ahead intent: without it a customer that changes again before the next poll gets the
 * same sequence with other content, which the judge catches (it did: fast-check seeds
 * 20261201 and 758193). Until that lands on main they run only with MODEL_POST_PUBLISH=1.
 */
const POST_PUBLISH_FAULTS = process.env.MODEL_POST_PUBLISH === '1';

const pollPlanArbitrary: fc.Arbitrary<PollPlan> = fc.record({
  apiFailPage: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }),
  snsFailRate: POST_PUBLISH_FAULTS ? fc.constantFrom(0, 0, 0, 0.3) : fc.constant(0),
  ddb: fc.constantFrom<DdbFault>(
    'none',
    'none',
    'none',
    'heads',
    'checkpoint',
    'endScan',
    'acquire',
    ...(POST_PUBLISH_FAULTS ? (['commit', 'conflict'] as const) : []),
  ),
  ddbAtCall: fc.integer({ min: 0, max: 3 }),
  crash: fc.option(
    fc.record({
      step: fc.constantFrom<'fetched' | 'published' | 'committed'>(
        'fetched',
        'committed',
        ...(POST_PUBLISH_FAULTS ? (['published'] as const) : []),
      ),
      page: fc.integer({ min: 0, max: 3 }),
    }),
    { freq: 5 },
  ),
  deadlinePages: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 4 }),
  midScan: fc.array(fc.record({ afterPage: fc.integer({ min: 0, max: 3 }), mutation: mutationArbitrary }), {
    maxLength: 2,
  }),
  seed: fc.nat(),
});

const quiet: PollPlan = {
  apiFailPage: null,
  snsFailRate: 0,
  ddb: 'none',
  ddbAtCall: 0,
  crash: null,
  deadlinePages: null,
  midScan: [],
  seed: 0,
};

/** One opt-out state of a customer, and the ticks it held over. */
interface OptoutSpan {
  readonly id: string;
  readonly channel: 'email' | 'sms';
  readonly optedOut: boolean;
  readonly from: number;
  to: number | null;
}

/** The system under test and the record of what happened, for one run. */
export class World {
  readonly clock: SimulatorClock;
  readonly app: SimulatedApp;
  readonly store = new MemoryStateStore();
  readonly published: OutboundMessage[] = [];
  readonly lookbackDays: number;
  /** Ticks count mutations; opt-out spans and poll intervals are measured in them. */
  tick = 0;
  readonly spans: OptoutSpan[] = [];
  /** Customers created after the baseline. */
  readonly created = new Set<string>();
  /** Each initial customer's content at the baseline (no change happens before it). */
  readonly atBaseline = new Map<string, string | undefined>();
  /** Complete, drift-free polls as [start tick, end tick]. */
  readonly completePolls: [number, number][] = [];
  readonly summaries: PollSummary[] = [];
  /** A crashed poller's store refuses every call until the "process" is gone. */
  dead = false;
  #plan: PollPlan = quiet;
  #random: () => number = Math.random;
  #calls: Record<string, number> = {};
  #pagesServed = 0;
  readonly startMs: number;

  constructor(
    readonly setup: RunSetup,
    readonly figures: ModelFigures,
  ) {
    this.startMs = Date.UTC(2026, 2, 1, 9) - setup.startDaysAgo * DAY;
    this.clock = new SimulatorClock(this.startMs);
    this.app = new SimulatedApp(APP, this.clock.now);
    const ids = this.app.seed(setup.customers, {
      seed: setup.customers,
      varied: true,
      updatedAt: this.startMs - 10 * DAY,
    });
    const hidden = setup.quirks.hideOne ? ids[0] : undefined;
    const { hideOne: _, ...quirks } = setup.quirks;
    this.app.setQuirks({
      ...quirks,
      ...(hidden === undefined ? {} : { hidden: (id: string) => id === hidden }),
    });
    this.lookbackDays = lookbackFor(setup.quirks);
    for (const id of ids) {
      this.#recordOptouts(id);
      this.atBaseline.set(id, this.content(id));
    }
  }

  /** Whether a subscriber without the baseline's events must have heard of this customer. */
  isNews(id: string): boolean {
    return this.created.has(id) || this.content(id) !== this.atBaseline.get(id);
  }

  /** Live, visible customer ids (what `pick` indexes into). */
  ids(): string[] {
    return [...this.app.visibleMembers().keys()];
  }

  mutate(mutation: Mutation): void {
    this.clock.advance(1000);
    this.tick++;
    const ids = this.ids();
    if (mutation.kind === 'create') {
      const id = this.app.create({ email_optout: mutation.email ? 1 : 0, sms_optout: mutation.sms ? 1 : 0 });
      this.created.add(id);
      this.#recordOptouts(id);
      return;
    }
    if (ids.length === 0) return;
    const id = ids[mutation.pick % ids.length] ?? '';
    switch (mutation.kind) {
      case 'update':
        this.app.update(id, { [mutation.field]: `${mutation.field}-${mutation.value}` });
        break;
      case 'optout':
        this.app.setOptout(id, mutation.channel, mutation.value);
        break;
      case 'touch':
        this.app.touch(id);
        break;
      case 'delete':
        this.app.remove(id);
        break;
    }
    this.#recordOptouts(id);
  }

  /** The customer's parsed content as a subscriber would hold it, or undefined when gone. */
  content(id: string): string | undefined {
    const raw = this.app.visibleMembers().get(id);
    const parsed = raw === undefined ? undefined : parseMembersPage({ members: [raw] });
    const customer = parsed?.ok ? parsed.customers[0] : undefined;
    return customer === undefined ? undefined : contentOf(customer);
  }

  /** Closes the span of a state that changed (or a deleted customer) and opens the new one. */
  #recordOptouts(id: string): void {
    const record = this.app.visibleMembers().get(id);
    for (const channel of ['email', 'sms'] as const) {
      const open = this.spans.find((s) => s.id === id && s.channel === channel && s.to === null);
      const parsed = record === undefined ? undefined : parseMembersPage({ members: [record] });
      const customer = parsed?.ok ? parsed.customers[0] : undefined;
      const now = customer === undefined ? undefined : customer[`${channel}_optout`] === 1;
      if (open !== undefined && open.optedOut === now) continue;
      if (open !== undefined) open.to = this.tick;
      if (now !== undefined) this.spans.push({ id, channel, optedOut: now, from: this.tick, to: null });
    }
  }

  advance(ms: number): void {
    this.clock.advance(ms);
    this.figures.daysSimulated += ms / DAY;
  }

  /** The in-process Gleantap source, with this poll's faults and rows moving under it. */
  readonly source: CustomerSource = {
    pages: (request: PageRequest) => this.#pages(request),
  };

  async *#pages(request: PageRequest): AsyncGenerator<CustomerPage> {
    let offset = request.startOffset;
    const fetch = (at: number): CustomerPage => {
      if (request.signal?.aborted) throw request.signal.reason;
      const n = this.#pagesServed++;
      if (this.#plan.apiFailPage === n) {
        this.figures.count('gleantap error (retries exhausted)');
        throw new InjectedFault(`Gleantap answered 500 for offset ${at} after every retry`);
      }
      const members: JsonValue[] = this.app.page({
        offset: at,
        limit: request.pageSize,
        ...(request.updatedSince === undefined ? {} : { updatedSince: request.updatedSince }),
      });
      const parsed = parseMembersPage({ members });
      if (!parsed.ok) throw new Error(parsed.reason);
      return {
        offset: at,
        received: parsed.received,
        customers: parsed.customers,
        rejections: parsed.rejections,
      };
    };
    // With prefetch, the next page is read before the consumer handles this one (as the client does).
    let next: CustomerPage | undefined = fetch(offset);
    while (next !== undefined) {
      const page: CustomerPage = next;
      next = undefined;
      if (page.received > 0 && this.setup.prefetch) next = fetch(offset + page.received);
      yield page;
      if (page.received === 0) return;
      offset += page.received;
      next ??= fetch(offset);
    }
  }

  /** The publisher: records what SNS accepted; refuses entries (retryable) at this poll's rate. */
  readonly publisher: EventPublisher = {
    publish: async (messages): Promise<PublishResult> => {
      this.#alive('publish');
      const failed = messages.filter(() => this.#random() < this.#plan.snsFailRate);
      if (failed.length > 0) this.figures.count('SNS entry refused', failed.length);
      const refused = new Set(failed.map((m) => m.id));
      const sent = messages.filter((m) => !refused.has(m.id));
      this.published.push(...sent);
      return {
        published: sent.map((m) => m.id),
        failed: failed.map((m) => ({ id: m.id, reason: 'InternalError (injected)', permanent: false })),
      };
    },
  };

  #alive(what: string): void {
    if (this.dead) throw new InjectedFault(`the process crashed before ${what}`);
  }

  /** DynamoDB with this poll's throttle or conflict, and a crash that kills every later call. */
  readonly faultyStore: StateStore = new Proxy(this.store, {
    get: (target, property, receiver) => {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const name = String(property);
      return async (...args: unknown[]) => {
        this.#alive(name);
        const call = this.#calls[name] ?? 0;
        this.#calls[name] = call + 1;
        const plan = this.#plan;
        const throttled: Record<string, string> = {
          heads: 'getSnapshotHeads',
          commit: 'commitSnapshots',
          checkpoint: 'saveCheckpoint',
          endScan: 'endScan',
          acquire: 'acquireLease',
        };
        if (throttled[plan.ddb] === name && call === plan.ddbAtCall) {
          this.figures.count(`DynamoDB throttle (${name})`);
          throw new InjectedFault(`ProvisionedThroughputExceededException on ${name} (injected)`);
        }
        if (plan.ddb === 'conflict' && name === 'commitSnapshots' && call === plan.ddbAtCall) {
          // The conditional write fails (another writer's version won the race): nothing is
          // written and every customer of the batch is reported as a conflict.
          const commits = args[1];
          if (Array.isArray(commits) && commits.length > 0) {
            this.figures.count('DynamoDB commit conflict');
            return {
              committed: [],
              conflicts: commits.map((c: { snapshot: { customerId: string } }) => c.snapshot.customerId),
            };
          }
        }
        const result: unknown = await Reflect.apply(value, target, args);
        return result;
      };
    },
  });

  /** Runs one poll under a plan; returns its summary (a crashed poll's too). */
  async poll(plan: PollPlan, failing = false): Promise<PollSummary> {
    // A failing poll: Gleantap refuses its first page (keys revoked, an outage).
    this.#plan = failing ? { ...quiet, apiFailPage: this.#pagesServed } : plan;
    // Per-poll fault randomness from a seed fast-check chose.
    this.#random = seededRandom(plan.seed);
    this.#calls = {};
    const startTick = this.tick;
    const started = this.clock.now();
    const deadline =
      plan.deadlinePages === null
        ? undefined
        : new Date(started + plan.deadlinePages * PAGE_MS + PAGE_MS / 2);
    let page = 0;
    const summary = await pollApp(
      {
        source: this.source,
        store: this.faultyStore,
        publisher: this.publisher,
        log: silentLog,
        clock: this.clock.date,
      },
      {
        appId: APP,
        owner: `poller-${this.figures.polls}-${this.summaries.length}`,
        lookbackDays: this.lookbackDays,
        pageSize: this.setup.pageSize,
        watchedFields: DEFAULT_WATCHED_FIELDS,
        emitBaseline: this.setup.emitBaseline,
        checkpointIntervalMs: 0,
        ...(deadline === undefined ? {} : { deadline }),
        // 'fetched' comes for every page; 'published' and 'committed' only for pages with
        // something to publish. Page time passes, and rows move, once a page is in hand.
        onStep: async (step) => {
          if (step === 'fetched') page++;
          const crash = plan.crash;
          if (crash !== null && crash.step === step && crash.page === page - 1) {
            this.figures.count(`crash after ${step}`);
            this.dead = true;
            throw new InjectedFault(`crashed after ${step} of page ${page - 1}`);
          }
          if (step !== 'fetched') return;
          this.clock.advance(PAGE_MS);
          for (const { afterPage, mutation } of plan.midScan)
            if (afterPage === page - 1) {
              this.figures.count('row moved or changed mid-scan');
              this.mutate(mutation);
            }
        },
      },
    );
    this.figures.polls++;
    if (summary.outcome === 'incomplete' && deadline !== undefined) this.figures.count('deadline mid-scan');
    if (this.dead) {
      // The process is gone: its lease runs out on its own (the deadline's grace, or 15 min).
      this.dead = false;
      this.advance(
        20 * MINUTE + (deadline === undefined ? 0 : Math.max(0, deadline.getTime() - this.clock.now())),
      );
    }
    this.summaries.push(summary);
    if (summary.outcome === 'complete' && summary.drift !== true) {
      this.completePolls.push([startTick, this.tick]);
      this.figures.completePolls++;
    }
    return summary;
  }

  /** Faults off, no changes: polls until two complete ones (a crashed lease expires first). */
  async quiesce(): Promise<void> {
    let complete = 0;
    for (let i = 0; i < 12 && complete < 2; i++) {
      this.advance(5 * MINUTE);
      const summary = await this.poll(quiet);
      if (summary.outcome === 'complete' && summary.drift !== true) complete++;
    }
    if (complete < 2) throw new Error('the polls did not complete twice in a row with faults off');
  }

  /** The judge: the subscriber model against the simulator's population. */
  judge(): string[] {
    const model = new SubscriberModel();
    for (const message of this.published) model.apply(toModelEvent(message));
    const problems: string[] = [];
    const population = new Map<string, unknown>();
    for (const [id, raw] of this.app.visibleMembers()) {
      const parsed = parseMembersPage({ members: [raw] });
      if (parsed.ok && parsed.customers[0] !== undefined) population.set(id, parsed.customers[0]);
    }
    // customer.deleted is issue 17's: a deleted customer may stay in the mirror. Without
    // emitBaseline the subscriber only has to know customers with news after the baseline
    // (anything it holds must still be current).
    const mirror = model.mirror(SOURCE);
    const expected = this.setup.emitBaseline
      ? population
      : new Map([...population].filter(([id]) => this.isNews(id) || mirror.has(id)));
    for (const difference of model.differences(SOURCE, expected))
      if (!difference.endsWith('in the mirror but not in the population')) problems.push(difference);
    for (const id of mirror.keys())
      if (!population.has(id) && !this.everExisted(id)) problems.push(`${id}: announced but never existed`);
    for (const conflict of model.sequenceConflicts())
      problems.push(
        `${conflict.subject}: sequence ${conflict.sequence} carried ${conflict.contents.length} contents`,
      );
    for (const span of this.spans) {
      // Without emitBaseline a state is news for a customer created after the baseline, a
      // state other than the one the baseline recorded, or a return to it after another
      // state was announced.
      if (!this.setup.emitBaseline && !this.created.has(span.id)) {
        const initial = this.spans.find(
          (x) => x.id === span.id && x.channel === span.channel && x.from === 0,
        );
        const otherAnnounced = model
          .optoutAnnouncements(SOURCE, span.id)
          .some((a) => a.channel === span.channel && a.optedOut !== span.optedOut);
        if (span.from === 0 || (initial?.optedOut === span.optedOut && !otherAnnounced)) continue;
      }
      const held = this.completePolls.some(([start], i) => {
        const next = this.completePolls[i + 1];
        return next !== undefined && span.from <= start && (span.to === null || span.to > next[1]);
      });
      // Announced = an event that carries the state was published (a `customer.optout_changed`
      // shares its sequence with the `customer.updated` of the same change, so the README rule
      // applies one of the two; the state reached the subscriber either way).
      const announced = model
        .optoutAnnouncements(SOURCE, span.id)
        .some((a) => a.channel === span.channel && a.optedOut === span.optedOut);
      if (held && !announced)
        problems.push(
          `${span.id}: ${span.channel} opted ${span.optedOut ? 'out' : 'in'} held across two complete polls but was never announced`,
        );
    }
    return problems;
  }

  everExisted(id: string): boolean {
    return this.spans.some((s) => s.id === id);
  }
}

function toModelEvent(message: OutboundMessage): ModelEvent {
  const e = message.event;
  const data = e.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('event without data');
  const sequence = e.sequence;
  if (typeof sequence !== 'string' && typeof sequence !== 'number') throw new Error('event without sequence');
  const channel = data.channel;
  const optedOut = data.opted_out;
  return {
    id: String(e.id),
    type: String(e.type),
    source: String(e.source),
    subject: String(e.subject),
    sequence,
    data: {
      customer: data.customer,
      ...(typeof channel === 'string' ? { channel } : {}),
      ...(typeof optedOut === 'boolean' ? { opted_out: optedOut } : {}),
    },
  };
}

/** fast-check's model: nothing to predict, every command applies at any time. */
type Model = Record<string, never>;
type Command = fc.AsyncCommand<Model, World>;

class MutateCommand implements Command {
  constructor(readonly mutation: Mutation) {}
  check = () => true;
  async run(_m: Model, w: World) {
    w.figures.operations++;
    w.mutate(this.mutation);
  }
  toString = () => `mutate ${describeMutation(this.mutation)}`;
}

class TimeCommand implements Command {
  constructor(readonly minutes: number) {}
  check = () => true;
  async run(_m: Model, w: World) {
    w.figures.operations++;
    w.advance(this.minutes * MINUTE);
  }
  toString = () => `wait ${this.minutes} min`;
}

class DaysCommand implements Command {
  constructor(readonly days: number) {}
  check = () => true;
  async run(_m: Model, w: World) {
    w.figures.operations++;
    w.advance(this.days * DAY);
  }
  toString = () => `wait ${this.days} day(s)`;
}

/** Days without a complete poll: every poll in the gap fails at Gleantap; changes still happen. */
class GapCommand implements Command {
  constructor(
    readonly days: number,
    readonly failedPolls: number,
    readonly changes: readonly Mutation[],
  ) {}
  check = () => true;
  async run(_m: Model, w: World) {
    w.figures.operations++;
    w.figures.gapDays += this.days;
    for (let day = 0; day < this.days; day++) {
      w.advance(DAY);
      const change = this.changes[day];
      if (change !== undefined) w.mutate(change);
      for (let i = 0; i < this.failedPolls; i++) await w.poll(quiet, true);
    }
  }
  toString = () =>
    `gap of ${this.days} day(s), ${this.failedPolls} failed poll(s) a day, changes ${this.changes.map(describeMutation).join(' ')}`;
}

class PollCommand implements Command {
  constructor(readonly plan: PollPlan) {}
  check = () => true;
  async run(_m: Model, w: World) {
    w.figures.operations++;
    w.advance(5 * MINUTE);
    await w.poll(this.plan);
  }
  toString = () => `poll ${JSON.stringify(this.plan)}`;
}

export const commandsArbitrary = fc.commands(
  [
    mutationArbitrary.map((m) => new MutateCommand(m)),
    mutationArbitrary.map((m) => new MutateCommand(m)),
    fc.integer({ min: 1, max: 240 }).map((n) => new TimeCommand(n)),
    fc.integer({ min: 1, max: 2 }).map((n) => new DaysCommand(n)),
    fc
      .record({
        days: fc.integer({ min: 0, max: 5 }),
        failedPolls: fc.integer({ min: 0, max: 2 }),
        changes: fc.array(mutationArbitrary, { maxLength: 5 }),
      })
      .map(({ days, failedPolls, changes }) => new GapCommand(days, failedPolls, changes)),
    pollPlanArbitrary.map((p) => new PollCommand(p)),
    pollPlanArbitrary.map((p) => new PollCommand(p)),
    pollPlanArbitrary.map((p) => new PollCommand(p)),
  ],
  { maxCommands: 40, size: 'large' },
);

/** One run: setup, the commands, quiet polls, the judge. Throws with the problems found. */
export async function runModel(
  setup: RunSetup,
  commands: Iterable<Command>,
  figures: ModelFigures,
): Promise<void> {
  const world = new World(setup, figures);
  // The baseline first, so the app has something to diff against.
  await world.poll(quiet);
  await fc.asyncModelRun(() => ({ model: {}, real: world }), commands);
  await world.quiesce();
  const problems = world.judge();
  figures.runs++;
  figures.events += world.published.length;
  if (problems.length > 0) {
    figures.lost += problems.length;
    throw new Error(`${problems.length} problem(s): ${problems.slice(0, 6).join('; ')}`);
  }
}

/** The property fast-check checks; `figures` collects what the runs did. */
export function modelProperty(figures: ModelFigures) {
  return fc.asyncProperty(setupArbitrary, commandsArbitrary, (setup, commands) =>
    runModel(setup, commands, figures),
  );
}

/**
 * Change-to-publish latency and load on Gleantap over one simulated day, without waiting a
 * day: a discrete-event simulation on a virtual clock that runs the real poll cycle
 * (`pollApp` from lib/poll.ts: lease, window, pages, deadline, checkpoint and resume,
 * diff, publish, commit, watermark) once per scheduled invocation, with the handler's real
 * deadline (`pollDeadline`) for the construct's default timeout.
 *
 * What is real and what is modelled:
 * - The population is the Gleantap simulator's own (`SimulatedApp`, which serves
 *   `updated_since` by day); rows are parsed by the client's parser (`parseCustomer`).
 * - The state store is `MemoryStateStore`, the in-process store with the DynamoDB
 *   adapter's conditional semantics; events go to a recording publisher.
 * - Time: nothing here reads the wall clock. A getCustomers page takes `pageLatencyMs`,
 *   with the client's one-page prefetch; every store call and publish advances the
 *   clock by costs measured from the real poller against dynalite and the SNS stand-in in
 *   the same bench run (see {@link MeasuredCosts}).
 * - Paging follows the real client's rule; {@link checkPagingModel} runs the real client
 *   against the HTTP simulator beside this model and fails the bench if they differ.
 */

import {
  type SimulatedApp,
  type SourceQuirks,
  startGleantapSimulator,
} from '../../dev/gleantap-simulator.ts';
import { seededRandom } from '../../dev/seeded-random.ts';
import { parseCustomer } from '../../lib/core/customer.ts';
import type { Customer, JsonValue, OutboundMessage, Rejection } from '../../lib/core/types.ts';
import { createGleantapClient } from '../../lib/gleantap/client.ts';
import { type PollDependencies, type PollOptions, pollApp } from '../../lib/poll.ts';
import type { CustomerPage, CustomerSource, EventPublisher, Log, PageRequest } from '../../lib/ports.ts';
import { MemoryStateStore } from '../support/memory-state-store.ts';

const DAY_MS = 86_400_000;
const silent: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** Per-step times of the real poller, measured by the bench in the same run (milliseconds). */
export interface MeasuredCosts {
  /** Handling one full page of unchanged customers (parse, hash reads, hashing), beyond its fetch. */
  readonly perPageMs: number;
  /** Each changed customer: snapshot read, events built, published, archived, committed. */
  readonly perChangedMs: number;
  /** Each other state store call (lease, checkpoint, end of scan, intent). */
  readonly perStoreCallMs: number;
}

export interface DaySimulation {
  readonly customers: number;
  /** Share of the customers that change once each day, at uniformly random times. */
  readonly dailyChurn: number;
  readonly intervalMs: number;
  /** The Lambda timeout: the remaining time each invocation starts with. */
  readonly timeoutMs: number;
  readonly pageLatencyMs: number;
  readonly costs: MeasuredCosts;
  /** The handler's deadline: no page starts at or after it. */
  readonly deadline: (now: Date, remainingMs: number) => Date;
  readonly poll: Pick<PollOptions, 'lookbackDays' | 'pageSize' | 'watchedFields'>;
  readonly seed: number;
  /**
   * The hours of the day (0–23) whose polls run and whose changes are measured; each span is
   * preceded by unmeasured polls (ten minutes, or three intervals) that catch up with the
   * changes since the last one, as after any gap. Absent: the whole day. A stratified sample, for the case
   * that would otherwise cost a minute of CPU (100k customers polled every minute).
   */
  readonly hours?: readonly number[];
  /** The order Gleantap serves rows in (undocumented; a simulator knob). */
  readonly order: NonNullable<SourceQuirks['order']>;
}

export interface DayResult {
  /** Publish time − change time of every change made during the day, ms, ascending. */
  readonly latenciesMs: readonly number[];
  readonly changes: number;
  /** Changes not published within two hours after the day (should be 0). */
  readonly unpublished: number;
  /** The hours simulated and measured. */
  readonly hoursSimulated: number;
  /** getCustomers requests of the invocations scheduled in the measured hours, per day. */
  readonly requestsPerDay: number;
  /** The same for the floor: one page per 1,000 windowed customers plus the empty last page, each poll. */
  readonly floorRequestsPerDay: number;
  readonly invocations: number;
  /** Ticks that found the previous invocation still running (their poll would find the lease held). */
  readonly overlapped: number;
  readonly outcomes: Readonly<Record<string, number>>;
  /** The longest invocation of the measured hours, virtual ms, and when it was scheduled. */
  readonly longestInvocationMs: number;
  readonly longestInvocationAt: string;
}

/** The virtual clock: only the simulated steps move it. */
class VirtualClock {
  constructor(public nowMs: number) {}
  advance(ms: number): void {
    this.nowMs += ms;
  }
  advanceTo(ms: number): void {
    if (ms > this.nowMs) this.nowMs = ms;
  }
}

/** A change to apply at `atMs`: every tenth one flips the email opt-out, the others move studio. */
interface PlannedChange {
  readonly atMs: number;
  readonly id: string;
  readonly optout: boolean;
}

function planDay(ids: readonly string[], dayStartMs: number, churn: number, random: () => number) {
  const count = Math.round(ids.length * churn);
  // Partial Fisher-Yates on a copy: `count` distinct customers.
  const pool = [...ids];
  const plan: PlannedChange[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    const id = pool[j] ?? '';
    pool[j] = pool[i] ?? '';
    pool[i] = id;
    plan.push({ atMs: dayStartMs + Math.floor(random() * DAY_MS), id, optout: i % 10 === 0 });
  }
  return plan.sort((a, b) => a.atMs - b.atMs);
}

/**
 * getCustomers over the simulator's population on the virtual clock. Mirrors the real
 * client's paging (lib/gleantap/client.ts `pages()`): the next page is requested as soon as
 * a page with rows arrives (prefetch), and paging stops after the first empty page.
 */
class VirtualGleantap implements CustomerSource {
  requests = 0;
  /** When the page being handled was served: it holds every change made up to then. */
  servedAtMs = 0;
  readonly requestedOffsets: number[] = [];

  constructor(
    private readonly app: SimulatedApp,
    private readonly clock: VirtualClock,
    private readonly latencyMs: number,
    private readonly applyChangesUntil: (ms: number) => void,
  ) {}

  /**
   * The client's parser, once per record version: an update replaces the simulator's record
   * object, so a record seen before parses to the same customer. (Parsing every row of every
   * poll again would be a fifth of this simulation's CPU and change no figure.)
   */
  readonly #parsed = new WeakMap<object, ReturnType<typeof parseCustomer>>();

  #parse(members: readonly JsonValue[]): {
    received: number;
    customers: Customer[];
    rejections: Rejection[];
  } {
    const customers: Customer[] = [];
    const rejections: Rejection[] = [];
    members.forEach((member, index) => {
      const key = typeof member === 'object' && member !== null ? member : undefined;
      let result = key && this.#parsed.get(key);
      if (result === undefined) {
        result = parseCustomer(member);
        if (key) this.#parsed.set(key, result);
      }
      if (result.ok) customers.push(result.customer);
      else rejections.push({ index, ...result.rejection });
    });
    return { received: members.length, customers, rejections };
  }

  async *pages(request: PageRequest): AsyncGenerator<CustomerPage> {
    const since =
      request.updatedSince === undefined ? undefined : Date.parse(`${request.updatedSince}T00:00:00Z`);
    let offset = request.startOffset;
    let arrivesAt = this.clock.nowMs + this.latencyMs;
    for (;;) {
      this.clock.advanceTo(arrivesAt);
      this.applyChangesUntil(this.clock.nowMs);
      const rows = this.app.select({
        offset,
        limit: request.pageSize,
        ...(since === undefined ? {} : { updatedSinceMs: since }),
      });
      this.requests++;
      this.requestedOffsets.push(offset);
      const parsed = this.#parse(rows.map((row) => row.record ?? row.raw ?? null));
      this.servedAtMs = this.clock.nowMs;
      // Only an empty page ends a scan (a short one is not the end), as in the client.
      const more = parsed.received > 0;
      // The prefetch leaves with the page's arrival, while the poll handles this one.
      arrivesAt = this.clock.nowMs + this.latencyMs;
      yield { offset, received: parsed.received, customers: parsed.customers, rejections: parsed.rejections };
      if (!more) return;
      offset += parsed.received;
    }
  }
}

/** Wraps an object so that each method call first moves the virtual clock by `cost(method, args)`. */
function timed<T extends object>(
  target: T,
  clock: VirtualClock,
  cost: (method: string, args: unknown[]) => number,
): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        clock.advance(cost(property, args));
        return Reflect.apply(value, object, args);
      };
    },
  });
}

/**
 * Runs one day. Set-up (not measured): the customers are seeded three days before, a day
 * of changes is made the day before and a baseline taken at its end, so the measured day
 * starts in the steady state where every window holds yesterday's changes and today's.
 */
export async function simulateDay(sim: DaySimulation): Promise<DayResult> {
  const random = seededRandom(sim.seed);
  const dayStart = Date.UTC(2026, 2, 10);
  const clock = new VirtualClock(dayStart - 3 * DAY_MS);
  // The simulator stamps updated times from this; changes are stamped at their own time.
  let stampMs = clock.nowMs;
  const simulator = await startGleantapSimulator({ now: () => stampMs });
  try {
    const app = simulator.app('latency');
    app.setQuirks({ order: sim.order });
    const ids = app.seed(sim.customers, { varied: false, seed: sim.seed });
    const plan = [
      ...planDay(ids, dayStart - DAY_MS, sim.dailyChurn, random),
      ...planDay(ids, dayStart, sim.dailyChurn, random),
    ];
    /** The measured spans of the day, [start, end) in ms. */
    const segments: [number, number][] = (sim.hours ?? [...Array(24).keys()])
      .map((h): [number, number] => [dayStart + h * 3_600_000, dayStart + (h + 1) * 3_600_000])
      .reduce<[number, number][]>((spans, span) => {
        const last = spans.at(-1);
        if (last && last[1] === span[0]) last[1] = span[1];
        else spans.push(span);
        return spans;
      }, []);
    const measured = (ms: number) => segments.some(([from, to]) => ms >= from && ms < to);
    let next = 0;
    /** Change times per customer, awaiting their publication (changes of the measured day only). */
    const pending = new Map<string, number[]>();
    const applyChangesUntil = (ms: number) => {
      for (; next < plan.length && (plan[next]?.atMs ?? Number.POSITIVE_INFINITY) <= ms; next++) {
        const change = plan[next];
        if (change === undefined) break;
        stampMs = change.atMs;
        if (change.optout) {
          const current = app.get(change.id)?.email_optout;
          app.setOptout(change.id, 'email', !(current === 1 || current === '1' || current === true));
        } else {
          app.update(change.id, { last_location: `Studio ${next}` });
        }
        if (measured(change.atMs)) pending.set(change.id, [...(pending.get(change.id) ?? []), change.atMs]);
      }
      stampMs = ms;
    };

    const source = new VirtualGleantap(app, clock, sim.pageLatencyMs, applyChangesUntil);
    const latencies: number[] = [];
    const publisher: EventPublisher = {
      async publish(messages: readonly OutboundMessage[]) {
        const customers = new Set(messages.map((m) => m.customerId));
        clock.advance(customers.size * sim.costs.perChangedMs);
        for (const id of customers) {
          const times = pending.get(id);
          if (times === undefined) continue;
          const covered = times.filter((t) => t <= source.servedAtMs);
          for (const t of covered) latencies.push(clock.nowMs - t);
          const left = times.filter((t) => t > source.servedAtMs);
          if (left.length === 0) pending.delete(id);
          else pending.set(id, left);
        }
        return { published: messages.map((m) => m.id), failed: [] };
      },
    };
    const store = timed(new MemoryStateStore(), clock, (method, args) => {
      if (method === 'getSnapshotHeads') {
        const keys = args[1];
        return Array.isArray(keys) ? (sim.costs.perPageMs * keys.length) / sim.poll.pageSize : 0;
      }
      // Whole snapshots are read and committed only for changed customers, already charged per change.
      if (method === 'getSnapshots' || method === 'commitSnapshots' || method === 'archive') return 0;
      return sim.costs.perStoreCallMs;
    });
    const deps: PollDependencies = {
      source,
      store,
      publisher,
      log: silent,
      clock: () => new Date(clock.nowMs),
    };
    let invocations = 0;
    const poll = (deadline?: Date) =>
      pollApp(deps, {
        appId: 'latency',
        owner: `invocation-${++invocations}`,
        ...sim.poll,
        ...(deadline === undefined ? {} : { deadline }),
      });

    // Unmeasured polls on the schedule before each measured span: after a gap they catch up,
    // and before the day they take the set-up out of the figures (the scans right after a
    // baseline re-read everything, once in an app's life).
    const catchUpMs = Math.max(10 * 60_000, 3 * sim.intervalMs);
    // Before the first span, two hours: after a baseline, full scans repeat until one is
    // drift-free (rows that change during a long scan move to the end and are read twice).
    const setUpMs = 2 * 3_600_000;
    // Set-up: yesterday's changes, then a baseline before the first unmeasured polls.
    clock.advanceTo(dayStart - setUpMs - 30 * 60_000);
    applyChangesUntil(clock.nowMs);
    const baseline = await poll();
    if (baseline.outcome !== 'complete' || clock.nowMs >= dayStart - setUpMs)
      throw new Error(
        `latency model: the set-up baseline ended ${baseline.outcome} at ${new Date(clock.nowMs).toISOString()}`,
      );

    const outcomes: Record<string, number> = {};
    let requests = 0;
    let floorRequests = 0;
    let overlapped = 0;
    let longest = 0;
    let longestAt = dayStart;
    const lookbackMs = sim.poll.lookbackDays * DAY_MS;
    const HOUR_MS = 3_600_000;
    const runTick = async (tick: number, measured: boolean) => {
      if (clock.nowMs > tick) {
        overlapped++;
        return;
      }
      clock.advanceTo(tick);
      applyChangesUntil(tick);
      const before = source.requests;
      const summary = await poll(sim.deadline(new Date(tick), sim.timeoutMs));
      outcomes[summary.outcome] = (outcomes[summary.outcome] ?? 0) + 1;
      if (measured && clock.nowMs - tick > longest) {
        longest = clock.nowMs - tick;
        longestAt = tick;
      }
      if (measured) {
        requests += source.requests - before;
        const windowStart = Math.floor((tick - lookbackMs) / DAY_MS) * DAY_MS;
        let windowed = 0;
        for (let offset = 0; ; offset += sim.poll.pageSize) {
          const rows = app.select({ offset, limit: sim.poll.pageSize, updatedSinceMs: windowStart }).length;
          windowed += rows;
          if (rows < sim.poll.pageSize) break;
        }
        floorRequests += Math.ceil(windowed / sim.poll.pageSize) + 1;
      }
    };
    for (const [index, [from, to]] of segments.entries()) {
      const grid = (ms: number) => dayStart + Math.ceil((ms - dayStart) / sim.intervalMs) * sim.intervalMs;
      // Then until this segment's changes are out (two hours at most: the rest count as unpublished).
      const lead = index === 0 ? setUpMs : catchUpMs;
      for (let tick = grid(from - lead); tick < to + 2 * HOUR_MS; tick += sim.intervalMs) {
        if (tick >= to) {
          applyChangesUntil(tick);
          if (![...pending.values()].some((times) => times.some((t) => t < to))) break;
        }
        await runTick(tick, tick >= from && tick < to);
      }
    }
    let unpublished = 0;
    for (const times of pending.values()) unpublished += times.length;
    const measuredMs = segments.reduce((sum, [from, to]) => sum + (to - from), 0);
    const perDay = (n: number) => (n * DAY_MS) / measuredMs;
    return {
      latenciesMs: latencies.sort((a, b) => a - b),
      changes: plan.filter((c) => measured(c.atMs)).length,
      unpublished,
      hoursSimulated: measuredMs / HOUR_MS,
      requestsPerDay: perDay(requests),
      floorRequestsPerDay: perDay(floorRequests),
      invocations: invocations - 1,
      overlapped,
      outcomes,
      longestInvocationMs: longest,
      longestInvocationAt: new Date(longestAt).toISOString(),
    };
  } finally {
    await simulator.close();
  }
}

/**
 * Fails when the model's paging no longer matches the real client's: the same scans
 * (a baseline, then a window with a few updates) through the real client against the HTTP
 * simulator and through {@link VirtualGleantap}, compared by the offsets requested.
 */
export async function checkPagingModel(
  poll: DaySimulation['poll'],
  order: DaySimulation['order'],
): Promise<void> {
  let nowMs = Date.UTC(2026, 2, 10, 12);
  const simulator = await startGleantapSimulator({ now: () => nowMs });
  try {
    const app = simulator.app('paging-check');
    app.setQuirks({ order });
    const ids = app.seed(2_500, { varied: false, seed: 5 });
    const clock = new VirtualClock(nowMs);
    const model = new VirtualGleantap(app, clock, 0, () => undefined);
    const client = createGleantapClient({
      baseUrl: simulator.url,
      apiKey: simulator.apiKey,
      secretKey: simulator.secretKey,
    });
    const publisher: EventPublisher = {
      async publish(messages) {
        return { published: messages.map((m) => m.id), failed: [] };
      },
    };
    try {
      const stores = { real: new MemoryStateStore(), model: new MemoryStateStore() };
      const scan = async (label: string) => {
        simulator.clearRequests();
        const before = model.requestedOffsets.length;
        const deps = (source: CustomerSource, store: MemoryStateStore): PollDependencies => ({
          source,
          store,
          publisher,
          log: silent,
          clock: () => new Date(nowMs),
        });
        const options = { appId: 'paging-check', owner: 'check', ...poll };
        await pollApp(deps(client, stores.real), options);
        await pollApp(deps(model, stores.model), options);
        const real = simulator.requests.map((r) => r.offset);
        const modelled = model.requestedOffsets.slice(before);
        if (JSON.stringify(real) !== JSON.stringify(modelled))
          throw new Error(
            `latency model: its paging no longer matches the client's (${label}: client asked for offsets ${JSON.stringify(real)}, model ${JSON.stringify(modelled)}); update VirtualGleantap in test/bench/latency-sim.ts`,
          );
      };
      await scan('baseline');
      nowMs += 60_000;
      for (const id of ids.slice(0, 3)) app.update(id, { last_location: 'Moved' });
      nowMs += 60_000;
      await scan('window');
    } finally {
      await client.close();
    }
  } finally {
    await simulator.close();
  }
}

/** Nearest-rank quantile of an ascending list. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

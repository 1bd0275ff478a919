/**
 * The fault matrix: one seeded run = a fresh population, a baseline, random changes, a poll
 * with faults injected, polls with faults off until one completes, then a check against the
 * simulator's ground truth. Shared by fault-matrix.test.ts (the bounded default run) and
 * soak.ts (`npm run soak`, many more seeds).
 *
 * Everything random in a run comes from its seed (population, changes, fault plan, kill
 * point), so `FAULT_SEED=n` replays run n; only timing (prefetch, the moment a kill lands) varies.
 */

import type { FaultHandle, FaultKind, PagePosition, SimulatedApp } from '../../dev/gleantap-simulator.ts';
import {
  canonicalJson,
  contentHash,
  DEFAULT_WATCHED_FIELDS,
  watchedValues,
} from '../../lib/core/content-hash.ts';
import { parseCustomer } from '../../lib/core/customer.ts';
import type { GleantapNotifierEvent } from '../../lib/core/event-types.ts';
import type { Customer, JsonValue } from '../../lib/core/types.ts';
import { type PollOptions, type PollSummary, pollApp } from '../../lib/poll.ts';
import { startCliProcess } from '../support/cli-process.ts';
import type { FaultStack } from '../support/fault-stack.ts';
import { eventOf } from '../support/harness.ts';
import { SubscriberModel } from '../support/subscriber-model.ts';

/** The fault a run is built around; seed % PRIMARY.length picks it, so consecutive seeds cover all. */
export const PRIMARY = [
  'gleantap-429',
  'gleantap-500',
  'gleantap-hang',
  'gleantap-truncated',
  'gleantap-html',
  'gleantap-drift',
  'sns-500',
  'sns-failed-entries',
  'sns-sender-fault',
  'ddb-throttle',
  'ddb-unprocessed-keys',
  'ddb-conflict',
  'deadline',
  'concurrent',
] as const;
export type Primary = (typeof PRIMARY)[number];
type Injectable = Exclude<Primary, 'deadline' | 'concurrent'>;
const INJECTABLE = PRIMARY.filter((p): p is Injectable => p !== 'deadline' && p !== 'concurrent');

/** What one run found. `problems` is empty for a run that lost nothing. */
export interface RunReport {
  readonly seed: number;
  readonly scenario: string;
  readonly customers: number;
  readonly pageSize: number;
  /** Faults that actually fired, by kind (e.g. `gleantap-500@middle`, `ddb-conflict`). */
  readonly faults: Record<string, number>;
  readonly polls: number;
  readonly outcomes: string[];
  readonly expected: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly unexpected: number;
  /** The same content announced again under a higher sequence (after a second writer's conflict). */
  readonly reannounced: number;
  /** Polls with faults off until the last complete, fresh scan. */
  readonly recoveryPolls: number;
  readonly problems: string[];
}

type Rng = () => number;
/** mulberry32, kept here so a run's randomness depends on nothing outside this suite. */
export function seededRandom(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** The parsed, valid members of an app (raw junk rows are skipped, as the poll skips them). */
export function groundTruth(app: SimulatedApp): Map<string, Customer> {
  const out = new Map<string, Customer>();
  for (const raw of app.members()) {
    const parsed = parseCustomer(raw);
    if (parsed.ok) out.set(parsed.customer.id, parsed.customer);
  }
  return out;
}

function memberIds(app: SimulatedApp): string[] {
  return [...groundTruth(app).keys()];
}

/** Random changes: creates, field edits, opt-out/in per channel, touches, same-value updates, junk rows. */
function mutate(app: SimulatedApp, rng: Rng, count: number): void {
  const ids = memberIds(app);
  for (let i = 0; i < count; i++) {
    const id = pick(rng, ids);
    const roll = rng();
    if (roll < 0.12) {
      ids.push(
        app.create({
          firstname: pick(rng, ['Ana', 'Ben', 'Cleo']),
          email_optout: int(rng, 0, 1),
          sms_optout: int(rng, 0, 1),
        }),
      );
    } else if (roll < 0.42) {
      const field = pick(rng, ['last_location', 'lastname', 'firstname', 'email', 'phone', 'created_date']);
      const n = int(rng, 1, 1_000_000);
      const value: JsonValue =
        field === 'created_date'
          ? `2024-0${int(rng, 1, 9)}-1${int(rng, 0, 9)} 0${int(rng, 0, 9)}:00:00`
          : field === 'email' && rng() < 0.2
            ? null
            : `${field}-${n}`;
      app.update(id, { [field]: value });
    } else if (roll < 0.7) {
      app.setOptout(id, pick(rng, ['email', 'sms'] as const), rng() < 0.5);
    } else if (roll < 0.9) {
      app.touch(id);
    } else if (roll < 0.96) {
      app.update(id, { last_location: app.get(id)?.last_location ?? null });
    } else {
      app.insertRaw(
        pick(rng, [{ firstname: 'no id' }, 'not an object', { id: true }, { id: 'x', sms_optout: 7 }]),
      );
    }
  }
}

interface Expectation {
  readonly customerId: string;
  readonly type: GleantapNotifierEvent['type'];
  readonly channel: 'email' | 'sms' | null;
  readonly customer: Customer;
  readonly changedFields: readonly string[];
  readonly optedOut?: boolean;
}

/** The events the changes between two ground truths call for, computed without the code under test. */
export function expectedEvents(before: Map<string, Customer>, after: Map<string, Customer>): Expectation[] {
  const out: Expectation[] = [];
  for (const [id, customer] of after) {
    const old = before.get(id);
    if (old === undefined) {
      out.push({
        customerId: id,
        type: 'customer.created',
        channel: null,
        customer,
        changedFields: [...DEFAULT_WATCHED_FIELDS].sort(),
      });
      continue;
    }
    const changed = [...DEFAULT_WATCHED_FIELDS]
      .sort()
      .filter((f) => canonicalJson(old[f] ?? null) !== canonicalJson(customer[f] ?? null));
    if (changed.length === 0) continue;
    out.push({ customerId: id, type: 'customer.updated', channel: null, customer, changedFields: changed });
    for (const channel of ['email', 'sms'] as const) {
      if (!changed.includes(`${channel}_optout`)) continue;
      out.push({
        customerId: id,
        type: 'customer.optout_changed',
        channel,
        customer,
        changedFields: changed,
        optedOut: customer[`${channel}_optout`] === 1,
      });
    }
  }
  return out;
}

const channelOf = (e: GleantapNotifierEvent) =>
  e.type === 'customer.optout_changed' ? e.data.channel : null;

/** Every CloudEvent the stand-in accepted for `appId`, in the order it accepted them. */
export function appEvents(fs: FaultStack, appId: string): GleantapNotifierEvent[] {
  const source = `gleantap:app/${encodeURIComponent(appId)}`;
  return fs.stack.sns
    .messages()
    .map((m) => eventOf(m.message, m.messageStructure))
    .filter((e) => e.source === source);
}

/**
 * Judges a run. The judge is the subscriber model (test/support/subscriber-model.ts) fed
 * every event of the app in the order SNS accepted them, the baseline's included: its mirror
 * must equal the simulator's population (`after`), no sequence may carry two contents, and
 * every opt-out state that changed since the baseline and then held across the complete
 * polls of the recovery must have been announced to it. Besides, from the events after the
 * baseline (`since`): lost events (a change of the ground truth with no event carrying its
 * content), duplicates (same id again; the body must equal the first but `time`), unexpected
 * events (for a customer no change called for, e.g. a touch), re-announcements (the same
 * content again under a higher sequence, after a second writer's conflict), and the stored
 * state (snapshots equal to the population, no pending version, intent, checkpoint or lease).
 */
export async function verify(
  fs: FaultStack,
  appId: string,
  before: Map<string, Customer>,
  after: Map<string, Customer>,
  /** Index of the first event after the baseline, in {@link appEvents}. */
  since: number,
  /** Only these customers (a partial check, without the unexpected and state checks). */
  scope?: ReadonlySet<string>,
): Promise<{
  expected: number;
  lost: number;
  duplicates: number;
  unexpected: number;
  reannounced: number;
  problems: string[];
}> {
  const problems: string[] = [];
  const source = `gleantap:app/${encodeURIComponent(appId)}`;
  const all = appEvents(fs, appId);
  const model = new SubscriberModel();
  model.applyAll(all);
  for (const conflict of model.sequenceConflicts())
    problems.push(
      `sequence ${conflict.sequence} of ${conflict.subject} carried ${conflict.contents.length} contents`,
    );

  const events = all.slice(since);
  const byId = new Map<string, GleantapNotifierEvent>();
  let duplicates = 0;
  const withoutTime = (e: GleantapNotifierEvent) => JSON.stringify({ ...e, time: undefined });
  for (const event of events) {
    const first = byId.get(event.id);
    if (first === undefined) {
      byId.set(event.id, event);
      continue;
    }
    duplicates++;
    if (withoutTime(first) !== withoutTime(event))
      problems.push(`duplicate ${event.id} (${event.type} ${event.subject}) differs from the first copy`);
  }

  if (scope) after = new Map([...after].filter(([id]) => scope.has(id)));
  problems.push(...model.differences(source, after, scope).map((d) => `subscriber: ${d}`));

  const expectations = expectedEvents(before, after);
  const changed = new Set(expectations.map((e) => e.customerId));
  const matched = new Set<string>();
  let lost = 0;
  for (const want of expectations) {
    const content = canonicalJson(JSON.parse(JSON.stringify(want.customer)));
    const found = [...byId.values()].find(
      (e) =>
        !matched.has(e.id) &&
        e.subject === want.customerId &&
        e.type === want.type &&
        channelOf(e) === want.channel &&
        canonicalJson(e.data.customer) === content &&
        (e.type !== 'customer.optout_changed' || e.data.opted_out === want.optedOut),
    );
    if (found === undefined) {
      lost++;
      problems.push(`lost: ${want.type}${want.channel ? `/${want.channel}` : ''} for ${want.customerId}`);
    } else {
      matched.add(found.id);
    }
    if (want.type === 'customer.optout_changed' && want.channel && want.optedOut !== undefined) {
      if (!model.announced(source, want.customerId, want.channel, want.optedOut))
        problems.push(
          `opt-out state ${want.channel}=${want.optedOut} of ${want.customerId} was never announced`,
        );
    }
    if (want.type === 'customer.created') {
      for (const channel of ['email', 'sms'] as const)
        if (!model.announced(source, want.customerId, channel, want.customer[`${channel}_optout`] === 1))
          problems.push(`opt-out state ${channel} of new customer ${want.customerId} was never announced`);
    }
  }
  let unexpected = 0;
  let reannounced = 0;
  for (const event of byId.values()) {
    if (matched.has(event.id) || scope) continue;
    if (changed.has(event.subject)) {
      reannounced++;
      continue;
    }
    unexpected++;
    problems.push(`unexpected: ${event.type} ${event.subject} sequence ${event.sequence}`);
  }

  const snapshots = await fs.plainStore.getSnapshots(appId, [...after.keys()]);
  for (const [id, customer] of after) {
    const snapshot = snapshots.get(id);
    const hash = contentHash(watchedValues(customer, DEFAULT_WATCHED_FIELDS));
    if (snapshot === undefined) problems.push(`snapshot missing for ${id}`);
    else if (snapshot.hash !== hash) problems.push(`snapshot of ${id} differs from the population`);
    else if (snapshot.pending && !scope) problems.push(`snapshot of ${id} still has a pending version`);
  }
  const result = { expected: expectations.length, lost, duplicates, unexpected, reannounced, problems };
  if (scope) return result;
  const state = await fs.plainStore.getPollState(appId);
  if (state?.watermark == null) problems.push('no watermark after a complete poll');
  if (state?.checkpoint) problems.push('a checkpoint is left after a complete poll');
  if (state?.lease) problems.push('the lease is still held after the last poll');
  if (state?.intent.length) problems.push('an intent is left after the last poll');
  return result;
}

interface Plan {
  readonly gleantap: FaultHandle[];
  readonly labels: Map<FaultHandle, string>;
}

/** Schedules one injectable fault for the coming poll. */
function inject(
  fs: FaultStack,
  kind: Injectable,
  appId: string,
  rng: Rng,
  plan: Plan,
  attempts: number,
): void {
  const sim = fs.stack.gleantap;
  if (kind.startsWith('gleantap-')) {
    const position = pick<PagePosition>(rng, ['first', 'middle', 'last']);
    const faultKind = kind.slice('gleantap-'.length) as FaultKind;
    // Sometimes more times than the client's attempts: the page fails and the poll with it.
    const times = faultKind === 'hang' ? int(rng, 1, 2) : rng() < 0.3 ? attempts : int(rng, 1, attempts - 1);
    const handle = sim.faults.add({
      kind: faultKind,
      page: position,
      appId,
      times,
      ...(faultKind === '429' ? { retryAfter: pick(rng, [0, 1, null]) } : {}),
      ...(faultKind === '500' ? { status: pick(rng, [500, 502, 503]) } : {}),
      ...(faultKind === 'drift' ? { insert: int(rng, 1, 4) } : {}),
    });
    plan.gleantap.push(handle);
    plan.labels.set(handle, `${kind}@${position}`);
    return;
  }
  switch (kind) {
    case 'sns-500':
      fs.stack.sns.faults.failCalls({
        action: 'PublishBatch',
        times: int(rng, 1, 4),
        status: pick(rng, [500, 503]),
      });
      return;
    case 'sns-failed-entries':
      fs.stack.sns.faults.failEntries({ count: int(rng, 1, 3), times: int(rng, 1, 4) });
      return;
    case 'sns-sender-fault':
      // SNS refuses entries as the sender's fault: the publisher does not retry them.
      fs.stack.sns.faults.failEntries({
        count: int(rng, 1, 2),
        times: int(rng, 1, 2),
        senderFault: true,
        code: 'InvalidParameter',
        message: 'Injected: invalid parameter',
      });
      return;
    case 'ddb-throttle':
      if (rng() < 0.5) fs.dynamo.throttleRetried += 1;
      else fs.dynamo.throttleOutlasting += 1;
      return;
    case 'ddb-unprocessed-keys':
      fs.dynamo.unprocessedKeys += int(rng, 1, 3);
      return;
    case 'ddb-conflict':
      fs.dynamo.conflicts += int(rng, 1, 3);
      return;
  }
}

function clearFaults(fs: FaultStack): void {
  fs.stack.gleantap.faults.clear();
  fs.stack.sns.faults.clear();
  fs.dynamo.clear();
}

function pollOptions(appId: string, pageSize: number, extra: Partial<PollOptions> = {}): PollOptions {
  return {
    appId,
    owner: `reliability-${Math.random().toString(36).slice(2)}`,
    lookbackDays: 1,
    pageSize,
    watchedFields: DEFAULT_WATCHED_FIELDS,
    ...extra,
  };
}

/**
 * Polls with faults off until one completes (at least once, at most `limit` times). With
 * `fresh`, until a scan that started in this call completes: a resumed scan started before
 * the faults, so rows the drift fault inserted at the front during it are the next scan's
 * to find (their updated time is after its start, inside the next window).
 */
async function recover(
  fs: FaultStack,
  appId: string,
  pageSize: number,
  outcomes: string[],
  options: { clock?: () => Date; fresh?: boolean; limit?: number } = {},
): Promise<number | undefined> {
  const clock = options.clock ?? (() => new Date());
  for (let i = 1; i <= (options.limit ?? MAX_RECOVERY_POLLS); i++) {
    const summary = await pollApp(fs.deps({ clock }), pollOptions(appId, pageSize));
    outcomes.push(`recovery:${summary.outcome}`);
    if (summary.outcome !== 'complete') continue;
    if (!options.fresh) return i;
    const state = await fs.plainStore.getPollState(appId);
    if (state?.watermark === summary.startedAt) return i;
  }
  return undefined;
}

/**
 * The bound on recovery: with faults off, the scan that was running completes within this
 * many polls, and so does a fresh one after it (a resumed scan, then at most one poll that
 * re-reads a window a conflict or a refused entry left dirty).
 */
export const MAX_RECOVERY_POLLS = 3;

const GLEANTAP_ATTEMPTS = 3;

/** A run with in-process polls: faults at Gleantap, SNS and DynamoDB, a deadline, or two polls at once. */
export async function runInProcess(fs: FaultStack, seed: number, prefix = 'rel'): Promise<RunReport> {
  const rng = seededRandom(seed);
  const primary = PRIMARY[seed % PRIMARY.length] ?? 'gleantap-500';
  const appId = `${prefix}-${seed}`;
  const app = fs.stack.gleantap.app(appId);
  const customers = int(rng, 30, 150);
  const pageSize = int(rng, 10, 25);
  app.seed(customers, { seed });
  const outcomes: string[] = [];
  const problems: string[] = [];

  // The baseline announces everyone, so the subscriber model's mirror starts complete.
  const baseline = await pollApp(fs.deps(), pollOptions(appId, pageSize, { emitBaseline: true }));
  outcomes.push(`baseline:${baseline.outcome}`);
  if (baseline.outcome !== 'complete') problems.push(`baseline ${baseline.outcome}: ${baseline.error}`);
  const since = appEvents(fs, appId).length;
  const before = groundTruth(app);
  mutate(app, rng, int(rng, 1, Math.ceil(customers * 0.4)));
  const mid = groundTruth(app);

  const plan: Plan = { gleantap: [], labels: new Map() };
  const sns0 = { ...fs.sns };
  const ddb0 = { ...fs.dynamo.fired };
  const kinds: Injectable[] = [];
  if (primary !== 'deadline' && primary !== 'concurrent') kinds.push(primary);
  const extras =
    primary === 'deadline' || primary === 'concurrent' ? int(rng, 1, 2) : rng() < 0.5 ? int(rng, 1, 2) : 0;
  for (let i = 0; i < extras; i++) kinds.push(pick(rng, INJECTABLE));
  for (const kind of kinds) inject(fs, kind, appId, rng, plan, GLEANTAP_ATTEMPTS);

  const faults: Record<string, number> = {};
  const count = (label: string, n: number) => {
    if (n > 0) faults[label] = (faults[label] ?? 0) + n;
  };
  const record = (s: PollSummary, label: string) => outcomes.push(`${label}:${s.outcome}`);

  if (primary === 'deadline') {
    // An advancing clock: every reading is a second later, so the deadline falls mid-scan.
    let skew = 0;
    const clock = () => {
      skew += 1000;
      return new Date(Date.now() + skew);
    };
    for (let i = 0, n = int(rng, 1, 2); i < n; i++) {
      const deadline = new Date(Date.now() + skew + int(rng, 2, 12) * 1000);
      const summary = await pollApp(fs.deps({ clock }), pollOptions(appId, pageSize, { deadline }));
      record(summary, 'deadline');
      if (summary.outcome === 'incomplete') count('deadline reached mid-scan', 1);
    }
  } else if (primary === 'concurrent') {
    const [a, b] = await Promise.all([
      pollApp(fs.deps(), pollOptions(appId, pageSize)),
      pollApp(fs.deps(), pollOptions(appId, pageSize)),
    ]);
    record(a, 'concurrent-a');
    record(b, 'concurrent-b');
    count('two polls at once', 1);
    // Exactly one of the two holds the lease; the other exits without polling.
    const held = [a, b].filter((s) => s.outcome === 'lease_held').length;
    if (held !== 1) problems.push(`${2 - held} of the two concurrent polls held the lease`);
  } else {
    record(await pollApp(fs.deps(), pollOptions(appId, pageSize)), 'faulted');
  }

  for (const handle of plan.gleantap) count(plan.labels.get(handle) ?? 'gleantap', handle.fired);
  count('sns-500 (failed PublishBatch calls)', fs.sns.failedCalls - sns0.failedCalls);
  count(
    'sns-failed-entries',
    fs.sns.failedEntries - sns0.failedEntries - (fs.sns.senderFaultEntries - sns0.senderFaultEntries),
  );
  count(
    'sns-sender-fault (entries refused, not retried)',
    fs.sns.senderFaultEntries - sns0.senderFaultEntries,
  );
  count('ddb-throttle (retried by the SDK)', fs.dynamo.fired.throttleRetried - ddb0.throttleRetried);
  count(
    'ddb-throttle (outlasting SDK retries)',
    fs.dynamo.fired.throttleOutlasting - ddb0.throttleOutlasting,
  );
  count('ddb-unprocessed-keys', fs.dynamo.fired.unprocessedKeys - ddb0.unprocessedKeys);
  count('ddb-conflict', fs.dynamo.fired.conflicts - ddb0.conflicts);
  clearFaults(fs);

  // First the scan that was running when the faults hit: it must deliver every change made before it.
  const first = await recover(fs, appId, pageSize, outcomes);
  if (first === undefined) problems.push(`no poll completed within ${MAX_RECOVERY_POLLS} with faults off`);
  // A customer whose entry SNS refused as the sender's fault is rejected like an invalid
  // record: the scan that refused it moves on, and a later scan of its window announces it.
  const early = await verify(
    fs,
    appId,
    before,
    groundTruth(app),
    since,
    new Set([...mid.keys()].filter((id) => !fs.sns.refusedSubjects.has(id))),
  );
  problems.push(...early.problems.map((p) => `after the first complete scan: ${p}`));
  // Then a scan that started after everything (drift inserts included) must leave nothing behind.
  const fresh = await recover(fs, appId, pageSize, outcomes, { fresh: true });
  if (fresh === undefined) problems.push(`no fresh scan completed within ${MAX_RECOVERY_POLLS} polls`);
  const after = groundTruth(app);
  const checked = await verify(fs, appId, before, after, since);
  return {
    seed,
    scenario: primary,
    customers,
    pageSize,
    faults,
    polls: outcomes.length,
    outcomes,
    recoveryPolls: (first ?? MAX_RECOVERY_POLLS) + (fresh ?? MAX_RECOVERY_POLLS),
    ...checked,
    problems: [...problems, ...checked.problems],
  };
}

/**
 * A run whose incremental poll is the CLI in a child process, killed with SIGKILL after a
 * random delay or when the SNS stand-in has accepted the k-th message of the run; then
 * in-process polls, after the dead process's lease expired, until one completes.
 */
export async function runKilled(fs: FaultStack, seed: number, prefix = 'kill'): Promise<RunReport> {
  const rng = seededRandom(seed);
  const appId = `${prefix}-${seed}`;
  const app = fs.stack.gleantap.app(appId);
  const customers = int(rng, 60, 150);
  const pageSize = int(rng, 10, 25);
  app.seed(customers, { seed });
  const outcomes: string[] = [];
  const problems: string[] = [];
  const baseline = await pollApp(fs.deps(), pollOptions(appId, pageSize, { emitBaseline: true }));
  outcomes.push(`baseline:${baseline.outcome}`);
  const since = appEvents(fs, appId).length;
  const before = groundTruth(app);
  mutate(app, rng, int(rng, Math.ceil(customers * 0.2), Math.ceil(customers * 0.6)));
  const expected = expectedEvents(before, groundTruth(app)).length;

  const byMessage = rng() < 0.6 && expected > 0;
  const killAt = byMessage ? int(rng, 1, expected) : int(rng, 200, 2500);
  const cli = startCliProcess(['poll', '--app-id', appId, '--json'], {
    ...fs.stack.env,
    NOTIFIER_PAGE_SIZE: String(pageSize),
    NOTIFIER_LOG_LEVEL: 'warn',
  });
  let seen = 0;
  let killedAfter = -1;
  const kill = () => {
    if (killedAfter >= 0 || cli.child.exitCode !== null) return;
    killedAfter = seen;
    cli.child.kill('SIGKILL');
  };
  const unsubscribe = fs.stack.sns.subscribe(
    fs.stack.topicArn,
    () => {
      seen++;
      if (byMessage && seen === killAt) kill();
    },
    { filterPolicy: { app_id: [appId] } },
  );
  const timer = byMessage ? undefined : setTimeout(kill, killAt);
  const run = await cli.done;
  clearTimeout(timer);
  unsubscribe();
  const faults: Record<string, number> = {};
  if (run.signal === 'SIGKILL') {
    const point =
      killedAfter === 0
        ? 'before any publish'
        : killedAfter < expected
          ? 'mid-publish'
          : 'after the last publish';
    faults[`SIGKILL ${point}`] = 1;
    outcomes.push(`cli:SIGKILL after ${killedAfter} message(s)`);
  } else {
    outcomes.push(`cli:exit ${run.code}`);
    if (run.code !== 0) problems.push(`the CLI exited ${run.code}: ${run.stderr.slice(0, 300)}`);
  }
  // The dead process holds a 15-minute lease: the next scheduled poll comes after it expired.
  const later = () => new Date(Date.now() + 16 * 60_000);
  const recovered = await recover(fs, appId, pageSize, outcomes, { clock: later });
  if (recovered === undefined) problems.push(`no poll completed within ${MAX_RECOVERY_POLLS} after the kill`);
  const after = groundTruth(app);
  const checked = await verify(fs, appId, before, after, since);
  return {
    seed,
    scenario: 'sigkill',
    customers,
    pageSize,
    faults,
    polls: outcomes.length,
    outcomes,
    recoveryPolls: recovered ?? MAX_RECOVERY_POLLS,
    ...checked,
    problems: [...problems, ...checked.problems],
  };
}

/** Totals over runs, printed as the figures table. */
export class Figures {
  runs = 0;
  readonly scenarios: Record<string, number> = {};
  readonly faults: Record<string, number> = {};
  expected = 0;
  lost = 0;
  duplicates = 0;
  unexpected = 0;
  reannounced = 0;
  polls = 0;
  maxRecoveryPolls = 0;
  failedRuns = 0;

  add(report: RunReport): void {
    this.runs++;
    this.scenarios[report.scenario] = (this.scenarios[report.scenario] ?? 0) + 1;
    for (const [kind, n] of Object.entries(report.faults)) this.faults[kind] = (this.faults[kind] ?? 0) + n;
    this.expected += report.expected;
    this.lost += report.lost;
    this.duplicates += report.duplicates;
    this.unexpected += report.unexpected;
    this.reannounced += report.reannounced;
    this.polls += report.polls;
    this.maxRecoveryPolls = Math.max(this.maxRecoveryPolls, report.recoveryPolls);
    if (report.problems.length > 0) this.failedRuns++;
  }

  table(title: string): string {
    const rows: [string, string | number][] = [
      ['runs', this.runs],
      ['polls', this.polls],
      ['events expected', this.expected],
      ['events lost', this.lost],
      ['duplicates delivered (same id, same body)', this.duplicates],
      ['unexpected events', this.unexpected],
      ['re-announced under a higher sequence (second writer)', this.reannounced],
      ['most recovery polls in a run', this.maxRecoveryPolls],
      ['runs with a problem', this.failedRuns],
    ];
    const faultRows = Object.entries(this.faults).sort(([a], [b]) => a.localeCompare(b));
    const total = faultRows.reduce((sum, [, n]) => sum + n, 0);
    return [
      `### ${title}`,
      '',
      '| figure | value |',
      '| --- | ---: |',
      ...rows.map(([k, v]) => `| ${k} | ${v} |`),
      '',
      `| fault injected (fired) | count |`,
      '| --- | ---: |',
      ...faultRows.map(([k, v]) => `| ${k} | ${v} |`),
      `| **total** | **${total}** |`,
      '',
    ].join('\n');
  }
}

/** The seed of run `i`: FAULT_SEED replays one run; otherwise a base (printed) plus the index. */
export function seedsFrom(env: NodeJS.ProcessEnv, count: number, defaultBase: number): number[] {
  const one = env.FAULT_SEED;
  if (one !== undefined && one !== '') {
    const seed = Number(one);
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`FAULT_SEED must be a whole number, not ${one}`);
    return [seed];
  }
  const base = env.FAULT_BASE_SEED ? Number(env.FAULT_BASE_SEED) : defaultBase;
  return Array.from({ length: count }, (_, i) => base + i);
}

/**
 * A page pipeline context over the in-memory store, with a recording of every port call in
 * order, for the tests of the steps in lib/poll/.
 */
import { DEFAULT_WATCHED_FIELDS } from '../../lib/core/content-hash.ts';
import { diffAgainstPublished } from '../../lib/core/diff.ts';
import type { ScanMode } from '../../lib/core/scan-state.ts';
import type { Customer, OutboundMessage, Snapshot } from '../../lib/core/types.ts';
import { PollLease } from '../../lib/poll/lease.ts';
import type { PageContext } from '../../lib/poll/page-context.ts';
import { RecentCommits } from '../../lib/poll/recent-commits.ts';
import type { PollOptions } from '../../lib/poll/types.ts';
import type { AlertPublisher, CustomerPage, EventPublisher, PublishFailure } from '../../lib/ports.ts';
import { customerFixture } from '../support/customer-fixture.ts';
import { recordingLog } from '../support/harness.ts';
import { MemoryStateStore } from '../support/memory-state-store.ts';

export const APP = 'app';
export const OWNER = 'me';
export const NOW = new Date('2024-05-01T12:00:00.000Z');

export function customer(id: number, location = 'Downtown', emailOptout: 0 | 1 = 0): Customer {
  return customerFixture(String(id), { last_location: location, email_optout: emailOptout });
}

/** The snapshot a first sighting of the customer commits (version 1). */
export function snapshotOf(c: Customer): Snapshot {
  const change = diffAgainstPublished(undefined, c, DEFAULT_WATCHED_FIELDS);
  if (change.kind === 'unchanged') throw new Error('fixture');
  return change.next;
}

export function pageOf(customers: readonly Customer[], offset = 0): CustomerPage {
  return { offset, received: customers.length, customers, rejections: [] };
}

/** Which messages fail, and how; undefined: accepted. */
export type PublishFault = (m: OutboundMessage) => 'retry' | 'permanent' | undefined;

export interface Fixture {
  readonly ctx: PageContext;
  readonly store: MemoryStateStore;
  /** Every port call in order: `store.<method>`, `publisher.publish`, `alerts.publish`. */
  readonly calls: string[];
  readonly published: OutboundMessage[];
  readonly log: ReturnType<typeof recordingLog>;
  /** Moves the clock. */
  advance(ms: number): void;
}

export interface FixtureOptions {
  readonly mode?: ScanMode;
  readonly fault?: PublishFault;
  /** Makes the alerts topic refuse every digest, retryably or for good. */
  readonly alertsFault?: 'retry' | 'permanent';
  readonly withAlerts?: boolean;
  readonly options?: Partial<PollOptions>;
  /** The lease as taken lasts this long from NOW. @default 15 minutes */
  readonly leaseMs?: number;
  /** Snapshots already stored. */
  readonly stored?: readonly Snapshot[];
}

function recorded<T extends object>(name: string, target: T, calls: string[]): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(`${name}.${String(prop)}`);
        return value.apply(t, args);
      };
    },
  });
}

export async function fixture(options: FixtureOptions = {}): Promise<Fixture> {
  const calls: string[] = [];
  const published: OutboundMessage[] = [];
  let now = NOW.getTime();
  const clock = () => new Date(now);
  const memory = new MemoryStateStore();
  const leaseMs = options.leaseMs ?? 15 * 60_000;
  await memory.acquireLease(APP, OWNER, NOW, leaseMs);
  if (options.stored) await memory.createSnapshots(APP, options.stored);
  const store = recorded('store', memory, calls);
  const failure = (m: OutboundMessage): PublishFailure | undefined => {
    const fault = options.fault?.(m);
    return fault === undefined
      ? undefined
      : { id: m.id, reason: 'injected', permanent: fault === 'permanent' };
  };
  const publisher: EventPublisher = recorded(
    'publisher',
    {
      async publish(messages) {
        const failed = messages.flatMap((m) => failure(m) ?? []);
        const ok = messages.filter((m) => failure(m) === undefined);
        published.push(...ok);
        return { published: ok.map((m) => m.id), failed };
      },
    },
    calls,
  );
  const alerts: AlertPublisher = recorded(
    'alerts',
    {
      async publish(messages) {
        if (options.alertsFault === undefined) return { published: messages.map((m) => m.id), failed: [] };
        const permanent = options.alertsFault === 'permanent';
        return { published: [], failed: messages.map((m) => ({ id: m.id, reason: 'injected', permanent })) };
      },
    },
    calls,
  );
  const log = recordingLog();
  const pollOptions: PollOptions = {
    appId: APP,
    owner: OWNER,
    lookbackDays: 1,
    pageSize: 100,
    watchedFields: DEFAULT_WATCHED_FIELDS,
    ...options.options,
  };
  const ctx: PageContext = {
    deps: {
      source: {
        pages: () => ({
          [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
        }),
      },
      store,
      publisher,
      ...(options.withAlerts || options.alertsFault ? { alerts } : {}),
      log,
      clock,
    },
    options: pollOptions,
    mode: options.mode ?? 'incremental',
    lease: new PollLease({
      store,
      clock,
      appId: APP,
      owner: OWNER,
      deadline: undefined,
      ttlMs: leaseMs,
      expiresAt: NOW.getTime() + leaseMs,
    }),
    recent: new RecentCommits(),
  };
  return {
    ctx,
    store: memory,
    calls,
    published,
    log,
    advance(ms) {
      now += ms;
    },
  };
}

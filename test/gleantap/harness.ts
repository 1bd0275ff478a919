/**
 * Test harness: a Gleantap simulator plus a client pointed at it, with a fake clock and a
 * recording sleep so retry timing is asserted without waiting.
 */

import {
  type GleantapSimulator,
  type GleantapSimulatorOptions,
  startGleantapSimulator,
} from '../../dev/gleantap-simulator.ts';
import type { JsonValue } from '../../lib/core/types.ts';
import {
  createGleantapClient,
  type GleantapClient,
  type GleantapClientOptions,
  type PageInfo,
  type RetryInfo,
} from '../../lib/gleantap/client.ts';
import type { CustomerPage, PageRequest } from '../../lib/ports.ts';

/** Distinctive keys, so a leak is easy to find in any serialisation. */
export const API_KEY = 'ak-LEAKCHECK-7c1e4f';
export const SECRET_KEY = 'sk-LEAKCHECK-93ab20';

export interface Harness {
  readonly sim: GleantapSimulator;
  readonly client: GleantapClient;
  /** Every delay the client slept for, in order (the sleep returns at once and moves the clock). */
  readonly sleeps: number[];
  readonly retries: RetryInfo[];
  readonly pageInfos: PageInfo[];
  readonly clock: { now: number };
}

const open: { close(): Promise<void> }[] = [];

export interface HarnessOptions {
  readonly sim?: GleantapSimulatorOptions;
  readonly client?: Partial<GleantapClientOptions>;
}

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = await startGleantapSimulator({ apiKey: API_KEY, secretKey: SECRET_KEY, ...options.sim });
  open.push(sim);
  const clock = { now: Date.UTC(2026, 0, 15, 12, 0, 0) };
  const sleeps: number[] = [];
  const retries: RetryInfo[] = [];
  const pageInfos: PageInfo[] = [];
  const client = createGleantapClient({
    baseUrl: sim.url,
    apiKey: API_KEY,
    secretKey: SECRET_KEY,
    headersTimeoutMs: 500,
    now: () => clock.now,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    onRetry: (info) => retries.push(info),
    onPage: (info) => pageInfos.push(info),
    ...options.client,
  });
  open.push(client);
  return { sim, client, sleeps, retries, pageInfos, clock };
}

/** Closes every harness opened since the last call (clients first, then simulators). */
export async function closeHarnesses(): Promise<void> {
  const all = open.splice(0).reverse();
  for (const item of all) await item.close();
}

export function request(overrides: Partial<PageRequest> = {}): PageRequest {
  return { appId: 'gym', startOffset: 0, pageSize: 1000, ...overrides };
}

export async function collect(pages: AsyncIterable<CustomerPage>): Promise<CustomerPage[]> {
  const out: CustomerPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

/** The ids a page sequence delivered, in order. */
export const idsOf = (pages: readonly CustomerPage[]) =>
  pages.flatMap((page) => page.customers.map((c) => c.id));

/** The ids of the simulator's ground truth, as strings, in served order. */
export function groundTruthIds(members: readonly JsonValue[]): string[] {
  return members.map((member) =>
    typeof member === 'object' && member !== null && !Array.isArray(member) ? String(member.id) : '',
  );
}

/** Runs an async iteration to its end and returns the error it threw (fails if it did not throw). */
export async function failureOf(pages: AsyncIterable<CustomerPage>): Promise<unknown> {
  try {
    await collect(pages);
  } catch (error) {
    return error;
  }
  throw new Error('expected the page sequence to throw');
}

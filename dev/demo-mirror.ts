/**
 * The local demo's subscriber: it applies every delivered event with the subscriber kit
 * (parse, validate, apply once) into an in-memory mirror of the customers, and compares
 * the mirror with what the simulated Gleantap holds, as a downstream system would hope.
 */
import { canonicalJson } from '../lib/core/content-hash.ts';
import { parseCustomer } from '../lib/core/customer.ts';
import type { Customer, JsonValue } from '../lib/core/types.ts';
import { applyOnce } from '../lib/subscriber/apply-once.ts';
import { createMemoryApplyOnceStore } from '../lib/subscriber/memory-apply-once-store.ts';
import { safeParseEvent } from '../lib/subscriber/parse-event.ts';

/** How the mirror compares with the source. */
export interface MirrorComparison {
  readonly equal: boolean;
  readonly size: number;
  /** Ids whose record differs, or that only one side has (at most 5). */
  readonly differing: readonly string[];
  /** Events the kit dropped as duplicate or stale, and deliveries it refused. */
  readonly dropped: number;
  readonly rejected: number;
}

/** A mirror of one app's customers, fed by delivered messages. */
export interface DemoMirror {
  /** Applies one delivered message (the SNS text an SQS subscriber gets). */
  apply(message: string): Promise<void>;
  /** Compares the mirror with the source's raw members. */
  compare(members: readonly JsonValue[]): MirrorComparison;
}

/** Creates an empty mirror. */
export const createDemoMirror = (): DemoMirror => {
  const store = createMemoryApplyOnceStore();
  const customers = new Map<string, Customer>();
  let dropped = 0;
  let rejected = 0;
  return {
    apply: async (message) => {
      const parsed = safeParseEvent(message);
      if (!parsed.ok) {
        rejected += 1;
        return;
      }
      const outcome = await applyOnce(store, parsed.event, (event) => {
        if (event.type === 'customer.deleted') customers.delete(event.subject);
        else customers.set(event.subject, event.data.customer);
      });
      if (outcome !== 'applied') dropped += 1;
    },
    compare: (members) => {
      const expected = new Map<string, string>();
      for (const member of members) {
        const result = parseCustomer(member);
        if (result.ok) expected.set(result.customer.id, canonicalJson(result.customer));
      }
      const differing: string[] = [];
      for (const id of new Set([...expected.keys(), ...customers.keys()])) {
        const mirrored = customers.get(id);
        if (mirrored === undefined || expected.get(id) !== canonicalJson(mirrored)) differing.push(id);
      }
      return {
        equal: differing.length === 0,
        size: customers.size,
        differing: differing.slice(0, 5),
        dropped,
        rejected,
      };
    },
  };
};

/** The line the demo ends each cycle with. */
export const mirrorLine = (comparison: MirrorComparison): string =>
  comparison.equal
    ? `subscriber mirror: ${comparison.size} customers, equal to the simulated Gleantap ✓ (${comparison.dropped} duplicate/stale dropped)\n`
    : `subscriber mirror: DIFFERS from the simulated Gleantap for ${comparison.differing.join(', ')}${comparison.differing.length === 5 ? ', …' : ''} ✗\n`;

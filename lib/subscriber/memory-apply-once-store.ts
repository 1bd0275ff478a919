/**
 * An in-memory {@link ApplyOnceStore}: the same rule as the DynamoDB store, for one
 * process (the local demo, unit tests, a receiver that keeps its own state elsewhere).
 * Its state is lost with the process, so it does not make several consumers agree.
 */
import { randomUUID } from 'node:crypto';
import {
  type ApplyOnceStore,
  ClaimLostError,
  type ClaimVerdict,
  type EventKey,
  judge,
} from './apply-once.ts';

interface CustomerState {
  sequence: string | undefined;
  ids: Set<string>;
  claim: { token: string; until: number } | undefined;
}

/** Options of {@link createMemoryApplyOnceStore}. */
export interface MemoryApplyOnceStoreOptions {
  /** How long a claim holds, in ms. @default 300_000 */
  readonly claimTtlMs?: number;
  /** The clock, in epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** Creates an empty in-memory store. */
export const createMemoryApplyOnceStore = (options: MemoryApplyOnceStoreOptions = {}): ApplyOnceStore => {
  const ttl = options.claimTtlMs ?? 300_000;
  const now = options.now ?? Date.now;
  const customers = new Map<string, CustomerState>();
  const stateOf = (key: EventKey): CustomerState => {
    const name = JSON.stringify([key.source, key.subject]);
    let state = customers.get(name);
    if (state === undefined) {
      state = { sequence: undefined, ids: new Set(), claim: undefined };
      customers.set(name, state);
    }
    return state;
  };
  return {
    claim: async (key): Promise<ClaimVerdict> => {
      const state = stateOf(key);
      const applied = state.sequence === undefined ? undefined : { sequence: state.sequence, ids: state.ids };
      const verdict = judge(applied, key);
      if (verdict === 'duplicate') return { kind: 'duplicate' };
      if (verdict === 'stale') return { kind: 'stale', appliedSequence: state.sequence ?? '' };
      if (state.claim !== undefined && state.claim.until >= now()) return { kind: 'busy' };
      const token = randomUUID();
      state.claim = { token, until: now() + ttl };
      return { kind: 'claimed', claim: { token, previousSequence: state.sequence } };
    },
    commit: async (key, claim) => {
      const state = stateOf(key);
      if (state.claim?.token !== claim.token)
        throw new ClaimLostError(`the claim on ${key.subject} was lost`);
      if (state.sequence !== key.sequence) state.ids = new Set();
      state.sequence = key.sequence;
      state.ids.add(key.id);
      state.claim = undefined;
    },
    release: async (key, claim) => {
      const state = stateOf(key);
      if (state.claim?.token === claim.token) state.claim = undefined;
    },
  };
};

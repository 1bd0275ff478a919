/**
 * The apply-once rule every subscriber follows (stated below and in README.md, "Subscribe"), and the
 * port its durable state sits behind.
 *
 * - Drop an event whose `id` was already applied (SNS and SQS deliver at least once).
 * - Drop an event whose `sequence` is below the last one applied for its `source` and
 *   `subject` (SNS standard topics do not keep order).
 * - An event with the *same* sequence as the last applied one but another id is a sibling
 *   of the same change (the `customer.updated` and `customer.optout_changed` events of one
 *   change share a sequence and carry the same `data.customer`): it is applied too, once,
 *   so an opt-out handler never misses an opt-out because its update arrived first.
 *
 * Both checks live in one record per `source`+`subject`: the last applied sequence and the
 * ids applied at it. An id applied at an older sequence is necessarily below the last one,
 * so it is dropped as stale; no id list grows and nothing needs a time to live.
 *
 * Concurrency: before its handler runs, a consumer claims the record for the event (a
 * conditional write with an expiry), so two consumers handed the same event, or two events
 * of one customer, never run handlers at once; the claim is turned into the new state
 * only after the handler succeeded, and released if it failed.
 */
import type { GleantapNotifierEvent } from '../core/event-types.ts';

/** The identity of an event as far as the rule is concerned. */
export interface EventKey {
  readonly source: string;
  readonly subject: string;
  readonly id: string;
  /** Normalised: a 12-digit zero-padded decimal string (see {@link normaliseSequence}). */
  readonly sequence: string;
}

/** What a store answers when asked to claim an event. */
export type ClaimVerdict =
  /** Claimed: run the handler, then `commit` (or `release` if it failed) with this claim. */
  | { readonly kind: 'claimed'; readonly claim: Claim }
  /** This id was applied already. */
  | { readonly kind: 'duplicate' }
  /** A later change of this customer was applied already. */
  | { readonly kind: 'stale'; readonly appliedSequence: string }
  /** Another consumer holds a claim on this customer right now; try again later. */
  | { readonly kind: 'busy' };

/** A claim a consumer holds while its handler runs. */
export interface Claim {
  /** Unique per attempt, so two deliveries of one event never share a claim. */
  readonly token: string;
  /** The customer's last applied sequence when the claim was taken. */
  readonly previousSequence: string | undefined;
}

/** Durable apply-once state: one record per `source`+`subject`. */
export interface ApplyOnceStore {
  /** Claims `key` if the rule lets it be applied. @throws Error when the store cannot be reached */
  claim(key: EventKey): Promise<ClaimVerdict>;
  /**
   * Records `key` as applied and drops the claim.
   * @throws ClaimLostError when the claim expired and another consumer took it
   */
  commit(key: EventKey, claim: Claim): Promise<void>;
  /** Drops the claim without recording anything (the handler failed). Never throws for a lost claim. */
  release(key: EventKey, claim: Claim): Promise<void>;
}

/** The claim on a customer expired before the handler finished and another consumer took it. */
export class ClaimLostError extends Error {
  override readonly name = 'ClaimLostError';
}

/** Thrown by {@link applyOnce} when another consumer is applying an event of the same customer. */
export class ClaimBusyError extends Error {
  override readonly name = 'ClaimBusyError';
}

const SEQUENCE_DIGITS = 12;

/**
 * The sequence as a 12-digit zero-padded decimal string, so that string order is the
 * order of changes (the CloudEvents sequence extension compares strings).
 * @throws Error when it is not a non-negative decimal of at most 12 digits
 */
export const normaliseSequence = (sequence: string | number): string => {
  const text = typeof sequence === 'number' ? String(sequence) : sequence;
  if (!/^\d+$/.test(text) || text.length > SEQUENCE_DIGITS) {
    throw new Error(`sequence ${JSON.stringify(text)} is not a decimal of at most ${SEQUENCE_DIGITS} digits`);
  }
  return text.padStart(SEQUENCE_DIGITS, '0');
};

/** The key of an event under the rule. */
export const eventKey = (
  event: Pick<GleantapNotifierEvent, 'source' | 'subject' | 'id' | 'sequence'>,
): EventKey => ({
  source: event.source,
  subject: event.subject,
  id: event.id,
  sequence: normaliseSequence(event.sequence),
});

/** What the state of one customer says about an event, when no claim stands in the way. */
export const judge = (
  applied: { readonly sequence: string; readonly ids: ReadonlySet<string> } | undefined,
  key: EventKey,
): 'apply' | 'duplicate' | 'stale' => {
  if (applied === undefined || applied.sequence < key.sequence) return 'apply';
  if (applied.sequence > key.sequence) return 'stale';
  return applied.ids.has(key.id) ? 'duplicate' : 'apply';
};

/** What {@link applyOnce} did with an event. */
export type ApplyOutcome = 'applied' | 'duplicate' | 'stale';

/**
 * Runs `apply(event)` at most once per event id and never for a stale event, recording it
 * in `store` after `apply` resolved.
 * @returns whether the event was applied or dropped, and why
 * @throws ClaimBusyError when another consumer is applying an event of the same customer (retry later);
 *   whatever `apply` threw (the claim is released, so a retry applies it)
 */
export const applyOnce = async <E extends GleantapNotifierEvent>(
  store: ApplyOnceStore,
  event: E,
  apply: (event: E) => unknown,
): Promise<ApplyOutcome> => {
  const key = eventKey(event);
  const verdict = await store.claim(key);
  switch (verdict.kind) {
    case 'duplicate':
    case 'stale':
      return verdict.kind;
    case 'busy':
      throw new ClaimBusyError(`another consumer is applying an event of ${key.source} ${key.subject}`);
    case 'claimed':
      break;
  }
  try {
    await apply(event);
  } catch (error) {
    // A release that fails leaves a claim that expires on its own; the handler's error is the news.
    await store.release(key, verdict.claim).catch(() => undefined);
    throw error;
  }
  await store.commit(key, verdict.claim);
  return 'applied';
};

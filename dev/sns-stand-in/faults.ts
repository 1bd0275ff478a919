/** The actions the stand-in implements; fault rules can target any of them. */
export type SnsAction =
  | 'CreateTopic'
  | 'DeleteTopic'
  | 'ListTopics'
  | 'GetTopicAttributes'
  | 'Subscribe'
  | 'Unsubscribe'
  | 'ListSubscriptionsByTopic'
  | 'Publish'
  | 'PublishBatch';

/** Makes whole calls fail with an error response the SDK surfaces as an exception. */
export interface CallFault {
  /** Only calls of this action fail. @default every action */
  readonly action?: SnsAction;
  /** How many calls fail before the rule is used up. @default 1 */
  readonly times?: number;
  /** HTTP status. 5xx and 429 are retried by the SDK's default retry strategy. @default 500 */
  readonly status?: 400 | 403 | 429 | 500 | 503;
  /** Error code. @default `InternalError` (500), `ServiceUnavailable` (503), `Throttled` (429), `InvalidParameter` (400), `AuthorizationError` (403) */
  readonly code?: string;
  /** @default a message naming the injected fault */
  readonly message?: string;
}

/**
 * Makes entries of PublishBatch calls come back in `Failed` (SenderFault false) instead of
 * `Successful`; they are not recorded or delivered. Pick entries by at most one of
 * `count`, `ids` or `probability`; with none of them every entry of the call fails.
 */
export interface EntryFault {
  /** How many PublishBatch calls the rule applies to. @default 1 */
  readonly times?: number;
  /** Fail the first `count` valid entries of each call. */
  readonly count?: number;
  /** Fail the entries with these ids. */
  readonly ids?: readonly string[];
  /** Fail each entry with this probability, drawn from the stand-in's seeded generator. */
  readonly probability?: number;
  /** @default `InternalError` */
  readonly code?: string;
  /** @default `Internal Error` */
  readonly message?: string;
  /**
   * Report the entries as the sender's fault (`SenderFault` true: the entry itself is
   * unacceptable, so a publisher does not retry it), e.g. with code `InvalidParameter`.
   * @default false
   */
  readonly senderFault?: boolean;
}

/** Fault injection controls of a running stand-in. */
export interface SnsFaults {
  /** Queues a rule that fails whole calls. Rules are used in the order they were added. */
  failCalls(fault?: CallFault): void;
  /** Queues a rule that fails PublishBatch entries. */
  failEntries(fault?: EntryFault): void;
  /** Drops every queued rule. */
  clear(): void;
}

/** What the stand-in does with one call when a call rule fires. */
export interface CallFailure {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** Picks the entries of one PublishBatch call that should fail, with the code to report. */
export interface EntryFailurePlan {
  readonly fails: (id: string, position: number) => boolean;
  readonly code: string;
  readonly message: string;
  readonly senderFault: boolean;
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'InvalidParameter',
  403: 'AuthorizationError',
  429: 'Throttled',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

interface Counted<T> {
  readonly rule: T;
  remaining: number;
}

const remainingOf = (times: number | undefined, field: string): number => {
  const remaining = times ?? 1;
  if (!(remaining > 0)) throw new RangeError(`${field}.times must be a positive number, got ${remaining}`);
  return remaining;
};

/** The fault rule book: queued rules, consumed by the server as calls arrive. */
export class FaultBook implements SnsFaults {
  #calls: Counted<CallFault>[] = [];
  #entries: Counted<EntryFault>[] = [];
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  /** @throws RangeError when `times` is not positive. */
  failCalls(fault: CallFault = {}): void {
    this.#calls.push({ rule: fault, remaining: remainingOf(fault.times, 'failCalls') });
  }

  /** @throws RangeError when `times`, `count` or `probability` is out of range or more than one selector is set. */
  failEntries(fault: EntryFault = {}): void {
    const selectors = [fault.count, fault.ids, fault.probability].filter((s) => s !== undefined).length;
    if (selectors > 1) throw new RangeError('failEntries takes at most one of count, ids, probability');
    if (fault.count !== undefined && !(fault.count >= 0))
      throw new RangeError('failEntries.count must be >= 0');
    if (fault.probability !== undefined && !(fault.probability >= 0 && fault.probability <= 1)) {
      throw new RangeError('failEntries.probability must be within [0, 1]');
    }
    this.#entries.push({ rule: fault, remaining: remainingOf(fault.times, 'failEntries') });
  }

  clear(): void {
    this.#calls = [];
    this.#entries = [];
  }

  /** Consumes one use of the first call rule that applies to `action`, if any. */
  takeCallFailure(action: string): CallFailure | undefined {
    const index = this.#calls.findIndex((c) => c.rule.action === undefined || c.rule.action === action);
    const counted = this.#calls[index];
    if (counted === undefined) return undefined;
    counted.remaining -= 1;
    if (counted.remaining <= 0) this.#calls.splice(index, 1);
    const status = counted.rule.status ?? 500;
    const code = counted.rule.code ?? DEFAULT_CODES[status] ?? 'InternalError';
    return { status, code, message: counted.rule.message ?? `Injected fault: ${code}` };
  }

  /** Consumes one use of the first entry rule, if any, and returns which entries it fails. */
  takeEntryFailures(): EntryFailurePlan | undefined {
    const counted = this.#entries[0];
    if (counted === undefined) return undefined;
    counted.remaining -= 1;
    if (counted.remaining <= 0) this.#entries.shift();
    const { rule } = counted;
    const code = rule.code ?? 'InternalError';
    const message = rule.message ?? 'Internal Error';
    const senderFault = rule.senderFault ?? false;
    if (rule.ids !== undefined) {
      const ids = new Set(rule.ids);
      return { fails: (id) => ids.has(id), code, message, senderFault };
    }
    if (rule.count !== undefined) {
      const count = rule.count;
      return { fails: (_id, position) => position < count, code, message, senderFault };
    }
    const probability = rule.probability;
    if (probability !== undefined) {
      return { fails: () => this.#random() < probability, code, message, senderFault };
    }
    return { fails: () => true, code, message, senderFault };
  }
}

/**
 * Fault injection for the Gleantap simulator: rules that make a getCustomers request fail
 * the ways the real API (or the network in front of it) can.
 */
import { seededRandom } from '../seeded-random.ts';

/**
 * What a fault does to a request:
 * - `429`: status 429 with `Retry-After` (see {@link FaultRule.retryAfter}).
 * - `500`: a 5xx status (see {@link FaultRule.status}) with a JSON error body.
 * - `hang`: never answers; the request is held until the client gives up or the simulator closes.
 * - `truncated`: a complete 200 response whose body is the first half of the JSON.
 * - `html`: a 200 with an HTML error page, as a misbehaving proxy sends.
 * - `drift`: inserts {@link FaultRule.insert} new customers at the front of the app before
 *   serving the page normally, so every later offset shifts (rows repeat across pages).
 * - `reset`: destroys the socket (see {@link FaultRule.at}).
 * - `empty`: a well-formed 200 with no members, as an API that lost the app's data for a
 *   moment (an outage behind a healthy front end) answers: it ends a scan early.
 */
export type FaultKind = '429' | '500' | 'hang' | 'truncated' | 'html' | 'drift' | 'reset' | 'empty';

/** A page position within a scan: `first` is offset 0, `last` a page with fewer rows than `limit`, `middle` any other. */
export type PagePosition = 'first' | 'middle' | 'last';

/**
 * A fault and when it fires. Exactly one trigger is set: `request`, `page` or `probability`.
 * Rules are checked in the order they were added; the first that matches fires. Faults apply
 * only to requests that pass auth and validation (a 401 or 400 is answered as such).
 */
export interface FaultRule {
  readonly kind: FaultKind;
  /** Fires on the n-th getCustomers request (1-based, counted since start, retries and rejected requests included). */
  readonly request?: number;
  /** Fires on a page position, or on the request whose `offset` equals the number. */
  readonly page?: PagePosition | number;
  /** Fires with this probability per request, drawn from the simulator's seeded generator. */
  readonly probability?: number;
  /**
   * How many times the rule fires before it is spent; `Infinity` for a persistent fault.
   * @default 1
   */
  readonly times?: number;
  /** Only requests for this app id match. @default every app */
  readonly appId?: string;
  /**
   * `429`: the `Retry-After` header: a number of seconds, a verbatim value (e.g. an HTTP
   * date), or null to send none.
   * @default 1
   */
  readonly retryAfter?: number | string | null;
  /** `500`: the status to send (500..599). @default 500 */
  readonly status?: number;
  /** `drift`: how many customers to insert at the front. @default 3 */
  readonly insert?: number;
  /**
   * `reset`: `start` destroys the socket before any response byte; `mid-body` sends the 200
   * headers (with the full Content-Length) and half the body first.
   * @default 'start'
   */
  readonly at?: 'start' | 'mid-body';
}

/** A rule that was added, with how often it has fired. */
export interface FaultHandle {
  readonly rule: FaultRule;
  readonly fired: number;
  readonly remaining: number;
}

/** @internal What a request looks like to the fault matcher. */
export interface FaultContext {
  readonly request: number;
  readonly appId: string;
  readonly offset: number;
  readonly last: boolean;
}

class ActiveRule implements FaultHandle {
  fired = 0;
  constructor(readonly rule: FaultRule) {}
  get remaining(): number {
    return (this.rule.times ?? 1) - this.fired;
  }
}

/** The fault rules of one simulator (`simulator.faults`). */
export class SimulatorFaults {
  #rules: ActiveRule[] = [];
  readonly #random: () => number;

  /** @internal Use `simulator.faults`. */
  constructor(seed: number) {
    this.#random = seededRandom(seed);
  }

  /** Adds a rule; throws a RangeError when it does not have exactly one valid trigger. */
  add(rule: FaultRule): FaultHandle {
    const triggers = [rule.request, rule.page, rule.probability].filter((t) => t !== undefined);
    if (triggers.length !== 1)
      throw new RangeError('a fault rule needs exactly one of request, page, probability');
    if (rule.request !== undefined && !(Number.isInteger(rule.request) && rule.request >= 1)) {
      throw new RangeError(`fault request must be an integer >= 1, got ${rule.request}`);
    }
    if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
      throw new RangeError(`fault probability must be within 0..1, got ${rule.probability}`);
    }
    if (rule.times !== undefined && !(rule.times >= 1)) throw new RangeError(`fault times must be >= 1`);
    const active = new ActiveRule(rule);
    this.#rules.push(active);
    return active;
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules = [];
  }

  /** The rules added so far (spent ones included), in order. */
  get rules(): readonly FaultHandle[] {
    return this.#rules;
  }

  /** @internal Returns the rule that fires for this request, counting it as fired. */
  match(context: FaultContext): FaultRule | undefined {
    for (const active of this.#rules) {
      if (active.remaining <= 0) continue;
      const { rule } = active;
      if (rule.appId !== undefined && rule.appId !== context.appId) continue;
      if (!this.#triggers(rule, context)) continue;
      active.fired += 1;
      return rule;
    }
    return undefined;
  }

  #triggers(rule: FaultRule, context: FaultContext): boolean {
    if (rule.request !== undefined) return rule.request === context.request;
    if (rule.probability !== undefined) return this.#random() < rule.probability;
    switch (rule.page) {
      case 'first':
        return context.offset === 0;
      case 'last':
        return context.last;
      case 'middle':
        return context.offset > 0 && !context.last;
      default:
        return rule.page === context.offset;
    }
  }
}

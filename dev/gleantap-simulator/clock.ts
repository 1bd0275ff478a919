/**
 * A clock for the Gleantap simulator that tests move by hand, by seconds or by days, so
 * `updated_since` windows, gaps between polls and day boundaries can be tested without waiting.
 */

const DAY_MS = 86_400_000;

/** A settable clock; pass `clock.now` as the simulator's `now` and `clock.date` to the poll. */
export class SimulatorClock {
  #ms: number;

  /** @param start epoch ms or an ISO 8601 instant. @throws RangeError for an unreadable start. */
  constructor(start: number | string) {
    const ms = typeof start === 'number' ? start : Date.parse(start);
    if (!Number.isFinite(ms)) throw new RangeError(`SimulatorClock: cannot read the start ${String(start)}`);
    this.#ms = ms;
  }

  /** Epoch ms (the simulator's `now` option). */
  readonly now = (): number => this.#ms;

  /** The time as a Date (a poll's `clock`). */
  readonly date = (): Date => new Date(this.#ms);

  /** Moves the clock forward. @throws RangeError for a negative or non-finite step. */
  advance(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`SimulatorClock: cannot move by ${ms} ms`);
    this.#ms += ms;
  }

  /** Moves the clock forward by whole or fractional days. */
  advanceDays(days: number): void {
    this.advance(days * DAY_MS);
  }
}

/**
 * The deadline the poller's handler gives each poll, for the latency days.
 *
 * Read from the handler module at run time on purpose: issue 12 moves `pollDeadline` to
 * lib/core/deadline.ts (the handler then takes it from there), and a static import would
 * break its typecheck. When it moves, the latency days fail here with this message; then
 * re-export it from lib/core/deadline.ts instead.
 */
import * as handler from '../../functions/poller/handler.ts';

export function pollDeadline(now: Date, remainingMs: number): Date {
  const deadline: unknown = Reflect.get(handler, 'pollDeadline');
  if (typeof deadline !== 'function')
    throw new Error(
      'handler-deadline: the handler no longer exports pollDeadline; re-export it from lib/core/deadline.ts',
    );
  const at: unknown = deadline(now, remainingMs);
  if (!(at instanceof Date)) throw new Error('handler-deadline: pollDeadline did not return a Date');
  return at;
}

/** The deadline the poller's handler gives each poll (it takes it from lib/core/deadline.ts), for the latency days. */
export { pollDeadline } from '../../lib/core/deadline.ts';
